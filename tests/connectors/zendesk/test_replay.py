"""The Zendesk connector against recorded sandbox traffic (cassettes/zendesk/*.yaml).

Each test runs the real connector (the metered session, pacing, retries, job polling)
against a cassette; ``make cassettes`` re-records them against the sandbox, where
``env.control`` sets the scene (faults, deletions, merges) before the calls are made.
"""

from __future__ import annotations

from collections import Counter

import pytest

from connectors.base import RejectionCode, WritebackTarget, WriteBatch, WriteOp, WriteOutcome
from core.errors import AuthError, ConnectorConfigError
from sandbox.common.control import FaultSpec
from sandbox.zendesk.account import Kind

from .conftest import zendesk_env

PROFILE = "user_fields.contactpoint_profile_id"
TARGETS = [
    WritebackTarget("users", PROFILE, "profile_id"),
    WritebackTarget("users", "user_fields.contactpoint_intent", "enrichment.intent_score"),
    WritebackTarget("users", "user_fields.contactpoint_suppressed", "suppression.marketing"),
]


def _ids(batches):
    return [r.source_id for b in batches for r in b.records]


def _live_users(connector, limit=None):
    ids = [r.source_id for b in connector.pull("users", None) for r in b.records if not r.deleted]
    return ids[:limit] if limit else ids


def test_users_pull_across_pages_stops_and_resumes_from_the_saved_cursor():
    with zendesk_env("users_resume", records=120) as env:
        everything = _ids(env.make(page_size=40).pull("users", None))
        pulls = env.make(page_size=40).pull("users", None)
        first = next(pulls)  # the run stops after its first batch was stored
        pulls.close()
        assert set(first.cursor) == {"after_cursor"} and len(first.records) == 40
        rest = list(env.make(page_size=40).pull("users", first.cursor))
        resumed = [r.source_id for r in first.records] + _ids(rest)
        assert resumed == everything  # the same records in the same order: none lost, none repeated
        assert len(everything) == len(set(everything)) > 120 and len(rest) == 3
        again = list(env.make().pull("users", rest[-1].cursor))  # nothing changed since: one empty page
        assert [b.records for b in again] == [[]] and again[-1].cursor == rest[-1].cursor


def test_tickets_carry_their_metric_set_and_deleted_tickets_are_marked():
    with zendesk_env("tickets_pull", records=120) as env:
        records = [r for b in env.make().pull("tickets", None) for r in b.records]
        solved = [r for r in records if r.raw["status"] in {"solved", "closed"}]
        assert solved and all(r.raw["metric_set"]["solved_at"] for r in solved)
        assert all(r.raw["metric_set"]["solved_at"] is None for r in records if r.raw["status"] in {"new", "open"})
        deleted = [r for r in records if r.deleted]
        assert deleted and all(r.raw["status"] == "deleted" for r in deleted)
        archived = [r for r in records if r.raw["status"] == "closed"]  # archived by Zendesk, still exported
        assert archived and not any(r.deleted for r in archived)
        assert {r.raw["via"]["channel"] for r in records} >= {"email", "web"}


def test_organizations_time_export_drops_the_overlap_and_resumes_at_the_watermark():
    with zendesk_env("organizations_ties", records=600) as env:
        if env.recording:  # 30 organizations across the first page boundary share one second
            orgs = env.control.account.ordered(Kind.ORGANIZATIONS)
            shared = orgs[40]["updated_at"]
            for org in orgs[40:70]:
                org["updated_at"] = shared
        connector = env.make(page_size=50)
        everything = _ids(connector.pull("organizations", None))
        pulls = env.make(page_size=50).pull("organizations", None)
        first = next(pulls)
        pulls.close()
        assert len(first.cursor["ids_at_updated_at"]) >= 10  # the page ended inside the shared second
        rest = _ids(env.make(page_size=50).pull("organizations", first.cursor))
        resumed = [r.source_id for r in first.records] + rest
        assert sorted(resumed) == sorted(everything)
        assert len(resumed) == len(set(resumed)) == len(everything) > 120


