"""Unit tests of the Salesforce connector's pure parts and its reader/write-back over a fake client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.salesforce.bookmark import Bookmark, format_modstamp, parse_modstamp
from connectors.salesforce.client import BulkIngestResult, parse_limit_info
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.csvrows import coerce_row, iter_csv_rows, rows_to_csv
from connectors.salesforce.errors import map_error, record_failure
from connectors.salesforce.reader import StreamReader, _rest_rows
from connectors.salesforce.streams import build_soql
from connectors.salesforce.writeback import WriteBack
from core.errors import (
    AuthError,
    BudgetExhaustedError,
    ConnectorConfigError,
    FatalApiError,
    RateLimited,
    RetryableError,
)

from .fakes import FakeClient, row

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T1, T2, T3 = "2024-05-01T10:00:00.000+0000", "2024-05-01T10:00:01.000+0000", "2024-05-01T10:00:02.000+0000"


def config(**overrides):
    base = {"auth": {"kind": "session", "session_id": "x"}, "instance_url": "https://example.my.salesforce.com"}
    return SalesforceConfig.model_validate({**base, **overrides})


def reader(client, **overrides):
    return StreamReader(client, config(**overrides), system="salesforce", now=lambda: NOW)


# -- config ----------------------------------------------------------------------------------


def test_config_auth_union_and_validation():
    cfg = SalesforceConfig.model_validate(
        {"auth": {"kind": "client_credentials", "client_id": "a", "client_secret": "s3cr3t"}}
    )
    assert cfg.auth.kind == "client_credentials" and "s3cr3t" not in repr(cfg)
    with pytest.raises(ValidationError, match="instance_url"):
        SalesforceConfig.model_validate({"auth": {"kind": "session", "session_id": "x"}})
    with pytest.raises(ValidationError, match="exactly one"):
        SalesforceConfig.model_validate({"auth": {"kind": "jwt_bearer", "client_id": "a", "username": "u"}})
    with pytest.raises(ValidationError):
        config(objects=[{"name": "Contact; DROP"}])


# -- bookmark and SOQL -----------------------------------------------------------------------


def test_bookmark_round_trip_and_tie_handling():
    mark = Bookmark()
    mark.advance(parse_modstamp(T1), "a")
    mark.advance(parse_modstamp(T1), "b")
    again = Bookmark.from_cursor(mark.to_cursor())
    assert again.seen(parse_modstamp(T1), "a") and again.seen(parse_modstamp(T1), "b")
    assert not again.seen(parse_modstamp(T1), "c")
    assert again.seen(parse_modstamp(T1) - timedelta(milliseconds=1), "z")
    again.advance(parse_modstamp(T2), "c")
    assert again.ids_at_modstamp == {"c"}
    assert format_modstamp(parse_modstamp("2024-05-01T10:00:00.123+0000")) == "2024-05-01T10:00:00.123Z"


def test_soql_escapes_quotes_and_backslashes_in_values():
    soql = build_soql("Contact", ["Id", "LastName"], since=None, where={"LastName": 'O\'Brien \\ "x"'})
    assert "LastName = 'O\\'Brien \\\\ \\\"x\\\"'" in soql
    assert soql.endswith("ORDER BY SystemModstamp ASC, Id ASC")
    with pytest.raises(ConnectorConfigError):
        build_soql("Contact", ["Id, (SELECT Id FROM Cases)"], since=None)


def test_soql_since_is_inclusive():
    soql = build_soql("Lead", ["Id"], since=parse_modstamp(T1))
    assert "WHERE SystemModstamp >= 2024-05-01T10:00:00+00:00" in soql


# -- errors ----------------------------------------------------------------------------------


class _Resp:
    def __init__(self, status, body, headers=None):
        self.status_code, self._body, self.headers, self.text = status, body, headers or {}, str(body)

    def json(self):
        return self._body


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind"),
    [
        (401, [{"errorCode": "INVALID_SESSION_ID", "message": "expired"}], {}, AuthError),
        (400, {"error": "invalid_grant", "error_description": "bad"}, {}, AuthError),
        (
            403,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}],
            {},
            BudgetExhaustedError,
        ),
        (403, [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "ConcurrentPerOrgLongTxn"}], {}, RateLimited),
        (429, [], {"Retry-After": "9"}, RateLimited),
        (503, "down", {}, RetryableError),
        (400, [{"errorCode": "MALFORMED_QUERY", "message": "bad"}], {}, FatalApiError),
        (414, "URI Too Long", {}, FatalApiError),
    ],
)
def test_map_error_by_status(status, body, headers, kind, monkeypatch):
    import connectors.salesforce.errors as errors

    monkeypatch.setattr(errors.requests, "Response", _Resp)
    err = map_error(_Resp(status, body, headers), system="salesforce", stream="Contact")
    assert type(err) is kind
    assert err.context["status"] == status and err.context["stream"] == "Contact"
    if status == 429:
        assert err.retry_after == 9.0


def test_record_failure_and_limit_header():
    assert record_failure([{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked", "fields": []}])[2] is True
    code, message, retryable = record_failure(
        [{"statusCode": "INVALID_EMAIL_ADDRESS", "message": "bad", "fields": ["Email"]}]
    )
    assert (code, retryable) == ("INVALID_EMAIL_ADDRESS", False) and "Email" in message
    assert parse_limit_info("api-usage=18/5000") == (18, 5000)
    assert parse_limit_info(None) is None


# -- CSV -------------------------------------------------------------------------------------


def test_csv_rows_stream_across_chunk_boundaries_with_quoted_newlines():
    data = b'Id,Note,IsDeleted,N\n001,"two\nlines",true,3\n002,"a ""q""",false,\n'
    chunks = [data[i : i + 5] for i in range(0, len(data), 5)]
    rows = list(iter_csv_rows(chunks))
    assert rows[0]["Note"] == "two\nlines" and rows[1]["Note"] == 'a "q"'
    typed = coerce_row(rows[0], {"IsDeleted": "boolean", "N": "int"})
    assert typed["IsDeleted"] is True and typed["N"] == 3
    assert coerce_row(rows[1], {"N": "int"})["N"] is None
    assert rows_to_csv([{"Id": "1", "A": None, "B": True}], ["Id", "A", "B"]) == "Id,A,B\n1,#N/A,true\n"


