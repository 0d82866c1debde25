from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from requests.adapters import BaseAdapter

from connectors.http import ApiUsage, RetryPolicy, build_session, parse_retry_after
from core.logs import redact_text


class ScriptedAdapter(BaseAdapter):
    """Answers each request with the next scripted status (or raises the scripted error)."""

    def __init__(self, script: list[int | tuple[int, dict[str, str]] | Exception]) -> None:
        super().__init__()
        self.script = deque(script)
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        step = self.script.popleft()
        if isinstance(step, Exception):
            raise step
        status, headers = step if isinstance(step, tuple) else (step, {})
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = b"{}"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def session_with(script, *, policy=None):
    sleeps: list[float] = []
    session = build_session(system="acme", usage=ApiUsage("acme"), policy=policy, sleep=sleeps.append)
    adapter = ScriptedAdapter(script)
    session.mount("https://", adapter)
    return session, adapter, sleeps


def test_429_then_success_waits_retry_after_and_counts():
    session, adapter, sleeps = session_with([(429, {"Retry-After": "3"}), 200])
    response = session.get("https://api.example.test/x")
    assert response.status_code == 200
    assert sleeps == [3.0]
    assert session.usage.as_dict() == {"calls": 2, "retries": 1, "throttled_seconds": 3.0}
    assert len(adapter.sent) == 2


def test_5xx_on_get_is_retried_until_attempts_run_out_then_last_response_returned():
    policy = RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_ceiling=1.0)
    session, _, sleeps = session_with([503, 502, 500], policy=policy)
    response = session.get("https://api.example.test/x")
    assert response.status_code == 500
    assert session.usage.calls == 3 and session.usage.retries == 2
    assert all(0 <= s <= 1.0 for s in sleeps)


def test_5xx_on_post_is_not_retried_but_429_is():
    session, _, _ = session_with([500])
    assert session.post("https://api.example.test/x", json={}).status_code == 500
    assert session.usage.calls == 1
    session, _, _ = session_with([(429, {"Retry-After": "1"}), 201])
    assert session.post("https://api.example.test/x", json={}).status_code == 201


def test_a_post_its_sender_calls_repeatable_is_retried_on_5xx_like_a_get():
    """An OAuth token request: sending it again at worst issues a second token."""
    policy = RetryPolicy(max_attempts=3, backoff_base=0.1, backoff_ceiling=1.0)
    session, adapter, _ = session_with([503, 502, 200], policy=policy)
    assert session.request("POST", "https://api.example.test/token", data={}, repeatable=True).status_code == 200
    assert len(adapter.sent) == 3 and session.usage.retries == 2
    session, adapter, _ = session_with([503], policy=policy)
    assert session.request("POST", "https://api.example.test/token", data={}).status_code == 503
    assert len(adapter.sent) == 1


def test_retry_after_beyond_the_ceiling_is_returned_not_waited():
    session, _, sleeps = session_with([(429, {"Retry-After": "3600"})], policy=RetryPolicy(max_retry_after=60))
    assert session.get("https://api.example.test/x").status_code == 429
    assert sleeps == []


def test_connection_errors_are_retried_then_raised():
    error = requests.ConnectionError("connection refused")
    session, _, _ = session_with([error, error], policy=RetryPolicy(max_attempts=2, backoff_base=0.01))
    with pytest.raises(requests.ConnectionError):
        session.get("https://api.example.test/x")
    assert session.usage.calls == 2


def test_observers_see_each_final_response_once():
    session, _, _ = session_with([(429, {"Retry-After": "0"}), 200])
    seen: list[int] = []
    session.observers.append(lambda r: seen.append(r.status_code))
    session.get("https://api.example.test/x")
    assert seen == [200]


