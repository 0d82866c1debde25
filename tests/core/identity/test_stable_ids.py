"""Stable IDs (pure): joins keep the ID, merges keep the oldest, splits are reported; pins in clustering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from core.identity import resolve
from core.identity.pins import pinned_clusters
from core.identity.stable import assign_stable_ids, new_profile_id
from core.store import IdentityPin, PinKind
from tests.core.identity.stable_helpers import ALICE, BOB, MARY, ROBERT, key

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T1 = datetime(2024, 2, 1, tzinfo=UTC)


def _ids() -> Callable[[], str]:
    counter = iter(range(1000))
    return lambda: f"cp_new{next(counter):05d}"


def test_a_record_joining_a_profile_keeps_its_id():
    result = assign_stable_ids(
        [["a", "b", "c"]], {"a": "cp_old00001", "b": "cp_old00001"}, {"cp_old00001": T0}, new_id=_ids()
    )
    assert result.profile_ids == ["cp_old00001"]
    assert result.new == [] and result.merged == {} and result.split == {}


def test_a_merge_keeps_the_older_id_and_aliases_the_other():
    previous = {"a": "cp_young0001", "b": "cp_old000001", "c": "cp_young0001"}
    created = {"cp_old000001": T0, "cp_young0001": T1}
    result = assign_stable_ids([["a", "b", "c"]], previous, created, new_id=_ids())
    assert result.profile_ids == ["cp_old000001"]
    assert result.aliases == {"cp_young0001": "cp_old000001"}


def test_a_split_keeps_the_id_on_the_part_with_most_records():
    previous = {"a": "cp_p0000001", "b": "cp_p0000001", "c": "cp_p0000001"}
    result = assign_stable_ids([["a"], ["b", "c"]], previous, {"cp_p0000001": T0}, new_id=_ids())
    assert result.profile_ids == ["cp_new00000", "cp_p0000001"]
    assert result.split == {"cp_p0000001": ["cp_new00000"]}
    assert result.new == [0]


def test_a_split_into_equal_parts_keeps_the_id_on_the_part_with_the_smallest_record():
    previous = {"a": "cp_p0000001", "b": "cp_p0000001"}
    result = assign_stable_ids([["b"], ["a"]], previous, {"cp_p0000001": T0}, new_id=_ids())
    assert result.profile_ids == ["cp_new00000", "cp_p0000001"]


def test_new_profile_ids_are_valid_and_avoid_taken_ones():
    first = new_profile_id()
    assert first.startswith("cp_") and len(first) == 27 and first == first.lower()
    assert new_profile_id({first}) != first


def _pin(pin_id: int, kind: PinKind, left: str, right: str) -> IdentityPin:
    return IdentityPin(pin_id=pin_id, kind=kind, left_record=left, right_record=right, created_at=T0, active=True)


def _partition(resolution, clusters) -> set[frozenset[str]]:
    return {frozenset(str(resolution.records[i]) for i in members) for members in clusters}


def test_a_cannot_link_pin_splits_a_cluster_the_model_made():
    assert len(resolve([ROBERT, BOB, MARY]).clusters) == 2
    resolution = resolve([ROBERT, BOB, MARY], pins=[_pin(1, PinKind.CANNOT_LINK, key(ROBERT), key(BOB))])
    pinned = pinned_clusters(resolution)
    assert _partition(resolution, pinned.clusters) == {
        frozenset({key(ROBERT)}),
        frozenset({key(BOB)}),
        frozenset({key(MARY)}),
    }
    assert len(pinned.dropped) == 1
    assert resolution.pairs.reasons[pinned.dropped[0]] == "conflict: pin"


def test_a_must_link_pin_joins_what_the_model_keeps_apart():
    resolution = resolve([ROBERT, BOB, MARY, ALICE], pins=[_pin(7, PinKind.MUST_LINK, key(MARY), key(ALICE))])
    pinned = pinned_clusters(resolution)
    assert frozenset({key(MARY), key(ALICE)}) in _partition(resolution, pinned.clusters)
    index = {str(ref): i for i, ref in enumerate(resolution.records)}
    assert pinned.pinned_by[index[key(ALICE)]] == 7


def test_inactive_pins_and_pins_on_absent_records_are_ignored():
    inactive = _pin(1, PinKind.CANNOT_LINK, key(ROBERT), key(BOB))
    inactive.active = False
    absent = _pin(2, PinKind.CANNOT_LINK, key(ROBERT), "crm/people/404")
    resolution = resolve([ROBERT, BOB], pins=[inactive, absent])
    assert len(resolution.clusters) == 1
    assert resolution.pins.cannot_link == [] and resolution.pins.refused == []


def test_a_must_link_pin_contradicted_by_a_cannot_link_pin_is_not_applied():
    pins = [_pin(1, PinKind.CANNOT_LINK, key(MARY), key(ALICE)), _pin(2, PinKind.MUST_LINK, key(ALICE), key(MARY))]
    resolution = resolve([MARY, ALICE], pins=pins)
    assert len(resolution.clusters) == 2
    assert resolution.pins.applied == [False]
    assert pinned_clusters(resolution).pinned_by == {}