# -- reader ----------------------------------------------------------------------------------


def test_pull_never_skips_nor_repeats_records_sharing_the_boundary_timestamp():
    first = FakeClient([[row("a", T1), row("b", T2)], [row("c", T2)]])
    batches = list(reader(first).pull("Contact", None))
    cursor = batches[-1].cursor
    assert cursor["modstamp"] == "2024-05-01T10:00:01.000Z" and cursor["ids_at_modstamp"] == ["b", "c"]
    # Next run: SOQL >= T2 returns b and c again plus d sharing T2 and e later.
    second = FakeClient([[row("b", T2), row("c", T2), row("d", T2)], [row("e", T3)]])
    ids = [r.source_id for b in reader(second).pull("Contact", cursor) for r in b.records]
    assert ids == ["d", "e"]
    assert "SystemModstamp >= 2024-05-01T10:00:01+00:00" in second.queries[0]


def test_deleted_and_merged_records_are_reported():
    client = FakeClient([[row("a", T1, IsDeleted=True, MasterRecordId="w"), row("b", T1, IsDeleted=True)]])
    records = next(reader(client).pull("Contact", None)).records
    assert records[0].deleted and records[0].merged_into == "w"
    assert records[1].deleted and records[1].merged_into is None


def test_malformed_records_are_rejected_and_the_pull_goes_on():
    client = FakeClient(
        [[row("a", T1), {"Id": "b", "SystemModstamp": "yesterday"}, {"SystemModstamp": T1}, row("c", T2)]]
    )
    batch = next(reader(client).pull("Contact", None))
    assert [r.source_id for r in batch.records] == ["a", "c"]
    assert [r.source_id for r in batch.rejected] == ["b", None]
    assert "SystemModstamp" in batch.rejected[0].reason


def test_compound_fields_are_left_out_and_components_kept():
    client = FakeClient([[row("a", T1)]])
    list(reader(client).pull("Contact", None))
    select = client.queries[0].split(" FROM ")[0]
    assert "MailingCity" in select and "MailingAddress" not in select


