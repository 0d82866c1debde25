from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
from requests.adapters import BaseAdapter

from connectors.http import ApiUsage, RateLimit, RetryPolicy, build_session, parse_retry_after
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
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def paced_session(script, limit):
    clock = FakeClock()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    session = build_session(system="acme", usage=ApiUsage("acme"), sleep=sleep, clock=clock)
    session.mount("https://", ScriptedAdapter(script))
    session.rate_limits.append(limit)
    return session, clock, sleeps


def _exports_only(method: str, url: str) -> bool:
    return "/incremental/" in url


def test_rate_limit_paces_only_the_matching_endpoints_to_n_calls_a_window():
    limit = RateLimit("incremental_exports", calls=3, per_seconds=60, applies=_exports_only)
    session, clock, sleeps = paced_session([200] * 8, limit)
    for _ in range(3):
        session.get("https://api.example.test/incremental/users")
    assert sleeps == []
    session.get("https://api.example.test/users/me")  # another endpoint is not held back
    assert sleeps == []
    clock.now += 10
    session.get("https://api.example.test/incremental/users")  # the 4th in the window waits for the 1st to age out
    assert sleeps == [50.0]
    session.get("https://api.example.test/incremental/users")
    session.get("https://api.example.test/incremental/users")
    assert sleeps == [50.0]  # the 2nd and 3rd had aged out by then
    session.get("https://api.example.test/incremental/users")
    assert sleeps == [50.0, 60.0]
    assert session.usage.throttled_seconds == 110.0 and session.usage.retries == 0


def test_rate_limit_hold_defers_the_group_when_the_vendor_says_its_budget_is_spent():
    limit = RateLimit("incremental_exports", calls=10, per_seconds=60, applies=_exports_only)
    session, clock, sleeps = paced_session([200, 200], limit)
    limit.hold(42, now=clock())
    session.get("https://api.example.test/users/me")
    assert sleeps == []
    session.get("https://api.example.test/incremental/tickets")
    assert sleeps == [42.0]


def test_rate_limit_with_a_sleep_that_does_not_move_the_clock_still_spaces_the_calls():
    limit = RateLimit("x", calls=1, per_seconds=6, applies=lambda m, u: True)
    sleeps: list[float] = []
    session = build_session(system="acme", sleep=sleeps.append, clock=lambda: 0.0)
    session.mount("https://", ScriptedAdapter([200, 200, 200]))
    session.rate_limits.append(limit)
    for _ in range(3):
        session.get("https://api.example.test/x")
    assert sleeps == [6.0, 12.0]
