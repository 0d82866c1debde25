"""The HubSpot connector against recorded sandbox traffic (cassettes/hubspot/*.yaml).

Each test runs the real connector (the metered session, pacing, retries) against a
cassette; ``make cassettes`` re-records them against the sandbox, where ``env.control``
sets the scene (ties, archives, merges, faults) before the calls are made.
"""

from __future__ import annotations

import pytest

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from core.errors import BudgetExhaustedError

from .conftest import hubspot_env


def _ids(batches):
    return [r.source_id for b in batches for r in b.records]


def _live(batches):
    return [r.source_id for b in batches for r in b.records if not r.deleted]


def test_incremental_pull_resumes_across_pages_and_a_run_of_equal_times_longer_than_a_page():
    with hubspot_env("incremental_ties", records=400) as env:
        if env.control is not None:  # 150 contacts around the first page edge share one modified time
            portal = env.control.portal
            contacts = sorted(portal.live("contacts"), key=lambda r: (r.modified, int(r.id)))
            shared = contacts[60].modified
            for record in contacts[60:210]:
                record.modified = shared
        everything = _live(env.make(page_size=100).pull("contacts", None))
        pulls = env.make(page_size=100).pull("contacts", None)
        first = next(pulls)  # the archived pass
        second = next(pulls)  # the run stops after this batch was stored
        pulls.close()
        assert len(second.cursor["ids_at_modified"]) == 40  # rows 60..99 of the shared time
        rest = _live(env.make(page_size=100).pull("contacts", second.cursor))
        resumed = [r.source_id for r in first.records + second.records if not r.deleted] + rest
        assert sorted(resumed) == sorted(everything)
        assert len(resumed) == len(set(resumed)) == len(everything) > 380


def test_search_ceiling_is_never_reached_however_many_records_changed():
    with hubspot_env("search_ceiling", records=700) as env:
        if env.control is not None:
            env.control.search_ceiling = 300  # HubSpot's is 10,000; the same wall, met with fewer records
        connector = env.make(page_size=100)
        ids = _live(connector.pull("contacts", None))
        assert len(ids) == len(set(ids)) > 650


def test_archived_and_merged_contacts_are_marked_deleted_and_the_loser_points_at_the_winner():
    with hubspot_env("archived_merged") as env:
        batches = list(env.make().pull("contacts", None))
        cursor = batches[-1].cursor
        seeded_merges = [r for b in batches for r in b.records if r.merged_into]
        assert seeded_merges and all(r.deleted for r in seeded_merges)
        if env.control is not None:
            portal = env.control.portal
            live = list(portal.live("contacts"))
            portal.archive(live[10])
            portal.merge(live[20], live[21])
        later = [r for b in env.make().pull("contacts", cursor) for r in b.records]
        by_id = {}
        for record in later:
            by_id.setdefault(record.source_id, []).append(record)
        archived = [r for r in later if r.deleted and not r.merged_into]
        merged = [r for r in later if r.merged_into]
        assert len(merged) == 1 and merged[0].deleted
        winner = merged[0].merged_into
        assert [r.deleted for r in by_id[winner]] == [False]
        assert merged[0].source_id in by_id[winner][0].raw["properties"]["hs_merged_object_ids"]
        assert len({r.source_id for r in archived} - {merged[0].source_id}) == 1
        assert by_id[merged[0].source_id][-1].merged_into == winner  # the merge is the loser's last word


def test_rate_limited_then_success_waits_retry_after():
    with hubspot_env("rate_limited") as env:
        connector = env.make()
        if env.control is not None:
            env.control.fail_next(1, status=429, retry_after=2)
        records = _ids(connector.pull("companies", None))
        assert records
        assert connector.api_usage.retries == 1 and connector.api_usage.throttled_seconds >= 2
        assert 2 in [round(s) for s in env.sleeps]


def test_malformed_record_is_parked_with_its_reason_and_the_pull_goes_on():
    with hubspot_env("malformed_record") as env:
        if env.control is not None:
            env.control.corrupt_record("contacts", record_id="1007")
        batches = list(env.make().pull("contacts", None))
        rejected = [r for b in batches for r in b.rejected]
        assert len(rejected) == 1 and rejected[0].source_id == "1007"
        assert "lastmodifieddate" in rejected[0].reason and "2026-02-30T25:61:00Z" in rejected[0].reason
        assert len(_live(batches)) > 280 and "1007" not in _ids(batches)