def test_large_pull_moves_to_bulk_and_types_csv_values():
    client = FakeClient([[row("a", T1)]], total=50_000)
    client.bulk_rows = [{"Id": "a", "SystemModstamp": T1, "IsDeleted": "false", "NumberOfEmployees__c": "12"}]
    batch = next(reader(client, bulk_query_threshold=1000).pull("Contact", None))
    assert client.bulk_queries and batch.records[0].raw["NumberOfEmployees__c"] == 12
    assert batch.records[0].raw["IsDeleted"] is False


def test_query_too_long_goes_to_bulk_without_trying_rest():
    fields = [f"F{i}__c" for i in range(400)]
    client = FakeClient()
    client.bulk_rows = [{"Id": "a", "SystemModstamp": T1, "IsDeleted": "false"}]
    described = {"fields": [{"name": n, "type": "string"} for n in ["Id", "SystemModstamp", "IsDeleted", *fields]]}
    client.describe = lambda sobject: described  # type: ignore[method-assign]
    list(
        reader(client, objects=[{"name": "Wide__c", "fields": fields}], max_query_url_chars=2000).pull("Wide__c", None)
    )
    assert client.queries == [] and len(client.bulk_queries) == 1


def test_http_414_falls_back_to_bulk():
    client = FakeClient()
    client.fail_rest_with = 414
    client.bulk_rows = [{"Id": "a", "SystemModstamp": T1, "IsDeleted": "false"}]
    batch = next(reader(client).pull("Contact", None))
    assert [r.source_id for r in batch.records] == ["a"]


def test_formula_fields_are_reread_on_the_refresh_interval():
    cursor = {
        "modstamp": "2024-05-01T10:00:00.000Z",
        "ids_at_modstamp": ["a"],
        "formula_refreshed_at": format_modstamp(NOW - timedelta(hours=25)),
    }
    client = FakeClient([[row("a", T1), row("b", T2)]])
    batches = list(reader(client, formula_refresh_hours=24).pull("Contact", cursor))
    assert "WHERE" not in client.queries[0]  # a full pass
    assert [r.source_id for r in batches[0].records] == ["a", "b"]
    assert batches[-1].cursor["formula_refreshed_at"] == format_modstamp(NOW)
    fresh = dict(cursor, formula_refreshed_at=format_modstamp(NOW - timedelta(hours=1)))
    client = FakeClient([[row("a", T1), row("b", T2)]])
    ids = [r.source_id for b in reader(client).pull("Contact", fresh) for r in b.records]
    assert "SystemModstamp >=" in client.queries[0] and ids == ["b"]


def test_unknown_stream_and_field_are_config_errors():
    with pytest.raises(ConnectorConfigError, match="not configured"):
        list(reader(FakeClient()).pull("Opportunity", None))
    with pytest.raises(ConnectorConfigError, match="no field"):
        list(reader(FakeClient(), objects=[{"name": "Contact", "fields": ["Nope__c"]}]).pull("Contact", None))


# -- write-back ------------------------------------------------------------------------------


def _ids(n):
    return [f"003{i:012d}AAA" for i in range(n)]


