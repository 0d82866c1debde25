"""Unit tests of the Mixpanel connector's parts: day marks, the window, events, errors, write-back splitting."""

from __future__ import annotations

from datetime import date

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector
from connectors.product_analytics.mixpanel.client import EngageAnswer
from connectors.product_analytics.mixpanel.errors import TOO_LARGE, map_error
from connectors.product_analytics.mixpanel.events import event_id, parse_event
from connectors.product_analytics.mixpanel.window import DayMark, ExportWindow
from connectors.product_analytics.mixpanel.writeback import WriteBack
from core.errors import AuthError, ConnectorConfigError, FatalApiError, RateLimited, RetryableError

from .conftest import replay_settings


def _config(**overrides):
    return MixpanelConfig.model_validate({**replay_settings(), **overrides})


def test_day_mark_sees_old_events_and_listed_ones_in_the_margin_only():
    mark = DayMark()
    for processed, insert_id in [(1000, "a"), (5000, "b"), (9000, "c"), (9500, "d")]:
        mark.advance(processed, insert_id, margin_ms=1000)
    assert mark.at == 9500 and mark.tail == {"c": 9000, "d": 9500}  # b fell out of the margin
    assert mark.seen(5000, "b", margin_ms=1000)  # received long before the newest: was there
    assert mark.seen(9000, "c", margin_ms=1000)
    assert not mark.seen(9200, "x", margin_ms=1000)  # inside the margin, not listed: became visible late
    assert not mark.seen(9600, "e", margin_ms=1000)  # received after the day was read
    assert DayMark.load(mark.dump()) == mark


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.text("abcdef", min_size=1, max_size=3)), max_size=40))
@example([(1, "b"), (0, "b"), (501, "a")])  # an ID read again with an older time hid its newer one
def test_day_mark_never_forgets_an_event_it_advanced_over(events):
    mark = DayMark()
    for processed, insert_id in events:
        mark.advance(processed, insert_id, margin_ms=500)
    for processed, insert_id in events:
        assert mark.seen(processed, insert_id, margin_ms=500)


def test_export_window_moves_to_the_last_complete_day_and_drops_days_out_of_the_window():
    window = ExportWindow()
    assert window.first_day(reread_days=5, start=date(2026, 11, 1)) == date(2026, 11, 1)
    marks = {date(2026, 11, d): DayMark(d, {}) for d in range(20, 31)} | {date(2026, 12, 1): DayMark(1, {})}
    window.finish(marks, read_through=date(2026, 12, 1), today=date(2026, 12, 1), reread_days=5)
    assert window.complete_through == date(2026, 11, 30)  # today is never complete
    assert sorted(window.days) == [date(2026, 11, d) for d in range(26, 31)] + [date(2026, 12, 1)]
    assert window.first_day(reread_days=5, start=date(2026, 11, 1)) == date(2026, 11, 26)
    assert window.first_day(reread_days=0, start=date(2026, 11, 1)) == date(2026, 12, 1)
    assert ExportWindow.from_cursor(window.to_cursor()) == window
    with pytest.raises((ValueError, TypeError)):
        ExportWindow.from_cursor({"complete_through": "yesterday"})


def test_unreadable_cursor_is_a_config_error_with_a_hint():
    connector = MixpanelConnector(_config(), sleep=lambda _s: None)
    with pytest.raises(ConnectorConfigError, match="cursor of mixpanel.events is unreadable") as err:
        next(connector.pull("events", {"complete_through": "2026-13-40"}))
    assert "reset" in (err.value.hint or "")
    with pytest.raises(ConnectorConfigError, match="no stream 'evnts'"):
        connector.pull("evnts", None)


