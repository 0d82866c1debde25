"""Units of the Zendesk connector with small inline fakes: errors, settings, cursors, tie-back, pacing."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import pytest
import requests
from pydantic import ValidationError

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from connectors.helpdesk.zendesk.client import ZendeskClient, parse_budget_header
from connectors.helpdesk.zendesk.errors import map_error, record_failure
from connectors.helpdesk.zendesk.reader import StreamReader
from connectors.helpdesk.zendesk.writeback import WriteBack
from connectors.http import build_session
from core.errors import AuthError, ConnectorConfigError, FatalApiError, RateLimited, RetryableError

AUTH = {"kind": "api_token", "email": "a@acme.test", "api_token": "t0ken-value"}


def config(**overrides: Any) -> ZendeskConfig:
    return ZendeskConfig.model_validate({"subdomain": "acme", "auth": AUTH, **overrides})


def response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    out = requests.Response()
    out.status_code = status
    out._content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    out.headers.update(headers or {})
    return out


# -- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (401, {"error": "Couldn't authenticate you"}, AuthError, "Couldn't authenticate you"),
        (403, {"error": "Forbidden", "description": "You do not have access"}, AuthError, "do not have access"),
        (404, {"error": "RecordNotFound", "description": "Not found"}, FatalApiError, "RecordNotFound"),
        (
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"key": [{"description": "Key is already being used"}]},
            },
            FatalApiError,
            "key: Key is already being used",
        ),
        (400, {"error": "InvalidValue", "description": "Too recent start_time"}, FatalApiError, "Too recent"),
        (503, b"<html>maintenance</html>", RetryableError, "maintenance"),
        (409, {"error": "Conflict"}, RetryableError, "Conflict"),
    ],
)
def test_map_error_says_what_to_do(status, body, kind, words):
    err = map_error(response(status, body), system="zendesk", stream="users", operation="users export")
    assert type(err) is kind
    assert words in err.message and f"({status})" in err.message and err.hint
    assert err.context["status"] == status and err.context["stream"] == "users"


def test_429_carries_retry_after_and_no_response_is_retryable():
    limited = map_error(response(429, {"error": "APIRateLimitExceeded"}, {"Retry-After": "42"}), system="zendesk")
    assert isinstance(limited, RateLimited) and limited.retry_after == 42.0
    lost = map_error(requests.ConnectionError("connection refused"), system="zendesk", operation="users/me")
    assert type(lost) is RetryableError and "no response" in lost.message


def test_record_failure_reads_a_failed_job_result():
    assert record_failure({"error": "RecordInvalid", "details": "Email is invalid"}) == (
        "RecordInvalid", "Email is invalid", False)  # fmt: skip
    assert record_failure({"error": "TooManyRequests"})[2] is True
    assert record_failure({})[0] == "UNKNOWN_ERROR"


# -- settings ----------------------------------------------------------------------------------------


def test_settings_need_exactly_one_address_and_only_users_can_be_written():
    assert config().api_url == "https://acme.zendesk.com"
    assert config(subdomain=None, base_url="https://help.acme.test/").api_url == "https://help.acme.test"
    with pytest.raises(ValidationError, match="exactly one of subdomain"):
        ZendeskConfig.model_validate({"auth": AUTH})
    with pytest.raises(ValidationError, match="cannot be writable"):
        config(streams=[{"name": "tickets", "writable": True}])
    with pytest.raises(ValidationError, match="api_token"):
        ZendeskConfig.model_validate({"subdomain": "acme", "auth": {"kind": "api_token", "email": "a@acme.test"}})
    assert "t0ken-value" not in repr(config())
    assert config(start_time="2024-01-01").start_time.isoformat() == "2024-01-01T00:00:00+00:00"
    with pytest.raises(ValidationError, match="needs a timezone"):
        config(start_time="2024-01-01T10:00:00")


# -- a fake client -----------------------------------------------------------------------------------


class FakeClient:
    """Answers the client calls from scripts; records what was asked."""

    def __init__(self, *, pages=(), jobs=None, fields=("contactpoint_profile_id",)):
        self.system = "zendesk"
        self.pages = deque(pages)
        self.jobs = jobs or {}
        self.fields = [{"key": k, "type": "text", "active": True} for k in fields]
        self.asked: list[tuple[str, Any]] = []
        self.submitted: list[list[dict[str, Any]]] = []
        self.refuse_submits = 0

    def cursor_export(self, stream, **kwargs):
        self.asked.append(("cursor_export", kwargs))
        return self.pages.popleft()

    def time_export(self, stream, **kwargs):
        self.asked.append(("time_export", kwargs))
        return self.pages.popleft()

    def user_fields(self):
        return self.fields

    def _submit(self, users):
        if self.refuse_submits:
            self.refuse_submits -= 1
            raise RateLimited("Zendesk update_many failed (429): TooManyJobs", retry_after=10, error_code="TooManyJobs")
        self.submitted.append(users)
        return {"id": f"job{len(self.submitted)}", "status": "queued"}

    update_many = create_or_update_many = _submit

    def job_statuses(self, ids):
        self.asked.append(("job_statuses", list(ids)))
        return [self.jobs[i](self.submitted[int(i[3:]) - 1]) for i in ids if i in self.jobs]


def _completed(users):
    results = [{"id": u["id"], "action": "update", "success": True, "status": "Updated"} for u in users]
    return {"id": "x", "status": "completed", "results": list(reversed(results))}  # any order


def _writer(client, **overrides):
    sleeps: list[float] = []
    return WriteBack(client, config(**overrides), system="zendesk", sleep=sleeps.append), sleeps


def test_results_are_tied_back_by_id_whatever_their_order_and_a_missing_one_is_failed_retryable():
    def partial(users):
        done = _completed(users)
        done["results"] = [r for r in done["results"] if r["id"] != 3]
        return done | {"id": "job1"}

    client = FakeClient(jobs={"job1": partial})
    writer, _ = _writer(client)
    ops = [WriteOp(str(i), {"user_fields.contactpoint_profile_id": f"p{i}"}) for i in range(1, 6)]
    results = writer.push(WriteBatch("zendesk", "users", ops))
    assert [r.source_id for r in results] == ["1", "2", "3", "4", "5"]
    assert [r.outcome for r in results].count(WriteOutcome.WRITTEN) == 4
    missing = results[2]
    assert missing.error_code == "JOB_RESULT_MISSING" and missing.retryable


def test_an_id_twice_starts_a_second_job_so_the_later_write_wins():
    client = FakeClient(
        jobs={"job1": lambda u: _completed(u) | {"id": "job1"}, "job2": lambda u: _completed(u) | {"id": "job2"}}
    )
    writer, _ = _writer(client)
    ops = [WriteOp("7", {"notes": "first"}), WriteOp("8", {"notes": "x"}), WriteOp("7", {"notes": "second"})]
    results = writer.push(WriteBatch("zendesk", "users", ops))
    assert [[u["notes"] for u in job] for job in client.submitted] == [["first", "x"], ["second"]]
    assert all(r.outcome is WriteOutcome.WRITTEN for r in results)


def test_jobs_are_queued_in_waves_and_each_wave_is_read_in_one_call():
    jobs = {f"job{i}": (lambda n: lambda u: _completed(u) | {"id": f"job{n}"})(i) for i in range(1, 6)}
    client = FakeClient(jobs=jobs)
    writer, _ = _writer(client, max_open_jobs=2)
    ops = [WriteOp(str(i), {"notes": "n"}) for i in range(1, 451)]  # 5 jobs of up to 100
    results = writer.push(WriteBatch("zendesk", "users", ops))
    assert [len(job) for job in client.submitted] == [100, 100, 100, 100, 50]
    assert [ids for call, ids in client.asked if call == "job_statuses"] == [
        ["job1", "job2"],
        ["job3", "job4"],
        ["job5"],
    ]
    assert all(r.outcome is WriteOutcome.WRITTEN for r in results)


def test_a_refused_bulk_request_fails_its_ops_retryable_and_the_rest_go_on():
    client = FakeClient(jobs={"job1": lambda u: _completed(u) | {"id": "job1"}})
    client.refuse_submits = 1
    writer, _ = _writer(client)
    ops = [WriteOp(str(i), {"notes": "n"}) for i in range(1, 102)]  # 2 jobs: the first is refused
    results = writer.push(WriteBatch("zendesk", "users", ops))
    assert {(r.error_code, r.retryable) for r in results[:100]} == {("TooManyJobs", True)}
    assert results[100].outcome is WriteOutcome.WRITTEN


def test_create_or_update_results_are_tied_back_by_index():
    def upserted(users):
        results = [{"id": 900 + n, "index": n, "email": u["email"], "action": "create", "success": True,
                    "status": "Created"} for n, u in enumerate(users)]  # fmt: skip
        results[1] = {
            "index": 1,
            "success": False,
            "status": "Failed",
            "error": "RecordInvalid",
            "details": "Name: blank",
        }
        return {"id": "job1", "status": "completed", "results": results[::-1]}

    client = FakeClient(jobs={"job1": upserted})
    writer, _ = _writer(client)
    ops = [WriteOp(None, {"name": "A"}, match=("email", f"p{n}@acme.test")) for n in range(3)]
    results = writer.push(WriteBatch("zendesk", "users", ops))
    assert [(r.source_id, r.outcome.value, r.error_code) for r in results] == [
        ("900", "written", None), (None, "failed", "RecordInvalid"), ("902", "written", None)]  # fmt: skip


# -- reader ------------------------------------------------------------------------------------------


def test_an_unreadable_saved_cursor_says_how_to_recover():
    reader = StreamReader(FakeClient(), config(), system="zendesk")  # type: ignore[arg-type]
    with pytest.raises(ConnectorConfigError, match="cursor of zendesk.users is unreadable") as err:
        list(reader.pull("users", {"modstamp": "x"}))
    assert "reset the stream's cursor" in (err.value.hint or "")
    with pytest.raises(ConnectorConfigError, match="not configured"):
        list(StreamReader(FakeClient(), config(streams=[{"name": "users"}]), system="zendesk").pull("tickets", None))  # type: ignore[arg-type]


def test_an_export_that_does_not_move_is_stopped_not_looped():
    stuck = {"users": [], "after_cursor": "c1", "end_of_stream": False}
    reader = StreamReader(FakeClient(pages=[stuck, stuck]), config(), system="zendesk")  # type: ignore[arg-type]
    with pytest.raises(FatalApiError, match="did not move past cursor"):
        list(reader.pull("users", {"after_cursor": "c1"}))
    same_second = {"organizations": [], "end_time": 100, "end_of_stream": False}
    reader = StreamReader(FakeClient(pages=[same_second]), config(), system="zendesk")  # type: ignore[arg-type]
    with pytest.raises(FatalApiError, match="did not move past 100"):
        list(reader.pull("organizations", {"updated_at": "1970-01-01T00:01:40Z", "ids_at_updated_at": ["1"]}))


def test_the_first_export_request_sends_start_time_and_later_ones_the_cursor():
    pages = [
        {"users": [{"id": 1, "updated_at": "2024-01-01T00:00:00Z", "active": True}], "after_cursor": "c1", "end_of_stream": False},
        {"users": [{"id": 2, "updated_at": "2024-01-01T00:00:01Z", "active": False}], "after_cursor": "c2", "end_of_stream": True},
    ]  # fmt: skip
    client = FakeClient(pages=pages)
    reader = StreamReader(client, config(start_time="2023-06-01T00:00:00Z"), system="zendesk")  # type: ignore[arg-type]
    batches = list(reader.pull("users", None))
    assert [kw for _, kw in client.asked] == [
        {"start_time": 1685577600, "cursor": None, "include": None}, {"start_time": None, "cursor": "c1", "include": None}]  # fmt: skip
    assert [b.cursor for b in batches] == [{"after_cursor": "c1"}, {"after_cursor": "c2"}]
    assert [r.deleted for b in batches for r in b.records] == [False, True]


# -- pacing from the headers, and check -------------------------------------------------------------


def test_an_export_budget_header_at_zero_holds_the_next_export_until_it_resets():
    assert parse_budget_header("total=10; remaining=0; resets=52") == {"total": 10, "remaining": 0, "resets": 52}
    clock = [500.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    session = build_session(system="zendesk", sleep=sleep)
    client = ZendeskClient(config(), system="zendesk", session=session, clock=lambda: clock[0])
    spent = response(200, {}, {"Zendesk-RateLimit-incremental-exports": "total=10; remaining=0; resets=52",
                               "X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "650"})  # fmt: skip
    for observe in session.observers:
        observe(spent)
    assert (client.rate.exports_total, client.rate.exports_remaining, client.rate.remaining) == (10, 0, 650)
    session._pace("GET", "https://acme.zendesk.com/api/v2/users/me.json")
    assert sleeps == []
    session._pace("GET", "https://acme.zendesk.com/api/v2/incremental/users/cursor.json")
    assert sleeps == [52.0]


def test_exports_are_paced_to_exports_per_minute_and_other_requests_are_not():
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    session = build_session(system="zendesk", sleep=sleep)
    ZendeskClient(config(exports_per_minute=2), system="zendesk", session=session, clock=lambda: clock[0])
    for _ in range(3):
        session._pace("GET", "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json")
        session._pace("GET", "https://acme.zendesk.com/api/v2/users/me.json")
    assert sleeps == [60.0]


def test_check_refuses_credentials_that_are_not_an_admins():
    connector = ZendeskConnector(config(), sleep=lambda s: None)
    connector.client.me = lambda: {"id": 5, "email": "agent@acme.test", "role": "agent"}  # type: ignore[method-assign]
    with pytest.raises(AuthError, match="signs in as agent@acme.test, whose role is 'agent'") as err:
        connector.check()
    assert "admin" in (err.value.hint or "")
    connector.client.me = lambda: {"id": None, "role": "end-user"}  # type: ignore[method-assign]
    with pytest.raises(AuthError, match="anonymous"):
        connector.check()