def test_push_250_updates_and_an_upsert_ties_each_207_error_and_a_refused_value_to_its_record():
    with hubspot_env("push_batches", records=300) as env:
        connector = env.make()
        ids = _live(connector.pull("contacts", None))[:250]
        if env.control is not None:
            env.control.fail_records([ids[7], ids[180]])
        ops = [WriteOp(i, {"jobtitle": f"p-{n}"}) for n, i in enumerate(ids)]
        ops[42] = WriteOp(ids[42], {"email": "not-an-email"})  # refused by HubSpot: the whole request is a 400
        ops.append(WriteOp("99999999", {"jobtitle": "ghost"}))
        ops.append(WriteOp(None, {"firstname": "Nadia"}, match=("email", "Nadia.New@Example.com")))
        before = connector.api_usage.snapshot()
        results = connector.push(WriteBatch("hubspot", "contacts", ops))
        failed = {r.source_id: r.error_code for r in results if r.outcome is WriteOutcome.FAILED}
        assert failed == {
            ids[7]: "VALIDATION_ERROR:crm.validation.rule",
            ids[180]: "VALIDATION_ERROR:crm.validation.rule",
            ids[42]: "VALIDATION_ERROR:INVALID_EMAIL",
            "99999999": "OBJECT_NOT_FOUND",
        }
        created = results[-1]
        assert created.outcome is WriteOutcome.WRITTEN and created.source_id and created.source_id.isdigit()
        assert [r.source_id for r in results[:-1]] == [op.source_id for op in ops[:-1]]
        assert sum(r.outcome is WriteOutcome.WRITTEN for r in results) == 248
        # 3 updates of 100 (one 400 halved down to the bad record: 2 * 7 more) and 1 upsert
        assert connector.api_usage.since(before).calls == 3 + 14 + 1


def test_oauth_token_is_renewed_when_it_expires_mid_run():
    with hubspot_env("oauth_renewal", auth="oauth") as env:
        connector = env.make()
        first = _ids(connector.pull("companies", None))
        if env.control is not None:
            assert env.control.tokens.expire_all() == 1
        before = connector.api_usage.snapshot()
        again = _ids(connector.pull("companies", None))
        assert again == first
        # archived list refused (401), a new token, the archived list, one search page
        assert connector.api_usage.since(before).calls == 4


def test_api_budget_stops_cleanly_before_the_share_is_spent():
    with hubspot_env("api_budget", records=500, api_limit=1000) as env:
        connector = env.make(page_size=100, api_budget_share=0.5)
        if env.control is not None:
            env.control.set_api_usage(496, limit=1000)
        got = []
        with pytest.raises(BudgetExhaustedError, match=r"500 of 1000 daily API calls used") as err:
            for batch in connector.pull("contacts", None):
                got.append(batch)
        assert got, "the batches read before the stop keep their cursors"
        assert err.value.hint and "api_budget_share" in err.value.hint


def test_email_events_pull_resumes_inside_a_window_without_repeats():
    with hubspot_env("email_events", records=60) as env:
        everything = _ids(env.make(events_page_size=100).pull("email_events", None))
        pulls = env.make(events_page_size=100).pull("email_events", None)
        first = next(pulls)
        pulls.close()
        assert first.cursor["window"]["offset"] and first.cursor["created"] is None
        rest = _ids(env.make(events_page_size=100).pull("email_events", first.cursor))
        resumed = [r.source_id for r in first.records] + rest
        assert sorted(resumed) == sorted(everything) and len(resumed) == len(set(resumed)) > 200
        kinds = {r.raw["type"] for b in env.make(events_page_size=1000).pull("email_events", None) for r in b.records}
        assert {"SENT", "DELIVERED", "OPEN", "CLICK", "BOUNCE", "STATUSCHANGE"} <= kinds


def test_subscriptions_say_when_each_status_was_stated():
    with hubspot_env("subscriptions", records=100) as env:
        records = [r for b in env.make().pull("subscriptions", None) for r in b.records]
        tomas = {r.source_id: r for r in records if r.raw["contactId"] == "102"}
        wide = tomas["102:all"]
        assert wide.raw["status"] == "NOT_SUBSCRIBED" and wide.updated_at.isoformat() == "2026-10-01T09:15:00+00:00"
        maya = [r for r in records if r.raw["contactId"] == "101"]
        assert [(r.raw["subscriptionName"], r.raw["status"]) for r in maya] == [("Marketing Information", "SUBSCRIBED")]
        assert maya[0].updated_at.isoformat() == "2025-12-30T09:00:00+00:00"
