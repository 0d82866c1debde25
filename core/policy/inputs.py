"""What a policy evaluation reads: one person, as the sync layer gathers them from the store.

``PolicyInput`` is a plain value: the profile's ID, its golden Person fields, the
source records linked to it, its interactions and consents from every system, and the
person's own overrides. Nothing in it is fetched lazily, so an evaluation is a pure
function of the input and the clock it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.canonical import Consent, Interaction, RecordRef, UnifiedProfile

__all__ = ["PersonOverrides", "PolicyInput"]


@dataclass(frozen=True, slots=True)
class PersonOverrides:
    """Settings the person chose that win over a policy's defaults.

    Attributes:
        frequency_cap: The most promotional messages the person wants per window of
            each ``frequency_cap`` rule (from their preference ledger); ``None`` keeps
            the rule's own cap.

    Raises:
        ValueError: When ``frequency_cap`` is below 1 (a person who wants none has
            withdrawn consent, which is a consent, not a cap).
    """

    frequency_cap: int | None = None

    def __post_init__(self) -> None:
        """Check the cap."""
        if self.frequency_cap is not None and (isinstance(self.frequency_cap, bool) or self.frequency_cap < 1):
            msg = (
                f"frequency_cap {self.frequency_cap!r} must be a whole number of at least 1; "
                "record 'no messages at all' as a denied Consent instead"
            )
            raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class PolicyInput:
    """One person, as the policies see them.

    Attributes:
        profile_id: The unified profile's stable ID.
        golden: Golden-record values by canonical Person field (``first_name``, ``email``...).
        records: The source records linked to the profile, in any system.
        interactions: Their interactions from every system (any order; see ``view.prepare``).
        consents: Their consents from every system.
        overrides: The person's own settings (a frequency cap).
    """

    profile_id: str
    golden: Mapping[str, Any] = field(default_factory=dict)
    records: Sequence[RecordRef] = ()
    interactions: Sequence[Interaction] = ()
    consents: Sequence[Consent] = ()
    overrides: PersonOverrides = field(default_factory=PersonOverrides)

    @classmethod
    def from_profile(
        cls,
        profile: UnifiedProfile,
        *,
        interactions: Sequence[Interaction] = (),
        consents: Sequence[Consent] = (),
        overrides: PersonOverrides | None = None,
    ) -> PolicyInput:
        """Build the input of a stored unified profile: its golden values and linked records.

        Returns:
            The input, with ``golden`` holding each golden field's value (not its provenance).
        """
        return cls(
            profile_id=profile.profile_id,
            golden={name: golden.value for name, golden in profile.golden.items()},
            records=tuple(profile.records),
            interactions=tuple(interactions),
            consents=tuple(consents),
            overrides=overrides or PersonOverrides(),
        )

    def records_in(self, system: str, streams: Sequence[str] = ()) -> tuple[RecordRef, ...]:
        """Return the linked records of ``system`` (only ``streams``, in that order, when given).

        Within a stream the records are ordered by source ID, so the choice of "the"
        record of a system is the same on every run.
        """
        found = sorted((ref for ref in self.records if ref.system == system), key=lambda r: (r.stream, r.source_id))
        if not streams:
            return tuple(found)
        rank = {name: index for index, name in enumerate(streams)}
        return tuple(sorted((r for r in found if r.stream in rank), key=lambda r: (rank[r.stream], r.source_id)))
