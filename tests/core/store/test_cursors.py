from __future__ import annotations

import pytest

from core.errors import StoreError


def test_cursor_round_trip_and_replacement(store):
    assert store.cursors.get("zendesk", "tickets") is None
    store.cursors.save("zendesk", "tickets", {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}, run_id="r1")
    assert store.cursors.get("zendesk", "tickets") == {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}
    store.cursors.save("zendesk", "tickets", {"start_time": 1714560000}, run_id="r2")
    assert store.cursors.get("zendesk", "tickets") == {"start_time": 1714560000}
    assert store.cursors.get("zendesk", "users") is None
    assert store.counts()["cursors"] == 1


def test_cursor_that_is_not_json_is_refused(store):
    with pytest.raises(StoreError, match="JSON"):
        store.cursors.save("zendesk", "tickets", {"bad": object()}, run_id="r1")