def test_deleted_and_merged_users_come_back_deleted_and_tickets_follow_the_merge():
    with zendesk_env("deleted_and_merged", records=60) as env:
        users = list(env.make().pull("users", None))
        tickets = list(env.make().pull("tickets", None))
        requesters = Counter(r.raw["requester_id"] for b in tickets for r in b.records)
        live = [r for b in users for r in b.records if not r.deleted and r.raw["role"] == "end-user"]
        source = next(r for r in live if requesters[int(r.source_id)] >= 1)
        target = next(r for r in live if r.source_id != source.source_id)
        gone = next(r for r in live if r.source_id not in {source.source_id, target.source_id})
        if env.recording:
            env.control.merge_users(int(source.source_id), int(target.source_id))
            env.control.delete("users", int(gone.source_id))
            env.control.advance_clock(61)  # exports leave out the last minute
        changed = {r.source_id: r for b in env.make().pull("users", users[-1].cursor) for r in b.records}
        assert changed[source.source_id].deleted and changed[gone.source_id].deleted
        assert not changed[target.source_id].deleted
        moved = [r for b in env.make().pull("tickets", tickets[-1].cursor) for r in b.records]
        assert len(moved) == requesters[int(source.source_id)]
        assert {r.raw["requester_id"] for r in moved} == {int(target.source_id)}


def test_rate_limited_then_success():
    with zendesk_env("rate_limited", records=60) as env:
        connector = env.make()
        if env.recording:
            env.control.fail_next(1, status=429, retry_after=2)
        records = _ids(connector.pull("organizations", None))
        assert records
        assert connector.api_usage.retries == 1 and connector.api_usage.throttled_seconds >= 2
        assert env.sleeps[0] >= 2


def test_exports_are_paced_to_their_own_limit():
    with zendesk_env("exports_paced", records=120, export_limit=10) as env:
        connector = env.make(exports_per_minute=2, page_size=40)
        batches = list(connector.pull("users", None))
        assert len(batches) == 4
        assert env.sleeps == [60.0]  # the 3rd page waits out the minute of the first two; the 4th goes with it
        assert connector.api_usage.retries == 0  # pacing, not 429s


def test_malformed_record_is_parked_with_its_reason_and_the_pull_goes_on():
    with zendesk_env("malformed_record", records=120) as env:
        if env.recording:
            env.control.corrupt_record("users")
        batches = list(env.make().pull("users", None))
        rejected = [r for b in batches for r in b.rejected]
        assert len(rejected) == 1
        assert "updated_at" in rejected[0].reason and "2024-13-45T99:00:00Z" in rejected[0].reason
        assert rejected[0].source_id and rejected[0].position == "page 1 record 1"
        assert (rejected[0].code, rejected[0].field) == (RejectionCode.UNREADABLE, "updated_at")
        assert len(_ids(batches)) > 120


def test_setup_then_push_250_users_is_3_update_jobs_with_per_record_failures():
    with zendesk_env("push_update_many", records=260) as env:
        connector = env.make()
        plan = connector.provision(TARGETS, apply=True)
        assert plan.done() == 3
        ids = _live_users(connector)[3:253]
        if env.recording:
            env.control.fail_records([int(ids[7]), int(ids[201])])
        ops = [WriteOp(i, {PROFILE: f"cp_{n}", "user_fields.contactpoint_intent": 0.25}) for n, i in enumerate(ids)]
        ops.append(WriteOp(ids[0], {}))
        before = connector.api_usage.snapshot()
        results = connector.push(WriteBatch("zendesk", "users", ops))
        assert connector.api_usage.since(before).calls == 4  # 3 update_many + 1 job_statuses/show_many
        assert [r.source_id for r in results] == [*ids, ids[0]]
        failed = [(r.source_id, r.error_code, r.retryable) for r in results if r.outcome is WriteOutcome.FAILED]
        assert failed == [(ids[7], "RecordInvalid", False), (ids[201], "RecordInvalid", False)]
        assert sum(r.outcome is WriteOutcome.WRITTEN for r in results) == 248
        assert results[-1].outcome is WriteOutcome.UNCHANGED
        if env.recording:
            stored = env.control.account.users[int(ids[5])]["user_fields"]
            assert stored == {"contactpoint_profile_id": "cp_5", "contactpoint_intent": 0.25}


def test_create_or_update_by_email_creates_and_updates_and_reports_refusals():
    with zendesk_env("push_create_or_update", records=30) as env:
        connector = env.make()
        connector.provision(TARGETS, apply=True)
        existing = next(r for b in connector.pull("users", None) for r in b.records
                        if not r.deleted and r.raw.get("email") and r.raw["role"] == "end-user")  # fmt: skip
        ops = [
            WriteOp(None, {PROFILE: "cp_new", "name": "Ines Novak"}, match=("email", "ines.novak@example.org")),
            WriteOp(None, {PROFILE: "cp_old"}, match=("email", existing.raw["email"].upper())),
            WriteOp(None, {PROFILE: "cp_bad"}, match=("email", "nobody@example.org")),  # a new user needs a name
            WriteOp(None, {PROFILE: "x"}, match=("phone", "+15550100")),
            WriteOp(None, {PROFILE: "x"}),
        ]
        results = connector.push(WriteBatch("zendesk", "users", ops))
        created, updated, refused, by_phone, no_match = results
        assert created.outcome is WriteOutcome.WRITTEN and created.source_id and created.source_id.isdigit()
        assert updated.outcome is WriteOutcome.WRITTEN and updated.source_id == existing.source_id
        assert refused.outcome is WriteOutcome.FAILED and refused.error_code == "RecordInvalid"
        assert "Name" in (refused.message or "")
        assert (by_phone.error_code, no_match.error_code) == ("MATCH_UNSUPPORTED", "CREATE_UNSUPPORTED")


