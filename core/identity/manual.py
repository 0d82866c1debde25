"""Manual merges and splits: pins written to the store and applied at once.

``merge_profiles`` pins every record of two profiles together (must-link); the
older profile survives and the other becomes its alias. ``split_profile`` moves
the listed records to a new profile, pinned apart from the rest (cannot-link);
each side is pinned together (must-link), so the rest stays one profile even
where the moved records were what held it together. Both survive later batch runs, which honour the
pins before the model, and both are logged (``identity.merged``, ``identity.split``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from core.canonical import Person
from core.errors import IdentityError
from core.identity.persist import golden_json
from core.identity.records import stored_person
from core.identity.settings import IdentitySettings
from core.identity.stable import new_profile_id
from core.identity.survivorship import golden_record
from core.store import (
    LinkInput,
    LinkMethod,
    PinInput,
    PinKind,
    ProfileInput,
    ProfileStatus,
    Store,
    split_record_key,
)

__all__ = ["ManualChange", "find_profile", "merge_profiles", "recompute_golden", "split_profile"]

log = structlog.get_logger(__name__)
_FIND_IDS = "list profile IDs with `contactpoint identity explain <system/stream/source_id>` on a record you know"


@dataclass(frozen=True)
class ManualChange:
    """What a manual merge or split did.

    Attributes:
        profile_id: The surviving profile (merge) or the profile split (split).
        other_id: The profile merged away (merge) or the new profile (split).
        moved: Record keys that changed profile.
        pin_ids: The pins written.
    """

    profile_id: str
    other_id: str
    moved: list[str]
    pin_ids: list[int]


def find_profile(store: Store, profile_id: str) -> tuple[str, list[str]]:
    """Return the profile an ID resolves to now (aliases followed) and its record keys.

    Raises:
        IdentityError: When no profile or alias has this ID.
    """
    target = store.aliases.resolve(profile_id)
    if store.profiles.get(target) is None:
        msg = f"unknown profile {profile_id!r}"
        raise IdentityError(msg, hint=_FIND_IDS, profile_id=profile_id)
    members = [f"{link.system}/{link.stream}/{link.source_id}" for link in store.links.of_profile(target)]
    return target, members


def recompute_golden(
    store: Store, profile_ids: Sequence[str], settings: IdentitySettings, *, run_id: str | None
) -> None:
    """Recompute and store the golden records of these profiles from their indexed records."""
    people: dict[str, list[Person]] = {pid: [] for pid in profile_ids}
    for item in store.identity_index.members(profile_ids):
        people[item.profile_id].append(stored_person(item.person))
    rules = settings.survivorship
    store.profiles.upsert(
        [ProfileInput(pid, golden_json(golden_record(found, rules))) for pid, found in people.items()], run_id=run_id
    )


def _relink(
    store: Store, records: Sequence[str], profile_id: str, explanation: dict[str, object], run_id: str | None
) -> None:
    links = []
    for key in records:
        system, stream, source_id = split_record_key(key)
        links.append(LinkInput(system, stream, source_id, profile_id, LinkMethod.MANUAL, "pin", None, explanation))
    store.links.save(links, run_id=run_id)
    store.identity_index.move(dict.fromkeys(records, profile_id))


def _deactivate_between(store: Store, kind: PinKind, one: Sequence[str], other: Sequence[str]) -> None:
    first, second = set(one), set(other)
    stale = [
        int(pin.pin_id or 0)
        for pin in store.pins.list(records=list(first))
        if pin.kind == kind
        and (
            (pin.left_record in first and pin.right_record in second)
            or (pin.right_record in first and pin.left_record in second)
        )
    ]
    store.pins.deactivate(stale)


def merge_profiles(
    store: Store,
    first: str,
    second: str,
    *,
    run_id: str | None = None,
    settings: IdentitySettings | None = None,
    reason: str | None = None,
    created_by: str | None = None,
) -> ManualChange:
    """Merge two profiles by hand: the older keeps its ID, the other becomes its alias.

    Raises:
        IdentityError: When a profile is unknown or both IDs name the same profile.
    """
    settings = settings or IdentitySettings()
    (a, records_a), (b, records_b) = find_profile(store, first), find_profile(store, second)
    if a == b:
        msg = f"{first!r} and {second!r} are already one profile ({a})"
        raise IdentityError(msg, hint="nothing to merge", profile_id=a)
    created = store.profiles.created_at()
    keep, gone = sorted([(a, records_a), (b, records_b)], key=lambda item: (created[item[0]], item[0]))
    _deactivate_between(store, PinKind.CANNOT_LINK, keep[1], gone[1])
    everyone = sorted({*keep[1], *gone[1]})
    anchor = min(keep[1] or everyone)
    pins = [PinInput(PinKind.MUST_LINK, anchor, key, reason, created_by) for key in everyone if key != anchor]
    with store.database.atomic():  # the pins, links, alias and golden records land together
        pin_ids = store.pins.add(pins)
        _relink(store, gone[1], keep[0], {"merged_from": gone[0], "reason": reason, "pins": pin_ids}, run_id)
        store.aliases.add({gone[0]: keep[0]}, run_id=run_id)
        store.profiles.upsert([ProfileInput(gone[0], {}, ProfileStatus.MERGED, merged_into=keep[0])], run_id=run_id)
        recompute_golden(store, [keep[0]], settings, run_id=run_id)
    log.info("identity.merged", profile_id=keep[0], merged_from=[gone[0]], records=len(gone[1]), run_id=run_id)
    return ManualChange(keep[0], gone[0], list(gone[1]), pin_ids)


def split_profile(
    store: Store,
    profile_id: str,
    records: Sequence[str],
    *,
    run_id: str | None = None,
    settings: IdentitySettings | None = None,
    reason: str | None = None,
    created_by: str | None = None,
) -> ManualChange:
    """Move ``records`` out of a profile into a new one, pinned apart from the rest.

    Raises:
        IdentityError: When the profile is unknown, a record is not in it, or no record would remain.
    """
    settings = settings or IdentitySettings()
    target, members = find_profile(store, profile_id)
    chosen = sorted(dict.fromkeys(records))
    strangers = [key for key in chosen if key not in members]
    if strangers:
        msg = f"{', '.join(strangers)} not in profile {target}"
        raise IdentityError(msg, hint=f"its records are: {', '.join(members)}", profile_id=target)
    rest = [key for key in members if key not in chosen]
    if not rest or not chosen:
        msg = f"splitting {target} this way would leave one side empty"
        raise IdentityError(msg, hint="list some, but not all, of its records with --records", profile_id=target)
    _deactivate_between(store, PinKind.MUST_LINK, chosen, rest)
    pins = [PinInput(PinKind.CANNOT_LINK, a, b, reason, created_by) for a in chosen for b in rest]
    for side in (chosen, rest):  # each side stays one profile, even where the moved records held it together
        pins += [PinInput(PinKind.MUST_LINK, side[0], key, reason, created_by) for key in side[1:]]
    fresh = new_profile_id(set(store.profiles.created_at()))
    with store.database.atomic():  # the pins, links and golden records land together
        pin_ids = store.pins.add(pins)
        _relink(store, chosen, fresh, {"split_from": target, "reason": reason, "pins": pin_ids}, run_id)
        recompute_golden(store, [target, fresh], settings, run_id=run_id)
    log.info("identity.split", profile_id=target, split_into=[fresh], records=len(chosen), run_id=run_id)
    return ManualChange(target, fresh, chosen, pin_ids)
