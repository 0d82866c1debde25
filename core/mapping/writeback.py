"""The write-back section of a stream: which values go to which vendor fields.

Source names are canonical or policy values a profile carries::

    profile_id                  the unified profile's stable ID
    golden.<person field>       a golden-record value (golden.email, golden.phone...)
    enrichment.<name>           an enrichment value (enrichment.intent_score...)
    suppression.<scope>         true while a suppression of that scope is active
                                (all, marketing, sales_outreach, email, sms, phone)
    suppression.reasons         the names of the active suppressions (a list)
    ledger.preferred_channel    the person's own preferences, from their ledger (docs/ledger.md):
    ledger.quiet_hours          "21:00-08:00 Europe/London" (also ledger.quiet_hours_start,
                                ledger.quiet_hours_end, ledger.timezone), ledger.weekly_cap,
                                ledger.never_call, ledger.interests, ledger.topics_to_avoid

The write-back planner reads ``Writeback.fields`` to know what to compute, and
``Writeback.render(values)`` to turn computed values into vendor fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.canonical import Person, SuppressionScope
from core.errors import RecordRejected
from core.ledger.vocabulary import LEDGER_SOURCES
from core.mapping.plans import Step, run_steps

__all__ = ["Writeback", "WritebackField", "check_source_name", "source_names"]

_ENRICHMENT = re.compile(r"^enrichment\.[a-z][a-z0-9_]*$")
_GOLDEN_EXCLUDED = {"source", "identifiers", "updated_at", "deleted"}


def source_names() -> list[str]:
    """Return the fixed source names (enrichment names are open-ended)."""
    golden = [f"golden.{name}" for name in Person.model_fields if name not in _GOLDEN_EXCLUDED]
    suppression = [f"suppression.{scope.value}" for scope in SuppressionScope]
    return ["profile_id", "suppression.reasons", *suppression, *golden, *LEDGER_SOURCES]


def check_source_name(name: str) -> bool:
    """Return whether ``name`` is a value the write-back planner can provide."""
    return name in source_names() or _ENRICHMENT.match(name) is not None


@dataclass(frozen=True)
class WritebackField:
    """One value written back to one vendor field.

    Attributes:
        source: The canonical or policy name, e.g. ``enrichment.intent_score``.
        vendor_field: The field in the vendor's record, e.g. ``Contactpoint_Intent__c``.
        transforms: Names of the transforms applied before writing.
        owned: Contactpoint owns the field (overwrites a hand-made change); otherwise it
            only fills the field while it is empty.
    """

    source: str
    vendor_field: str
    transforms: tuple[str, ...] = ()
    steps: tuple[Step, ...] = field(default=(), repr=False, compare=False)
    owned: bool = True

    def convert(self, value: Any) -> Any:
        """Apply the transforms to ``value``.

        Raises:
            RecordRejected: A transform failed on the value.
        """
        return run_steps(self.steps, value, {}, self._failed)

    def _failed(self, name: str, value: Any, err: ValueError) -> RecordRejected:
        message = f"write-back {self.source} → {self.vendor_field}: transform '{name}' failed on {value!r}: {err}"
        return RecordRejected(message, field=self.source)


@dataclass(frozen=True)
class Writeback:
    """What a stream's records receive on write-back.

    Attributes:
        stream: The stream written to (``Contact``).
        fields: One entry per vendor field, in file order.
        mode: ``update`` or ``create_and_update``.
        read_from: Where written fields sit in a pulled record (``properties.{field}``).
        match_field: For creates, the vendor field that finds an existing record.
        match_source: For creates, the profile value matched on (``golden.email``).
        purpose: What the system uses the values for (the customer's ledger's purposes).
        channel: The channel it reaches people on, when it has one.
    """

    stream: str
    fields: tuple[WritebackField, ...] = ()
    mode: str = "update"
    read_from: str = "{field}"
    match_field: str | None = None
    match_source: str | None = None
    purpose: str = "personalisation"
    channel: str | None = None

    @property
    def creates(self) -> bool:
        """Whether write-back may create records in the vendor (``create_and_update``)."""
        return self.mode == "create_and_update"

    def read_path(self, vendor_field: str) -> str:
        """Where a written field's current value sits in a pulled record (a source path)."""
        return self.read_from.replace("{field}", vendor_field)

    def vendor_fields(self) -> list[str]:
        """Return the vendor fields this stream's write-back sets, in file order."""
        return [f.vendor_field for f in self.fields]

    def sources(self) -> list[str]:
        """Return the canonical or policy names it needs, in file order."""
        return [f.source for f in self.fields]

    def render(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Map computed values (by source name) to vendor fields; absent sources are left out.

        Raises:
            RecordRejected: A transform failed on a value.
        """
        return {f.vendor_field: f.convert(values[f.source]) for f in self.fields if f.source in values}
