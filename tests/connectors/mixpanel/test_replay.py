"""The Mixpanel connector against recorded sandbox traffic (cassettes/mixpanel/*.yaml).

Each test runs the real connector (the metered session, throttles, retries) against a
cassette; ``make cassettes`` re-records them against the sandbox, where ``env.control``
sets the scene (late events, faults, page sizes) before the calls are made.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from core.errors import RateLimited
from core.mapping import load_mapping

from .conftest import ROOT, TODAY, mixpanel_env

MAPPING = ROOT / "mappings" / "mixpanel.yaml"


def _ids(batches):
    return [r.source_id for b in batches for r in b.records]


def test_events_pull_stopped_after_a_query_and_resumed_reads_every_event_once():
    with mixpanel_env("events_resume", records=80) as env:
        everything = _ids(env.make(page_size=400).pull("events", None))
        pulls = env.make(page_size=400).pull("events", None)
        first_part, cursor = [], None
        for batch in pulls:  # the run stops once the fourth export query (days 10..12) is stored
            first_part += [r.source_id for r in batch.records]
            if batch.cursor.get("complete_through") == "2026-11-12":
                cursor = batch.cursor
                break
        pulls.close()
        assert cursor is not None and sorted(cursor["days"]) == [f"2026-11-{d:02d}" for d in range(8, 13)]  # 5 days
        rest = _ids(env.make(page_size=400).pull("events", cursor))
        resumed = first_part + rest
        assert len(resumed) == len(set(resumed)) == len(everything) > 800
        assert set(resumed) == set(everything)
        assert len(everything) == len(set(everything)), "a duplicate $insert_id in the export is read once"


def test_late_events_in_the_reread_window_are_read_once_and_older_ones_are_not_reread():
    with mixpanel_env("late_events", records=60) as env:
        batches = list(env.make(start_date=(TODAY - timedelta(days=12)).isoformat()).pull("events", None))
        cursor = batches[-1].cursor
        assert cursor["complete_through"] == (TODAY - timedelta(days=1)).isoformat()
        if env.control is not None:  # a phone back online sends events of two and of ten days ago
            env.control.add_late_events(TODAY - timedelta(days=2), count=3)
            env.control.add_late_events(TODAY - timedelta(days=10), count=1)
        late = list(env.make().pull("events", cursor))
        found = _ids(late)
        assert len(found) == 3 and all(i.startswith(f"late-{TODAY - timedelta(days=2)}") for i in found)
        assert not _ids(env.make().pull("events", late[-1].cursor)), "a second pull finds nothing new"
        days = late[-1].cursor["days"]
        assert min(days) == (TODAY - timedelta(days=5)).isoformat() and max(days) == TODAY.isoformat()
        assert all(len(d["tail"]) < 50 for d in days.values()), "the cursor keeps IDs of the margin only"


def test_malformed_event_is_parked_with_its_reason_and_the_pull_goes_on():
    with mixpanel_env("malformed_event") as env:
        if env.control is not None:
            env.control.break_day(TODAY - timedelta(days=1))
        batches = list(env.make(start_date=(TODAY - timedelta(days=3)).isoformat()).pull("events", None))
        rejected = [r for b in batches for r in b.rejected]
        assert len(rejected) == 1
        assert rejected[0].reason.startswith("unusable event: not valid JSON")
        assert rejected[0].position and "line" in rejected[0].position and rejected[0].raw.startswith('{"event"')
        assert len(_ids(batches)) > 50


def test_rate_limited_then_success():
    with mixpanel_env("rate_limited") as env:
        if env.control is not None:
            env.control.transient.add(429, count=1, retry_after=2)
        connector = env.make(start_date=(TODAY - timedelta(days=1)).isoformat(), include_today=False)
        records = _ids(connector.pull("events", None))
        assert records
        assert connector.api_usage.retries == 1 and connector.api_usage.calls == 2
        assert env.sleeps and env.sleeps[0] >= 2


def test_export_hourly_limit_stops_the_pull_with_the_finished_days_saved():
    with mixpanel_env("export_budget") as env:
        connector = env.make(start_date=(TODAY - timedelta(days=5)).isoformat(), days_per_query=1, export_per_hour=3)
        got = []
        with pytest.raises(RateLimited, match=r"mixpanel export: the published rate limit \(3 per 3600s") as err:
            for batch in connector.pull("events", None):
                got.append(batch)
        assert err.value.retry_after and err.value.retry_after > 3000
        assert got[-1].cursor["complete_through"] == (TODAY - timedelta(days=3)).isoformat()
        assert connector.api_usage.calls == 3, "the refused query was never sent"


def test_profiles_pull_stopped_between_pages_and_resumed_reads_each_once():
    with mixpanel_env("profiles_resume") as env:
        if env.control is not None:
            env.control.engage_page_size = 50
        everything = _ids(env.make().pull("profiles", None))
        pulls = env.make().pull("profiles", None)
        first = [next(pulls), next(pulls)]
        pulls.close()
        assert first[-1].cursor["next_page"] == 2 and first[-1].cursor["session_id"]
        rest = list(env.make().pull("profiles", first[-1].cursor))
        resumed = _ids(first) + _ids(rest)
        assert len(resumed) == len(set(resumed)) == len(everything) > 110
        assert rest[-1].cursor["completed_at"] and rest[-1].cursor["session_id"] is None
        # a pass resumed mid-way lists only part of the profiles: it says nothing of what is gone
        assert all(batch.listed is None for batch in [*first, *rest])


def test_expired_engage_session_starts_the_pass_again():
    with mixpanel_env("profiles_session_expired") as env:
        if env.control is not None:
            env.control.engage_page_size = 40
        pulls = env.make().pull("profiles", None)
        first = next(pulls)
        pulls.close()
        if env.control is not None:
            env.control.expire_sessions()
        again = list(env.make().pull("profiles", first.cursor))
        assert set(_ids([first])) <= set(_ids(again))  # page 0 read again: the store upserts it
        assert len(_ids(again)) == len(set(_ids(again))) > 110


def test_deleted_profile_is_absent_and_the_anonymous_history_joins_the_user_by_device():
    mapping = load_mapping(MAPPING)
    with mixpanel_env("deleted_and_merged", records=100) as env:
        before = _ids(env.make().pull("profiles", None))
        victim = before[3]
        if env.control is not None:
            env.control.project.profiles.pop(victim)
        batches = list(env.make().pull("profiles", None))
        after = _ids(batches)
        assert victim not in after and len(after) == len(before) - 1
        # a whole pass's last batch lists every live profile, so the ingest learns the victim is gone
        assert [b.listed is not None for b in batches] == [False] * (len(batches) - 1) + [True]
        assert batches[-1].listed == frozenset(after)
        events = [r for b in env.make(start_date=(TODAY - timedelta(days=10)).isoformat()).pull("events", None)
                  for r in b.records]  # fmt: skip
    signup = next(r for r in events if r.raw["event"] == "Sign Up")
    device = signup.raw["properties"]["$device_id"]
    anonymous = [r for r in events if r.raw["properties"].get("distinct_id") == f"$device:{device}"]
    keys = {i.key for i in mapping.map(signup).models[0].identifiers}
    assert f"device_id:{device}" in keys and f"external_id:mixpanel:{signup.raw['properties']['$user_id']}" in keys
    for record in anonymous:  # every anonymous event shares the device ID with the sign-up
        assert f"device_id:{device}" in {i.key for i in mapping.map(record).models[0].identifiers}


def test_push_2100_updates_is_2_requests_with_per_record_failures():
    with mixpanel_env("push_strict") as env:
        connector = env.make()
        existing = _ids(connector.pull("profiles", None))
        ids = (existing + [f"cp-new-{n:04d}" for n in range(2100)])[:2100]
        if env.control is not None:
            env.control.fail_records([ids[5], ids[2050]])
        ops = [WriteOp(i, {"contactpoint_profile_id": f"cp_{n}", "contactpoint_intent_score": n / 100})
               for n, i in enumerate(ids)]  # fmt: skip
        ops += [
            WriteOp(ids[0], {}),
            WriteOp(None, {"x": 1}, match=("$email", "a@b.example")),
            WriteOp("null", {"x": 1}),
        ]
        before = connector.api_usage.snapshot()
        results = connector.push(WriteBatch("mixpanel", "profiles", ops))
        assert connector.api_usage.since(before).calls == 2
        assert [r.source_id for r in results[:2100]] == ids
        failed = {r.source_id: r.error_code for r in results if r.outcome is WriteOutcome.FAILED}
        assert failed == {ids[5]: "INVALID_UPDATE", ids[2050]: "INVALID_UPDATE", None: "CREATE_UNSUPPORTED",
                          "null": "INVALID_UPDATE"}  # fmt: skip
        assert results[2100].outcome is WriteOutcome.UNCHANGED
        assert sum(r.outcome is WriteOutcome.WRITTEN for r in results) == 2098
        if env.control is not None:
            profile = env.control.project.profiles[ids[7]]
            assert profile["contactpoint_profile_id"] == "cp_7" and ids[5] in env.control.project.profiles


def test_push_rate_limited_fails_the_request_retryably_and_sends_no_more():
    with mixpanel_env("push_rate_limited") as env:
        if env.control is not None:
            env.control.transient.add(429, count=5, retry_after=0)
        connector = env.make(batch_size=10)
        ops = [WriteOp(f"user-{n}", {"contactpoint_segment": "smb"}) for n in range(25)]
        results = connector.push(WriteBatch("mixpanel", "profiles", ops))
        assert connector.api_usage.calls == 5  # one request, tried five times; the other two never sent
        assert {r.error_code for r in results[:10]} == {"RATE_LIMITED"}
        assert {r.error_code for r in results[10:]} == {"NOT_SENT"}
        assert all(r.retryable and r.outcome is WriteOutcome.FAILED for r in results)