def test_default_timeout_applied():
    session, adapter, _ = session_with([200])
    captured = {}
    original = adapter.send

    def send(request, **kwargs):
        captured.update(kwargs)
        return original(request, **kwargs)

    adapter.send = send  # type: ignore[method-assign]
    session.get("https://api.example.test/x")
    assert captured["timeout"] == (10.0, 120.0)


def test_usage_since_snapshot():
    usage = ApiUsage("acme", calls=10, retries=1, throttled_seconds=2.0)
    before = usage.snapshot()
    usage.calls += 5
    usage.throttled_seconds += 1.5
    assert usage.since(before).as_dict() == {"calls": 5, "retries": 0, "throttled_seconds": 1.5}


def test_parse_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    now = datetime(2024, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(30.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_urls_are_logged_with_tokens_masked():
    url = "https://x.test/cb?access_token=abc.def&client_secret=s3cr3t&q=1"
    out = redact_text(url)
    assert "abc.def" not in out and "s3cr3t" not in out and "q=1" in out


class FakeClock:
    """Monotonic seconds that only the recorded sleeps move."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def paced_session(script, *pacers, clock):
    session = build_session(system="acme", usage=ApiUsage("acme"), sleep=clock.sleep)
    session.mount("https://", ScriptedAdapter(script))
    session.pacers.extend(pacers)
    return session


def test_pacer_keeps_an_endpoint_within_its_rate_and_leaves_others_alone():
    from connectors.http import RequestPacer, WindowLimit

    clock = FakeClock()
    search = RequestPacer(name="search", limits=[WindowLimit(2, 1.0)], applies=lambda m, u: u.endswith("/search"),
                          clock=clock)  # fmt: skip
    session = paced_session([200] * 7, search, clock=clock)
    for _ in range(3):
        session.post("https://api.example.test/search", json={})
    assert clock.sleeps == [1.0]  # the third search waited for the first to leave the window
    session.get("https://api.example.test/other")
    session.get("https://api.example.test/other")
    assert clock.sleeps == [1.0]
    clock.now += 0.25  # the window now holds the third search, sent at 101.0
    session.post("https://api.example.test/search", json={})
    session.post("https://api.example.test/search", json={})
    assert clock.sleeps == [1.0, pytest.approx(0.75)]
    assert session.usage.throttled_seconds == pytest.approx(1.75) and session.usage.retries == 0


def test_pacer_hold_delays_the_next_request_and_then_lets_it_go():
    from connectors.http import RequestPacer, WindowLimit

    clock = FakeClock()
    window = RequestPacer(name="ten_secondly", limits=[WindowLimit(100, 10.0)], clock=clock)
    session = paced_session([200, 200], window, clock=clock)
    session.get("https://api.example.test/x")
    window.hold(4.0)
    session.get("https://api.example.test/x")
    assert clock.sleeps == [4.0]


def test_pacer_needs_a_limit_and_can_be_retuned():
    from connectors.http import RequestPacer, WindowLimit

    with pytest.raises(ValueError, match="at least one limit"):
        RequestPacer(name="broken", limits=[])
    clock = FakeClock()
    pacer = RequestPacer(name="ten_secondly", limits=[WindowLimit(2, 10.0)], clock=clock)
    pacer.record()
    pacer.record()
    assert pacer.delay() == pytest.approx(10.0)
    pacer.set_limits([WindowLimit(3, 10.0)])  # the vendor's headers said the window is larger
    assert pacer.delay() == 0.0 and pacer.used(10) == 2


def test_pacer_with_several_windows_waits_for_each_and_counts_calls():
    from connectors.http import RequestPacer, WindowLimit

    clock = FakeClock()
    export = RequestPacer(name="export", limits=[WindowLimit(3, 1.0), WindowLimit(60, 3600.0)], clock=clock)
    session = paced_session([200] * 7, export, clock=clock)
    for _ in range(7):
        session.get("https://data.example.test/api/2.0/export")
    assert clock.sleeps[0] == pytest.approx(1.0) and len(clock.sleeps) == 2
    assert export.used(3600) == 7 and export.used(0.5) == 1


def test_pacer_raises_rate_limited_when_the_wait_is_longer_than_it_allows():
    from connectors.http import RequestPacer, WindowLimit
    from core.errors import RateLimited

    clock = FakeClock()
    export = RequestPacer(name="export", limits=[WindowLimit(2, 3600.0)], clock=clock, max_wait=60)
    session = paced_session([200] * 3, export, clock=clock)
    session.get("https://data.example.test/export")
    clock.now += 600
    session.get("https://data.example.test/export")
    with pytest.raises(RateLimited, match=r"2 per 3600s") as err:
        session.get("https://data.example.test/export")
    assert err.value.retry_after == pytest.approx(3000.0)
    assert clock.sleeps == [] and export.used(3600) == 2  # the refused call was not recorded
    clock.now += 3000.5
    session.get("https://data.example.test/export")
    assert clock.sleeps == []


def test_a_prefix_pacer_governs_only_urls_under_it_and_each_attempt():
    from connectors.http import RequestPacer, WindowLimit, url_prefix

    clock = FakeClock()
    session, adapter, _ = session_with([(429, {"Retry-After": "0"}), 200, 200, 200])
    export = RequestPacer(name="export", limits=[WindowLimit(2, 10.0)], clock=clock,
                          applies=url_prefix("https://data.example.test/api/2.0/export"))  # fmt: skip
    session.pacers.append(export)
    session._sleep = clock.sleep
    session.get("https://data.example.test/api/2.0/export?from_date=2024-01-01")  # 429 then 200: two attempts
    session.get("https://api.example.test/engage")  # not paced
    assert export.used(10) == 2
    session.get("https://data.example.test/api/2.0/export?from_date=2024-01-02")
    # the retry's backoff, then the pacer's wait until the first attempt leaves the window
    assert len(clock.sleeps) == 2 and sum(clock.sleeps) == pytest.approx(10.0) and len(adapter.sent) == 4
    assert session.usage.throttled_seconds == pytest.approx(10.0)  # the pacer's wait and the retry backoff


def test_window_limit_refuses_nonsense():
    from connectors.http import WindowLimit

    with pytest.raises(ValueError, match="calls >= 1"):
        WindowLimit(0, 1.0)


def test_a_stopping_run_ends_a_wait_for_a_rate_limit_at_once_and_later_runs_wait_again():
    import signal
    import threading
    import time

    from connectors.http import allow_waits, cut_waits, wait_unless_stopping
    from core.errors import RunInterrupted

    raised: list[BaseException] = []

    def waiting() -> None:
        try:
            wait_unless_stopping(120)  # a Retry-After of two minutes
        except RunInterrupted as err:
            raised.append(err)

    waiter = threading.Thread(target=waiting)
    started = time.monotonic()
    waiter.start()
    time.sleep(0.1)
    cut_waits(signal.SIGTERM)
    waiter.join(timeout=5)
    try:
        assert not waiter.is_alive() and time.monotonic() - started < 5
        (err,) = raised
        assert err.exit_code == 143 and "SIGTERM" in err.message and "rate limit" in err.message
    finally:
        allow_waits()
    begun = time.monotonic()
    wait_unless_stopping(0.05)  # waits again, and returns
    assert time.monotonic() - begun >= 0.05


def test_a_run_asked_to_stop_cuts_its_sessions_waits_and_lets_them_wait_again_when_it_ends(store):
    import signal

    from connectors.http import wait_unless_stopping
    from core.errors import RunInterrupted
    from core.sync.lifecycle import RunContext, RunKind

    with pytest.raises(RunInterrupted), RunContext(store, RunKind.SYNC, jobs=["sync"], catch_signals=False) as run:
        run.request_stop(signal.SIGTERM)
        wait_unless_stopping(60)
    wait_unless_stopping(0.01)  # the run has ended: waits are allowed again
