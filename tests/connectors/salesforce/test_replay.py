"""The Salesforce connector against recorded sandbox traffic (cassettes/salesforce/*.yaml).

Each test runs the real connector (simple-salesforce, the metered session, retries)
against a cassette; ``make cassettes`` re-records them against the sandbox, where
``env.control`` sets the scene (faults, ties, deletions) before the calls are made.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from core.errors import BudgetExhaustedError

from .conftest import ROOT, salesforce_env

MAPPING = ROOT / "mappings" / "salesforce.yaml"


def _ids(batches):
    return [r.source_id for b in batches for r in b.records]


def test_incremental_pull_across_pages_with_records_sharing_the_bookmark_timestamp():
    with salesforce_env("incremental_ties") as env:
        if env.control is not None:  # make 120 contacts straddling the first page boundary share one stamp
            org = env.control.org
            contacts = sorted(org.live("Contact", include_deleted=True), key=lambda r: (r["SystemModstamp"], r["Id"]))
            shared = contacts[140]["SystemModstamp"]
            for record in contacts[140:260]:
                record["SystemModstamp"] = shared
        connector = env.make(page_size=200)
        everything = _ids(connector.pull("Contact", None))
        pulls = connector.pull("Contact", None)
        first = next(pulls)  # the run stops after its first batch was stored
        pulls.close()
        assert len(first.cursor["ids_at_modstamp"]) == 60  # rows 140..199 of the shared stamp
        rest = _ids(env.make(page_size=200).pull("Contact", first.cursor))
        resumed = [r.source_id for r in first.records] + rest
        assert sorted(resumed) == sorted(everything)
        assert len(resumed) == len(set(resumed)) == len(everything) > 260


def test_pulled_records_are_plain_dicts_not_ordered_ones():
    """An OrderedDict a record (simple-salesforce's default) parses three times slower and holds half again the memory."""
    with salesforce_env("incremental_ties") as env:
        connector = env.make(page_size=200)
        pages: list[list[dict]] = []  # each page's records, as the client parsed them
        query_pages = connector.client.query_pages

        def kept(*args, **kwargs):
            for page in query_pages(*args, **kwargs):
                pages.append(list(page["records"]))
                yield page

        connector.client.query_pages = kept  # type: ignore[method-assign]
        pulled = [r for b in connector.pull("Contact", None) for r in b.records]

    def kinds(value: object) -> set[type]:
        if isinstance(value, dict):
            return {type(value)}.union(*(kinds(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(kinds(v) for v in value))
        return set()

    assert len(pages) > 1 and len(pulled) == sum(len(records) for records in pages) > 260
    assert set().union(*(kinds(records) for records in pages)) == {dict}


def test_deleted_and_merged_records_are_marked():
    with salesforce_env("deleted_records") as env:
        connector = env.make()
        batches = list(connector.pull("Contact", None))
        cursor = batches[-1].cursor
        if env.control is not None:
            org = env.control.org
            victim = next(r for r in org.live("Contact") if not r.get("IsDeleted"))
            org.update(victim, {"IsDeleted": True})
        later = list(env.make().pull("Contact", cursor))
        changed = [r for b in later for r in b.records]
        assert len(changed) == 1 and changed[0].deleted and changed[0].merged_into is None
        merged = [r for b in batches for r in b.records if r.merged_into]
        assert merged and all(r.deleted for r in merged)


def test_bulk_pull_streams_several_result_pages():
    with salesforce_env("bulk_pull") as env:
        rest = _ids(env.make().pull("Contact", None))
        before = None
        connector = env.make(bulk_query_threshold=10, bulk_page_records=100, page_size=500)
        before = connector.api_usage.snapshot()
        bulk = _ids(connector.pull("Contact", None))
        assert bulk == rest
        used = connector.api_usage.since(before).calls
        # token, describe, first REST page, create job, >=1 status poll, 4 result pages of <=100 rows
        assert used >= 8 and len(rest) > 300


def test_push_450_records_is_3_collection_requests_with_two_failures():
    with salesforce_env("push_collections", records=500) as env:
        connector = env.make()
        ids = [r.source_id for b in connector.pull("Contact", None) for r in b.records if not r.deleted][:450]
        assert len(ids) == 450
        if env.control is not None:
            env.control.fail_records([ids[7], ids[301]])
        before = connector.api_usage.snapshot()
        results = connector.push(
            WriteBatch("salesforce", "Contact", [WriteOp(i, {"Title": f"p-{n}"}) for n, i in enumerate(ids)])
        )
        assert connector.api_usage.since(before).calls == 3
        failed = [(r.source_id, r.error_code) for r in results if r.outcome is WriteOutcome.FAILED]
        assert [f[0] for f in failed] == [ids[7], ids[301]]
        assert all(code for _, code in failed)
        assert sum(r.outcome is WriteOutcome.WRITTEN for r in results) == 448
        assert [r.source_id for r in results] == ids


def test_rate_limited_then_success():
    with salesforce_env("rate_limited") as env:
        connector = env.make()
        connector.client.connect()
        if env.control is not None:
            env.control.fail_next(1, status=429, retry_after=2)
        records = _ids(connector.pull("Account", None))
        assert records
        assert connector.api_usage.retries == 1 and connector.api_usage.throttled_seconds >= 2
        assert env.sleeps and env.sleeps[0] >= 2


def test_expired_session_is_renewed_once():
    with salesforce_env("expired_session") as env:
        connector = env.make()
        connector.client.connect()
        if env.control is not None:
            assert env.control.expire_sessions() >= 1
        before = connector.api_usage.snapshot()
        records = _ids(connector.pull("Account", None))
        assert records
        # describe refused (401), token again, describe, query
        assert connector.api_usage.since(before).calls == 4


def test_api_budget_stops_cleanly_before_the_share_is_spent():
    with salesforce_env("api_budget", records=1000, api_limit=1000) as env:
        connector = env.make(page_size=200, api_budget_share=0.5)
        if env.control is not None:
            env.control.set_api_usage(496, limit=1000)
        pulls = connector.pull("Contact", None)
        got = []
        with pytest.raises(BudgetExhaustedError, match=r"500 of 1000 daily API calls used") as err:
            for batch in pulls:
                got.append(batch)
        assert got, "the batches read before the stop keep their cursors"
        assert err.value.hint and "api_budget_share" in err.value.hint
        assert connector.client.limit == (500, 1000)


def test_soql_filter_value_with_quotes_and_backslashes():
    tricky = 'O\'Brien \\ "Tricky"'
    with salesforce_env("soql_escaping") as env:
        if env.control is not None:
            org = env.control.org
            target = next(r for r in org.live("Contact") if not r.get("IsDeleted"))
            org.update(target, {"LastName": tricky})
        connector = env.make(objects=[{"name": "Contact", "fields": ["LastName"], "where": {"LastName": tricky}}])
        records = [r for b in connector.pull("Contact", None) for r in b.records]
        assert len(records) == 1 and records[0].raw["LastName"] == tricky


def test_formula_fields_are_reread_when_the_refresh_is_due():
    with salesforce_env("formula_refresh") as env:
        now = [None]
        connector = env.make(formula_refresh_hours=1)
        batches = list(connector.pull("Contact", None))
        cursor = batches[-1].cursor
        assert cursor["formula_refreshed_at"]
        if env.control is not None:
            env.control.change_formula()
        from connectors.salesforce.bookmark import parse_modstamp

        refreshed_at = parse_modstamp(cursor["formula_refreshed_at"])
        late = env.make(formula_refresh_hours=1)
        late._reader._now = lambda: refreshed_at + timedelta(hours=2)
        again = _ids(late.pull("Contact", cursor))
        assert sorted(again) == sorted(_ids(batches))
        del now


def test_malformed_record_is_rejected_and_the_pull_goes_on():
    with salesforce_env("malformed_record") as env:
        if env.control is not None:
            env.control.corrupt_record("Contact", field="SystemModstamp", value="2024-13-45T99:00:00.000+0000")
        batches = list(env.make().pull("Contact", None))
        rejected = [r for b in batches for r in b.rejected]
        assert len(rejected) == 1 and "SystemModstamp" in rejected[0].reason
        assert len(_ids(batches)) > 250


def test_setup_creates_places_and_grants_the_mapping_fields_idempotently_then_push_uses_them():
    from connectors.base import SetupAction as Action
    from connectors.salesforce.provision import apply, field_specs, plan
    from core.mapping import load_mapping

    with salesforce_env("setup_fields") as env:
        connector = env.make(setup={"integration_profile": "Contactpoint Integration"})
        settings = connector.config.setup
        specs = field_specs(load_mapping(MAPPING).writeback_targets(), connector.config)
        assert {s.field for s in specs} >= {"Contactpoint_Profile_Id__c", "Contactpoint_Suppression_Reasons__c"}
        first = plan(connector.client, specs, settings)
        to_create = {(c.spec.sobject, c.spec.field) for c in first.fields if c.action is Action.CREATE}
        assert to_create == {(s.sobject, s.field) for s in specs}  # a fresh org has none of them
        assert {c.layout for c in first.layouts if c.action is Action.CREATE} == {
            "Contact Layout", "Contact (Support) Layout", "Lead Layout"}  # fmt: skip
        edits = {c.profile for c in first.grants if c.edit}
        assert edits == {"Contactpoint Integration"} and len(first.grants) == 3 * len(specs)
        done = apply(connector.client, first, settings)
        assert done.pending() == 0 and done.done() == first.pending()
        again = plan(env.make(setup={"integration_profile": "Contactpoint Integration"}).client, specs, settings)
        assert again.pending() == 0 and again.done() == 0
        target = next(r.source_id for b in connector.pull("Lead", None) for r in b.records if not r.deleted)
        fields = {
            "Contactpoint_Intent__c": 0.75,
            "Contactpoint_Segment__c": "smb",
            "Contactpoint_Open_Tickets__c": 2,
            "Contactpoint_Suppressed__c": True,
            "Contactpoint_Suppression_Reasons__c": "urgent_ticket;legal_hold",
        }
        result = connector.push(WriteBatch("salesforce", "Lead", [WriteOp(target, fields)]))
        assert result[0].outcome is WriteOutcome.WRITTEN, result


def test_bulk_ingest_push_ties_results_back():
    with salesforce_env("push_bulk", records=300) as env:
        connector = env.make(bulk_ingest_threshold=50)
        ids = [r.source_id for b in connector.pull("Contact", None) for r in b.records if not r.deleted][:120]
        if env.control is not None:
            env.control.fail_records([ids[3]])
        results = connector.push(WriteBatch("salesforce", "Contact", [WriteOp(i, {"Title": f"b-{i}"}) for i in ids]))
        assert [r.source_id for r in results] == ids
        failed = [r.source_id for r in results if r.outcome is WriteOutcome.FAILED]
        assert failed == [ids[3]]


def _throwaway_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_jwt_bearer_auth():
    with salesforce_env("auth_jwt") as env:
        creds = env.credentials
        auth = {"kind": "jwt_bearer", "client_id": "replay", "username": "replay", "private_key": _throwaway_key()}
        if creds is not None:
            auth = {"kind": "jwt_bearer", "client_id": creds["consumer_key"], "username": creds["username"],
                    "private_key_file": creds["private_key_file"], "audience": creds["audience"]}  # fmt: skip
        connector = env.make(auth=auth)
        result = connector.check()
        assert result.ok and result.facts["auth"] == "jwt_bearer"


def test_session_auth_uses_the_given_session_and_cannot_renew():
    with salesforce_env("auth_session") as env:
        creds = env.credentials or {"session_id": "replay", "instance_url": "https://127.0.0.1:1"}
        connector = env.make(
            auth={"kind": "session", "session_id": creds["session_id"]}, instance_url=creds["instance_url"]
        )
        assert connector.check().ok
        if env.control is not None:
            env.control.expire_sessions()
        from core.errors import AuthError

        with pytest.raises(AuthError, match="INVALID_SESSION_ID"):
            list(connector.pull("Account", None))
