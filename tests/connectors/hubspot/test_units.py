"""HubSpot connector parts with small inline fakes: the search walk, write-back, errors, limits, config."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import requests
from pydantic import ValidationError

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.cursor import Watermark
from connectors.http import ApiUsage, build_session
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.errors import batch_error, map_error
from connectors.marketing.hubspot.search import SearchWalk
from connectors.marketing.hubspot.streams import format_time, parse_time, to_ms
from connectors.marketing.hubspot.writeback import WriteBack, wire_value
from core.errors import AuthError, BudgetExhaustedError, FatalApiError, RateLimited

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PRIVATE = {"auth": {"kind": "private_app", "access_token": "pat-na1-secret"}}


class FakeSearch:
    """A search endpoint over an in-memory list: the filters, sort and limit the walk uses."""

    def __init__(self, records):
        self.records = records
        self.bodies = []

    def search(self, obj, body, *, stream):
        self.bodies.append(body)
        rows = list(self.records)
        for f in body["filterGroups"][0]["filters"]:
            name, op, value = f["propertyName"], f["operator"], int(f["value"])
            key = (lambda r: to_ms(r["t"])) if name == "lastmodifieddate" else (lambda r: int(r["id"]))
            compare = {"GTE": int.__ge__, "GT": int.__gt__, "LTE": int.__le__, "EQ": int.__eq__}[op]
            rows = [r for r in rows if compare(key(r), value)]
        sort = body["sorts"][0]["propertyName"]
        rows.sort(key=(lambda r: (r["t"], r["order"])) if sort == "lastmodifieddate" else (lambda r: int(r["id"])))
        page = rows[: body["limit"]]
        return {
            "total": len(rows),
            "results": [{"id": r["id"], "properties": {"lastmodifieddate": format_time(r["t"])}} for r in page],
        }


def _walk_all(fake, *, limit, mark=None):
    walk = SearchWalk(fake, "contacts", cursor="lastmodifieddate", properties=["email"], limit=limit, stream="contacts")
    mark = mark or Watermark()
    read = []
    for page in walk.pages(mark, T0 + timedelta(days=1)):
        for raw in page:
            stamp = walk.stamp(raw)
            if not mark.seen(stamp, raw["id"]):
                mark.advance(stamp, raw["id"])
                read.append(raw["id"])
    return read, mark


def test_search_walk_reads_a_run_of_equal_times_longer_than_a_page_by_id_then_moves_past_it():
    # 30 records, then 250 sharing one time (in an order that is not their IDs'), then 40 more
    records = [{"id": str(100 + n), "t": T0 + timedelta(seconds=n), "order": n} for n in range(30)]
    shared = T0 + timedelta(minutes=5)
    records += [{"id": str(1000 + (n * 7919) % 250), "t": shared, "order": n} for n in range(250)]
    records += [{"id": str(5000 + n), "t": shared + timedelta(seconds=1 + n), "order": n} for n in range(40)]
    fake = FakeSearch(records)
    read, mark = _walk_all(fake, limit=100)
    assert sorted(read) == sorted(r["id"] for r in records) and len(read) == len(set(read))
    tie_bodies = [b for b in fake.bodies if b["sorts"][0]["propertyName"] == "hs_object_id"]
    assert len(tie_bodies) == 3  # 250 at one time, by ID, 100 a page
    after_tie = fake.bodies[fake.bodies.index(tie_bodies[-1]) + 1]["filterGroups"][0]["filters"][0]
    assert after_tie["operator"] == "GT" and after_tie["value"] == str(to_ms(shared))
    assert all(b["after"] == "0" for b in fake.bodies)  # no offsets: the 10,000-result ceiling is never met
    assert mark.at == records[-1]["t"] and mark.ids == {records[-1]["id"]}


def test_search_walk_resumed_from_a_watermark_inside_a_run_repeats_nothing():
    records = [{"id": str(100 + n), "t": T0 + timedelta(seconds=n // 5), "order": n} for n in range(60)]
    first, mark = _walk_all(FakeSearch(records[:23]), limit=10)
    rest, _ = _walk_all(FakeSearch(records), limit=10, mark=mark)
    assert sorted(first + rest) == sorted(r["id"] for r in records) and len(first + rest) == 60


class FakeBatch:
    """batch/update and batch/upsert that refuse a bad value for the whole request (400), as HubSpot does."""

    def __init__(self):
        self.calls = []

    def batch(self, obj, verb, inputs):
        self.calls.append((verb, [i["id"] for i in inputs]))
        assert len(inputs) <= 100 and len({i["id"] for i in inputs}) == len(inputs)
        if any(i["properties"].get("email") == "bad" for i in inputs):
            response = requests.Response()
            response.status_code = 400
            response._content = b'{"status":"error","message":"Property values were not valid","category":"VALIDATION_ERROR","errors":[{"message":"bad","code":"INVALID_EMAIL"}],"correlationId":"x"}'
            raise map_error(response, system="hubspot", operation=f"batch_{verb}")
        if verb == "upsert":
            results = [{"id": "9" + str(n), "properties": {"email": i["id"].lower()}} for n, i in enumerate(inputs)]
        else:
            results = [{"id": i["id"], "properties": {}} for i in inputs if i["id"] != "404"]
        errors = (
            [{"category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["404"]}}]
            if any(i["id"] == "404" for i in inputs)
            else []
        )
        return (207 if errors else 200), {"status": "COMPLETE", "results": list(reversed(results)), "errors": errors}


def test_push_splits_a_refused_request_until_the_bad_record_stands_alone_and_ties_results_by_id():
    fake = FakeBatch()
    writer = WriteBack(fake, HubSpotConfig.model_validate(PRIVATE), system="hubspot")
    ops = [WriteOp(str(1000 + n), {"jobtitle": "x"}) for n in range(120)]
    ops[17] = WriteOp("1017", {"email": "bad"})
    ops += [
        WriteOp("404", {"jobtitle": "x"}),
        WriteOp("1003", {"jobtitle": "again"}),
        WriteOp("abc", {"jobtitle": "x"}),
    ]
    ops += [WriteOp(None, {"firstname": "N"}, match=("email", "New@Example.com")), WriteOp(None, {"firstname": "N"})]
    results = writer.push(WriteBatch("hubspot", "contacts", ops))
    outcome = {(r.source_id, r.outcome.value, r.error_code) for r in results if r.outcome is not WriteOutcome.WRITTEN}
    assert outcome == {("1017", "failed", "VALIDATION_ERROR:INVALID_EMAIL"), ("404", "failed", "OBJECT_NOT_FOUND"),
                       ("abc", "failed", "INVALID_ID"), (None, "failed", "NO_TARGET")}  # fmt: skip
    assert results[-2].outcome is WriteOutcome.WRITTEN and results[-2].source_id.startswith("9")
    assert [r.source_id for r in results[:123]] == [op.source_id for op in ops[:123]]
    updates = [ids for verb, ids in fake.calls if verb == "update"]
    assert len(updates[0]) == 100 and updates[0].count("1003") == 1 and "1003" in updates[-1]  # one ID once a request
    # the first request is refused whole (400); halving it down to the bad record takes 14 more
    # (50 ok, 50 refused, 25 ok, 25 refused, 12 ok, 13 refused, 6 refused, 7 ok, 3 ok, 3 refused, 1 ok, 2 refused,
    # 1 ok, 1 refused); then the second request (the last 20 updates, 404 and the repeated 1003)
    assert len(updates) == 1 + 14 + 1


class FakeMissingProperty:
    """batch/update on a portal without ``contactpoint_profile_id``: any input setting it refuses the request (400)."""

    def __init__(self):
        self.calls = []

    def batch(self, obj, verb, inputs):
        self.calls.append(len(inputs))
        if any("contactpoint_profile_id" in i["properties"] for i in inputs):
            detail = {"message": 'Property "contactpoint_profile_id" does not exist', "code": "PROPERTY_DOESNT_EXIST",
                      "context": {"propertyName": ["contactpoint_profile_id"]}}  # fmt: skip
            body = {"status": "error", "message": "Property values were not valid", "category": "VALIDATION_ERROR",
                    "errors": [detail], "correlationId": "x"}  # fmt: skip
            raise map_error(_response(400, json.dumps(body)), system="hubspot", operation=f"batch_{verb}")
        return 200, {"status": "COMPLETE", "results": [{"id": i["id"], "properties": {}} for i in inputs]}


def test_a_property_the_portal_lacks_fails_its_records_at_once_and_the_others_are_written():
    fake = FakeMissingProperty()
    writer = WriteBack(fake, HubSpotConfig.model_validate(PRIVATE), system="hubspot")
    ops = [WriteOp(str(1000 + n), {"contactpoint_profile_id": f"cp_{n}", "jobtitle": "x"}) for n in range(150)]
    for n in range(0, 150, 5):  # every fifth record only sets a property the portal has
        ops[n] = WriteOp(str(1000 + n), {"jobtitle": "y"})
    results = writer.push(WriteBatch("hubspot", "contacts", ops))
    assert {r.source_id for r in results if r.outcome is WriteOutcome.WRITTEN} == {
        str(1000 + n) for n in range(0, 150, 5)
    }
    failed = [r for r in results if r.outcome is WriteOutcome.FAILED]
    assert len(failed) == 120 and {r.error_code for r in failed} == {"VALIDATION_ERROR:PROPERTY_DOESNT_EXIST"}
    assert not any(r.retryable for r in failed) and all("Property values were not valid" in r.message for r in failed)
    assert fake.calls == [100, 20, 50, 10]  # each request refused once, then its other records in one request


def test_values_are_written_as_hubspot_text():
    assert wire_value(True) == "true" and wire_value(False) == "false" and wire_value(0.75) == "0.75"
    assert wire_value(["urgent_ticket", "legal_hold"]) == "urgent_ticket;legal_hold" and wire_value(None) == ""
    assert (
        wire_value(datetime(2026, 1, 1, tzinfo=UTC)) == "1767225600000" and wire_value(date(1990, 2, 3)) == "1990-02-03"
    )


def _response(status, body, headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers.update(headers or {})
    return response


def test_errors_map_to_what_the_caller_must_do():
    daily = map_error(
        _response(
            429,
            '{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY","correlationId":"c"}',
        ),
        system="hubspot",
    )
    assert isinstance(daily, BudgetExhaustedError) and "midnight" in daily.hint
    window = map_error(
        _response(
            429,
            '{"status":"error","message":"ten","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING","correlationId":"c"}',
            {"Retry-After": "3"},
        ),
        system="hubspot",
    )
    assert isinstance(window, RateLimited) and window.retry_after == 3.0 and "TEN_SECONDLY_ROLLING" in window.hint
    scopes = map_error(
        _response(
            403,
            '{"status":"error","message":"This app hasn\'t been granted all required scopes","category":"MISSING_SCOPES","correlationId":"c"}',
        ),
        system="hubspot",
    )
    assert (
        isinstance(scopes, AuthError) and "scopes" in scopes.hint and scopes.context["error_code"] == "MISSING_SCOPES"
    )
    missing = map_error(
        _response(
            404, '{"status":"error","message":"resource not found","category":"OBJECT_NOT_FOUND","correlationId":"c"}'
        ),
        system="hubspot",
        operation="get",
    )
    assert isinstance(missing, FatalApiError) and "404 OBJECT_NOT_FOUND" in missing.message
    assert batch_error({"category": "VALIDATION_ERROR", "subCategory": "x.y", "message": "m"}) == (
        "VALIDATION_ERROR:x.y",
        "m",
        False,
    )
    assert batch_error({"category": "RATE_LIMITS", "message": "m"})[2] is True


def _client(share=0.5):
    clock = [100.0]
    session = build_session(
        system="hubspot", usage=ApiUsage("hubspot"), sleep=lambda s: clock.__setitem__(0, clock[0] + s)
    )
    config = HubSpotConfig.model_validate({**PRIVATE, "api_budget_share": share})
    return HubSpotClient(config, system="hubspot", session=session, clock=lambda: clock[0]), clock


def test_rate_limit_headers_pace_the_windows_and_track_the_daily_budget():
    client, _ = _client()
    headers = {"X-HubSpot-RateLimit-Max": "190", "X-HubSpot-RateLimit-Remaining": "0",
               "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Secondly": "19",
               "X-HubSpot-RateLimit-Secondly-Remaining": "5", "X-HubSpot-RateLimit-Daily": "1000",
               "X-HubSpot-RateLimit-Daily-Remaining": "502"}  # fmt: skip
    client._observe(_response(200, "{}", headers))
    assert client.window_pacer.limits[0].calls == 190 and client.window_pacer.delay() == pytest.approx(10.0)
    assert client.secondly_pacer is not None and client.secondly_pacer.limits[0].calls == 19
    assert client.daily == (498, 1000)
    client._observe(_response(200, "{}"))  # a search: no headers, still one call
    assert client.daily == (499, 1000)
    with pytest.raises(BudgetExhaustedError, match="500 of 1000") as stop:
        client._guard("search")
        client._observe(_response(200, "{}"))
        client._guard("search")
    assert "api_budget_share" in stop.value.hint


def test_config_keeps_secrets_out_of_reprs_and_refuses_what_hubspot_would():
    config = HubSpotConfig.model_validate(PRIVATE)
    assert "pat-na1-secret" not in repr(config)
    assert config.properties("contacts")[-1] == "lastmodifieddate" or "lastmodifieddate" in config.properties(
        "contacts"
    )
    with pytest.raises(ValidationError, match="listed twice"):
        HubSpotConfig.model_validate({**PRIVATE, "objects": [{"name": "contacts"}, {"name": "contacts"}]})
    with pytest.raises(ValidationError):
        HubSpotConfig.model_validate({**PRIVATE, "objects": [{"name": "contacts", "properties": ["First Name"]}]})
    with pytest.raises(ValidationError):
        HubSpotConfig.model_validate({"auth": {"kind": "oauth", "client_id": "x", "client_secret": "y"}})
    with pytest.raises(ValidationError):
        HubSpotConfig.model_validate({**PRIVATE, "page_size": 500})


def test_times_parse_and_render_as_hubspot_writes_them():
    moment = parse_time("2026-03-02T09:00:00.123Z")
    assert format_time(moment) == "2026-03-02T09:00:00.123Z" and parse_time(to_ms(moment)) == moment
    assert parse_time(str(to_ms(moment))) == moment
    with pytest.raises(ValueError, match="2026-02-30T25:61:00Z"):
        parse_time("2026-02-30T25:61:00Z")
    with pytest.raises(ValueError, match="without a zone"):
        parse_time("2026-03-02T09:00:00")


class FakeEvents:
    """The email events endpoint over pages given in advance; refuses an offset it does not know."""

    def __init__(self, pages):
        self.pages = pages
        self.calls = []

    def email_events(self, params):
        self.calls.append(dict(params))
        offset = params.get("offset")
        if offset not in self.pages:
            response = _response(
                400, '{"status":"error","message":"bad offset","category":"VALIDATION_ERROR","correlationId":"c"}'
            )
            raise map_error(response, system="hubspot", operation="email_events")
        return self.pages[offset]


def test_email_events_reject_an_unreadable_time_and_restart_a_window_whose_offset_is_refused():
    from connectors.base import RejectionCode
    from connectors.marketing.hubspot.email_events import EventReader

    event = lambda i, created: {"id": f"e{i}", "created": created, "type": "SENT", "recipient": "a@example.com"}  # noqa: E731
    pages = {None: {"hasMore": True, "offset": "p2", "events": [event(1, 1_772_000_000_002), event(2, "yesterday")]},
             "p2": {"hasMore": False, "events": [event(3, 1_772_000_000_001)]}}  # fmt: skip
    fake = FakeEvents(pages)
    reader = EventReader(
        fake, HubSpotConfig.model_validate(PRIVATE), system="hubspot", now=lambda: T0 + timedelta(days=3)
    )
    first, second = list(reader.pull(None))
    assert [r.source_id for r in first.records + second.records] == ["e1", "e3"]
    assert [(r.source_id, r.code, r.field) for r in first.rejected] == [("e2", RejectionCode.UNREADABLE, "created")]
    assert "'yesterday'" in first.rejected[0].reason
    assert second.cursor["window"] is None and second.cursor["ids_at_created"] == ["e1"]
    stale = {**first.cursor, "window": {**first.cursor["window"], "offset": "expired"}}
    again = [r.source_id for b in reader.pull(stale) for r in b.records]
    assert fake.calls[-3]["offset"] == "expired" and "offset" not in fake.calls[-2]  # refused, then restarted
    assert again == ["e1", "e3"]
