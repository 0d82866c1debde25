from __future__ import annotations

import re

from core.identity import derived_profile_id


def test_derived_ids_match_the_profile_id_pattern_and_depend_on_the_smallest_member() -> None:
    pid = derived_profile_id(["b/s/2", "a/s/1"])
    assert re.fullmatch(r"^cp_[0-9a-z]{8,32}$", pid)
    assert pid == derived_profile_id(["a/s/1", "c/s/3"])
    assert pid != derived_profile_id(["b/s/2"])