def test_event_id_is_the_insert_id_or_a_stable_digest():
    assert event_id({"event": "x", "properties": {"$insert_id": "abc"}}) == "abc"
    one = event_id({"event": "x", "properties": {"time": 1, "distinct_id": "u", "a": [1, 2]}})
    two = event_id({"properties": {"a": [1, 2], "distinct_id": "u", "time": 1}, "event": "x"})
    assert one == two and one.startswith("sha1:")
    assert one != event_id({"event": "y", "properties": {"time": 1, "distinct_id": "u", "a": [1, 2]}})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"event":"x","properties":{"time":17', "not valid JSON"),
        (b"[1, 2]", "a JSON list, not an event object"),
        (b'{"properties":{"time":1}}', "no name or no properties"),
        (b'{"event":"x","properties":{"time":"yesterday"}}', "properties.time is 'yesterday'"),
    ],
)
def test_parse_event_says_what_is_wrong(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_event(line)


def test_parse_event_reads_seconds_and_milliseconds():
    _, seconds, none = parse_event(b'{"event":"x","properties":{"time":1795600000}}')
    _, millis, processed = parse_event(b'{"event":"x","properties":{"time":1795600000123,"mp_processing_time_ms":5}}')
    assert seconds.timestamp() == 1795600000 and millis.timestamp() == pytest.approx(1795600000.123)
    assert none is None and processed == 5


def _response(status, body=b"{}", headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers.update(headers or {})
    return response


@pytest.mark.parametrize(
    ("status", "kind", "words"),
    [
        (401, AuthError, "username and secret"),
        (403, AuthError, "role in the project"),
        (429, RateLimited, "rate limit"),
        (502, RetryableError, "transient"),
        (400, FatalApiError, "names the parameter"),
    ],
)
def test_map_error_by_status_with_mixpanels_message(status, kind, words):
    err = map_error(
        _response(status, b'{"request": "/x", "error": "bad things"}'), system="mixpanel", operation="export"
    )
    assert type(err) is kind and "bad things" in err.message and words in (err.hint or "")
    assert err.context["status"] == status


def test_map_error_reads_retry_after_and_handles_no_answer():
    limited = map_error(_response(429, b"{}", {"Retry-After": "7"}), system="mixpanel")
    assert isinstance(limited, RateLimited) and limited.retry_after == 7
    broken = map_error(requests.ConnectionError("connection reset"), system="mixpanel", operation="export")
    assert isinstance(broken, RetryableError) and "connection reset" in broken.message


class _FakeClient:
    """Refuses requests of more than ``limit`` updates with 413, accepts the rest."""

    def __init__(self, limit):
        self.limit = limit
        self.sizes = []

    def engage_update(self, updates):
        self.sizes.append(len(updates))
        if len(updates) > self.limit:
            raise FatalApiError("too large", error_code=TOO_LARGE, status=413)
        return EngageAnswer(ok=True, failed={})


def test_a_request_refused_as_too_large_is_split_until_it_fits():
    client = _FakeClient(limit=3)
    writer = WriteBack(client, _config(batch_size=10), system="mixpanel")
    results = writer.push(WriteBatch("mixpanel", "profiles", [WriteOp(f"u{n}", {"a": n}) for n in range(10)]))
    assert all(r.outcome is WriteOutcome.WRITTEN for r in results)
    assert [r.source_id for r in results] == [f"u{n}" for n in range(10)]
    assert client.sizes == [10, 5, 2, 3, 5, 2, 3]


def test_push_needs_the_project_token_and_the_profiles_stream():
    writer = WriteBack(_FakeClient(limit=10), _config(project_token=None), system="mixpanel")
    with pytest.raises(ConnectorConfigError, match="needs the project token") as err:
        writer.push(WriteBatch("mixpanel", "profiles", [WriteOp("u1", {"a": 1})]))
    assert "project_token" in (err.value.hint or "")
    with pytest.raises(ConnectorConfigError, match="mixpanel.events is not writable"):
        WriteBack(_FakeClient(limit=10), _config(), system="mixpanel").push(WriteBatch("mixpanel", "events", []))


def test_an_update_over_one_megabyte_fails_alone():
    client = _FakeClient(limit=10)
    writer = WriteBack(client, _config(), system="mixpanel")
    results = writer.push(WriteBatch("mixpanel", "profiles", [WriteOp("big", {"blob": "x" * 1_000_001}),
                                                             WriteOp("small", {"a": 1})]))  # fmt: skip
    assert [r.error_code for r in results] == ["TOO_LARGE", None] and client.sizes == [1]


def test_config_regions_and_overrides():
    eu = _config(region="eu", export_url=None, query_url=None, ingestion_url=None)
    assert eu.urls() == ("https://data-eu.mixpanel.com/api/2.0", "https://eu.mixpanel.com/api/query",
                         "https://api-eu.mixpanel.com")  # fmt: skip
    with pytest.raises(ValueError, match="batch_size"):
        _config(batch_size=2001)
    secret = MixpanelConfig.model_validate(
        {**replay_settings(), "auth": {"kind": "project_secret", "api_secret": "hunter2-secret"}}
    )
    assert "hunter2" not in repr(secret.auth)


class _FakeExport:
    """Answers export queries from a list of lines, shuffled after the first ``stable`` calls."""

    def __init__(self, lines, *, stable):
        self.lines = lines
        self.stable = stable
        self.calls = 0

    def export_lines(self, first, last):
        self.calls += 1
        yield from (self.lines if self.calls <= self.stable else list(reversed(self.lines)))


def _lines(count):
    import json

    base = 1795600000000
    return [json.dumps({"event": "e", "properties": {"time": base + n, "$insert_id": f"id-{n:03d}",
                                                     "mp_processing_time_ms": base + n + 5}}).encode()
            for n in range(count)]  # fmt: skip


def _reader(export):
    from datetime import UTC, datetime

    from connectors.product_analytics.mixpanel.events import EventReader

    config = _config(start_date="2026-11-26", days_per_query=31, page_size=100, include_today=False)
    return EventReader(export, config, system="mixpanel", now=lambda: datetime(2026, 11, 27, 12, tzinfo=UTC))


def test_a_pull_stopped_inside_a_query_skips_what_it_read_when_the_export_is_unchanged():
    export = _FakeExport(_lines(150), stable=99)
    pulls = _reader(export).pull(None)
    first = next(pulls)
    pulls.close()
    assert len(first.records) == 100 and first.cursor["partial"]["lines"] == 100
    rest = [r.source_id for b in _reader(export).pull(first.cursor) for r in b.records]
    assert rest == [f"id-{n:03d}" for n in range(100, 150)] and export.calls == 2


def test_a_pull_stopped_inside_a_query_reads_it_whole_again_when_the_export_changed():
    export = _FakeExport(_lines(150), stable=1)
    pulls = _reader(export).pull(None)
    first = next(pulls)
    pulls.close()
    again = [r.source_id for b in _reader(export).pull(first.cursor) for r in b.records]
    assert sorted(again) == [f"id-{n:03d}" for n in range(150)]  # nothing lost; the store absorbs the repeats
    assert export.calls == 3  # the resumed query, then the same query again from the start


def test_an_answer_that_is_not_a_page_is_described_by_its_shape_never_its_values(monkeypatch):
    from connectors.product_analytics.mixpanel.client import MixpanelClient

    client = MixpanelClient.__new__(MixpanelClient)  # only the answer's reading is under test: no session needed
    client.config, client.system, client.query_base = _config(), "mixpanel", "https://mixpanel.invalid/api/query"
    profile = b'{"$distinct_id": "u1", "$properties": {"$email": "priya.sato@example.com", "$name": "Priya Sato"}}'
    monkeypatch.setattr(client, "_send", lambda *args, **kwargs: _response(200, profile))
    with pytest.raises(FatalApiError) as raised:
        client.engage_page(session_id=None, page=0)
    message = raised.value.message
    assert "'$distinct_id', '$properties'" in message and "not a page of results" in message
    assert "priya" not in message.lower() and "Sato" not in message


class _TwoPages:
    """An engage query of two pages of two profiles (the first has no $properties: parked, yet it exists)."""

    def engage_page(self, *, session_id, page, where):
        results = [[{"$distinct_id": "a"}, {"$distinct_id": "b", "$properties": {}}],
                   [{"$distinct_id": "c", "$properties": {}}]][page]  # fmt: skip
        return {"session_id": "s1", "page": page, "page_size": 2, "total": 3, "results": results}


@pytest.mark.parametrize(
    ("where", "listed"), [(None, frozenset({"a", "b", "c"})), ('properties["plan"] == "pro"', None)]
)
def test_a_whole_pass_over_every_profile_lists_them_on_its_last_batch(where, listed):
    from datetime import UTC, datetime

    from connectors.product_analytics.mixpanel.profiles import ProfileReader

    settings_ = _config(profile_where=where)
    reader = ProfileReader(_TwoPages(), settings_, system="mixpanel", now=lambda: datetime.now(UTC))  # type: ignore[arg-type]
    batches = list(reader.pull(None))
    assert [b.listed for b in batches] == [None, listed]
    assert [r.source_id for b in batches for r in b.records] == ["b", "c"] and len(batches[0].rejected) == 1