def test_push_450_records_uses_3_collection_requests_and_reports_failures():
    client = FakeClient()
    ids = _ids(450)
    client.collection_answers = {
        ids[7]: {"id": ids[7], "success": False, "errors": [{"statusCode": "INVALID_EMAIL_ADDRESS", "message": "bad"}]},
        ids[301]: {"success": False, "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}]},
    }
    writer = WriteBack(client, config(), system="salesforce")
    results = writer.push(
        WriteBatch("salesforce", "Contact", [WriteOp(i, {"Contactpoint_Profile_Id__c": "p-1"}) for i in ids])
    )
    assert [len(c) for c in client.collection_calls] == [200, 200, 50]
    assert client.collection_calls[0][0] == {"Id": ids[0], "Contactpoint_Profile_Id__c": "p-1"}
    failed = [(r.source_id, r.error_code, r.retryable) for r in results if r.outcome is WriteOutcome.FAILED]
    assert failed == [(ids[7], "INVALID_EMAIL_ADDRESS", False), (ids[301], "UNABLE_TO_LOCK_ROW", True)]
    assert sum(r.outcome is WriteOutcome.WRITTEN for r in results) == 448


def test_push_rejects_bad_ids_and_skips_empty_ops_without_calls():
    client = FakeClient()
    writer = WriteBack(client, config(), system="salesforce")
    results = writer.push(WriteBatch("salesforce", "Contact", [WriteOp("nope", {"a": 1}), WriteOp(_ids(1)[0], {})]))
    assert [r.outcome for r in results] == [WriteOutcome.FAILED, WriteOutcome.UNCHANGED]
    assert client.collection_calls == []
    with pytest.raises(ConnectorConfigError, match="not writable"):
        writer.push(WriteBatch("salesforce", "Account", [WriteOp(_ids(1)[0], {"a": 1})]))


def test_bulk_push_ties_every_result_row_back_to_its_input():
    ids = _ids(5)
    client = FakeClient()
    client.bulk_result = BulkIngestResult(
        "750x",
        "JobComplete",
        successful=[{"sf__Id": ids[0], "sf__Created": "false", "Id": ids[0]}, {"sf__Id": ids[2], "Id": ids[2][:15]}],
        failed=[{"sf__Id": "", "sf__Error": "INVALID_EMAIL_ADDRESS:bad email:Email", "Id": ids[1]}],
        unprocessed=[{"Id": ids[3]}],
    )
    writer = WriteBack(client, config(bulk_ingest_threshold=2), system="salesforce")
    results = writer.push(WriteBatch("salesforce", "Lead", [WriteOp(i, {"Contactpoint_Intent__c": 0.5}) for i in ids]))
    assert [(r.source_id, r.outcome, r.error_code) for r in results] == [
        (ids[0], WriteOutcome.WRITTEN, None),
        (ids[1], WriteOutcome.FAILED, "INVALID_EMAIL_ADDRESS"),
        (ids[2], WriteOutcome.WRITTEN, None),
        (ids[3], WriteOutcome.FAILED, "UNPROCESSED"),
        (ids[4], WriteOutcome.FAILED, "BULK_ROW_MISSING"),
    ]
    assert client.bulk_updates[0].splitlines()[0] == "Id,Contactpoint_Intent__c"


def test_failed_bulk_job_is_retried_through_collections_for_per_record_errors():
    ids = _ids(3)
    client = FakeClient()
    client.bulk_result = BulkIngestResult("750y", "Failed", "InvalidBatch : bad CSV")
    client.collection_answers = {
        ids[1]: {"success": False, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "no"}]}
    }
    writer = WriteBack(client, config(bulk_ingest_threshold=1), system="salesforce")
    results = writer.push(
        WriteBatch("salesforce", "Contact", [WriteOp(i, {"Contactpoint_Segment__c": "smb"}) for i in ids])
    )
    assert len(client.collection_calls) == 1
    assert [r.outcome for r in results] == [WriteOutcome.WRITTEN, WriteOutcome.FAILED, WriteOutcome.WRITTEN]


def test_rest_pages_hand_over_their_own_rows_and_let_go_of_them():
    """A page's records are held once, by the batch made of them: not copied, nor kept by the page."""
    pages: list[dict[str, Any]] = [
        {"totalSize": 4, "done": False, "records": [{"attributes": {"type": "Contact"}, "Id": "1"}, {"Id": "2"}]},
        {"done": True, "records": [{"attributes": {"type": "Contact"}, "Id": "3"}, 7]},
    ]
    originals = [record for page in pages for record in page["records"]]
    rows = list(_rest_rows(pages))
    assert [where for where, _ in rows] == ["page 1 row 1", "page 1 row 2", "page 2 row 1", "page 2 row 2"]
    assert [row for _, row in rows] == [{"Id": "1"}, {"Id": "2"}, {"Id": "3"}, {"value": 7}]
    assert all(row is original for (_, row), original in zip(rows[:3], originals[:3], strict=True))
    assert pages == [{"totalSize": 4, "done": False}, {"done": True}]
