from __future__ import annotations

import pytest

from core.errors import StoreError
from core.store.aliases import _MAX_ALIAS_HOPS


def test_alias_resolution_follows_chains(store):
    assert store.aliases.resolve("cp_cccccccc") == "cp_cccccccc"
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb"}, run_id="r1")
    store.aliases.add({"cp_bbbbbbbb": "cp_cccccccc"}, run_id="r2")
    assert store.aliases.resolve("cp_aaaaaaaa") == "cp_cccccccc"
    assert store.aliases.resolve("cp_bbbbbbbb") == "cp_cccccccc"


def test_alias_loops_are_reported(store):
    with pytest.raises(StoreError, match="itself"):
        store.aliases.add({"cp_aaaaaaaa": "cp_aaaaaaaa"}, run_id="r1")
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb", "cp_bbbbbbbb": "cp_aaaaaaaa"}, run_id="r1")
    with pytest.raises(StoreError, match="loop") as caught:
        store.aliases.resolve("cp_aaaaaaaa")
    assert caught.value.hint
    assert _MAX_ALIAS_HOPS > 2
