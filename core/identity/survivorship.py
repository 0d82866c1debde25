"""Golden records: for each field, the value that survives, and where it came from.

Rules (``SurvivorshipRule``), chosen per field in the settings:

* ``system_priority``: the value from the highest system in ``system_priority``
  (systems not listed come after, alphabetically); ties go to the most recent.
* ``most_recent``: the value of the most recently updated record.
* ``most_frequent``: the value most records agree on; ties go to the most recent.
* ``first_non_empty``: the value of the record created (or else updated) first.

Every rule breaks remaining ties by record reference, so the result is
deterministic. Each golden value carries its source record, rule and time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from core.canonical import GoldenValue, Person
from core.identity.settings import GOLDEN_FIELDS, SurvivorshipRule, SurvivorshipSettings

__all__ = ["golden_record"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Candidate = tuple[Person, object]


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _recency(person: Person) -> datetime:
    return person.updated_at or person.created_at or _EPOCH


def _priority(settings: SurvivorshipSettings) -> Callable[[Person], tuple[int, str]]:
    rank = {system: i for i, system in enumerate(settings.system_priority)}
    return lambda person: (rank.get(person.source.system, len(rank)), person.source.system)


def _choose(candidates: list[Candidate], rule: SurvivorshipRule, settings: SurvivorshipSettings) -> Candidate:
    by_key = sorted(candidates, key=lambda c: str(c[0].source))
    newest_first = sorted(by_key, key=lambda c: _recency(c[0]), reverse=True)
    if rule is SurvivorshipRule.MOST_RECENT:
        return newest_first[0]
    if rule is SurvivorshipRule.SYSTEM_PRIORITY:
        priority = _priority(settings)
        return min(newest_first, key=lambda c: priority(c[0]))
    if rule is SurvivorshipRule.MOST_FREQUENT:
        counts = Counter(str(_plain(value)) for _, value in candidates)
        return max(newest_first, key=lambda c: counts[str(_plain(c[1]))])
    return min(by_key, key=lambda c: c[0].created_at or c[0].updated_at or datetime.max.replace(tzinfo=UTC))


def golden_record(people: Sequence[Person], settings: SurvivorshipSettings) -> dict[str, GoldenValue]:
    """Choose each golden field's value among one profile's records.

    Args:
        people: The records of one profile.
        settings: The survivorship rules.

    Returns:
        Field name → golden value with provenance; fields no record has are absent.
    """
    golden: dict[str, GoldenValue] = {}
    for name in GOLDEN_FIELDS:
        candidates: list[Candidate] = [(p, v) for p in people if (v := getattr(p, name)) not in (None, "")]
        if not candidates:
            continue
        rule = settings.rule_for(name)
        person, value = _choose(candidates, rule, settings)
        golden[name] = GoldenValue(
            value=_plain(value), source=person.source, rule=rule.value, observed_at=person.updated_at
        )
    return golden