def test_a_job_that_fails_or_never_ends_fails_each_of_its_records_retryable():
    with zendesk_env("push_job_failures") as env:
        connector = env.make(job_timeout_seconds=3, job_poll_seconds=1)
        connector.provision(TARGETS, apply=True)
        ids = _live_users(connector)[3:303]
        if env.recording:
            env.control.inject(FaultSpec("job_fails"))
            env.control.inject(FaultSpec("job_stalls"))
        results = connector.push(
            WriteBatch("zendesk", "users", [WriteOp(i, {PROFILE: f"j{n}"}) for n, i in enumerate(ids)])
        )
        codes = [r.error_code for r in results]
        assert codes[:100] == ["JOB_FAILED"] * 100 and codes[100:200] == ["JOB_TIMEOUT"] * 100
        assert all(r.outcome is WriteOutcome.FAILED and r.retryable for r in results[:200])
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results[200:])
        assert env.sleeps == [1, 1, 1]  # polled until the 3 s wait ran out


def test_a_slow_job_is_polled_until_it_completes():
    with zendesk_env("push_slow_job", records=30) as env:
        connector = env.make(job_poll_seconds=2)
        connector.provision(TARGETS, apply=True)
        ids = _live_users(connector)[3:13]
        if env.recording:
            env.control.job_reads(2)  # "working" twice before "completed"
        results = connector.push(WriteBatch("zendesk", "users", [WriteOp(i, {PROFILE: "slow"}) for i in ids]))
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results)
        assert env.sleeps == [2, 2]


def test_write_back_names_a_missing_user_field_and_an_unknown_attribute():
    with zendesk_env("push_prechecks", records=30) as env:
        connector = env.make()
        user = _live_users(connector, 5)[4]
        results = connector.push(WriteBatch("zendesk", "users", [
            WriteOp(user, {PROFILE: "cp_1"}), WriteOp(user, {"favourite_colour": "blue"}),
            WriteOp("not-an-id", {"notes": "x"})]))  # fmt: skip
        assert [r.error_code for r in results] == ["USER_FIELD_MISSING", "UNKNOWN_FIELD", "INVALID_ID"]
        assert "contactpoint setup zendesk" in (results[0].message or "")
        with pytest.raises(ConnectorConfigError, match="not writable"):
            connector.push(WriteBatch("zendesk", "tickets", [WriteOp("1", {"tags": ["x"]})]))


def test_oauth_token_auth_and_refused_credentials():
    with zendesk_env("auth_modes", records=30) as env:
        token = env.credentials["oauth_token"] if env.credentials else "replay"
        connector = env.make(auth={"kind": "oauth", "access_token": token})
        result = connector.check()
        assert result.ok and result.facts["auth"] == "oauth" and result.api_limit == 700
        assert set(result.facts["streams_readable"]) == {"users", "organizations", "tickets"}
        refused = env.make(
            auth={"kind": "api_token", "email": "admin@contactpoint-sandbox.example.com", "api_token": "wrong"}
        )
        with pytest.raises(AuthError, match="Couldn't authenticate you") as err:
            refused.check()
        assert err.value.hint and "API token" in err.value.hint


def test_no_secret_reaches_the_logs(capsys):
    import base64

    from core.logs import configure

    configure(json=True, level="DEBUG")
    with zendesk_env("logs_redacted", records=60) as env:
        settings = env.settings()
        token, email = settings["auth"]["api_token"], settings["auth"]["email"]
        connector = env.make()
        if env.recording:
            env.control.fail_next(1, status=429, retry_after=2)
        assert _ids(connector.pull("organizations", None))
    logged = capsys.readouterr().err
    assert "http.request_retried" in logged and "stream.page_fetched" in logged
    basic = base64.b64encode(f"{email}/token:{token}".encode()).decode()
    assert token not in logged and basic not in logged and email not in logged  # emails are hashed
