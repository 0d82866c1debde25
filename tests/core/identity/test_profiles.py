from __future__ import annotations

import re

from core.identity import assign_profile_ids, derived_profile_id


def test_derived_ids_match_the_profile_id_pattern_and_depend_on_the_smallest_member() -> None:
    pid = derived_profile_id(["b/s/2", "a/s/1"])
    assert re.fullmatch(r"^cp_[0-9a-z]{8,32}$", pid)
    assert pid == derived_profile_id(["a/s/1", "c/s/3"])
    assert pid != derived_profile_id(["b/s/2"])


def test_previous_ids_are_reused_by_majority_and_never_twice() -> None:
    previous = {"a": "cp_old00001", "b": "cp_old00001", "c": "cp_old00002"}
    ids = assign_profile_ids([["a", "c"], ["b"]], previous)
    assert ids[0] in {"cp_old00001", "cp_old00002"}
    assert ids[0] != ids[1]
    assert ids == assign_profile_ids([["a", "c"], ["b"]], previous)
