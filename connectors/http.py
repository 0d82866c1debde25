"""One HTTP session factory for every connector.

    build_session(system=..., usage=...)  -> MeteredSession (a requests.Session)
    ├── timeouts on every request (connect, read) unless the caller gives one
    ├── tenacity retries on 429, 5xx and connection errors
    │     wait = max(Retry-After, jittered exponential backoff up to backoff_ceiling);
    │     a 429 whose Retry-After exceeds max_retry_after is returned, not waited for
    ├── RateLimit pacing: at most N calls per window to a group of endpoints (a vendor's
    │     per-endpoint limit, such as Zendesk's 10 incremental exports a minute); the
    │     wait is taken before sending, and a vendor header can hold the group back
    ├── ApiUsage accounting: calls, retries, throttled seconds, per system
    ├── response observers (a connector reads its rate-limit headers there)
    └── log events with secrets redacted (tokens, session IDs, passwords in URLs)

A non-idempotent request (POST) is retried only when the server cannot have
acted on it: a 429, or a connection that was never established. When retries
run out, the last response is returned as it is, so the connector's ``errors.py``
turns it into ``RateLimited`` or ``RetryableError`` with the right context.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, runtime_checkable

import requests
import structlog
from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_random_exponential

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiUsage",
    "MeteredConnector",
    "MeteredSession",
    "RateLimit",
    "ResponseObserver",
    "RetryPolicy",
    "build_session",
    "parse_retry_after",
]

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 120.0)
"""Seconds to connect and to wait for each read, when the caller gives no timeout."""

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})

ResponseObserver = Callable[[requests.Response], None]
"""Called with every final response (after retries), e.g. to read rate-limit headers."""


@dataclass
class ApiUsage:
    """API calls spent against one system; the run ledger records one per system.

    Attributes:
        system: Configured system name.
        calls: HTTP requests sent, retries included (each one costs API quota).
        retries: Requests that were repeats of a failed attempt.
        throttled_seconds: Time spent waiting: before retries (Retry-After or backoff), and
            before sending when a ``RateLimit`` was spent.

    """

    system: str
    calls: int = 0
    retries: int = 0
    throttled_seconds: float = 0.0

    def snapshot(self) -> ApiUsage:
        """Return a frozen copy, to subtract later with ``since``."""
        return ApiUsage(self.system, self.calls, self.retries, self.throttled_seconds)

    def since(self, earlier: ApiUsage) -> ApiUsage:
        """Return the usage accrued after ``earlier`` (a snapshot of this same counter)."""
        return ApiUsage(
            self.system,
            self.calls - earlier.calls,
            self.retries - earlier.retries,
            round(self.throttled_seconds - earlier.throttled_seconds, 3),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored in the run ledger."""
        return {"calls": self.calls, "retries": self.retries, "throttled_seconds": round(self.throttled_seconds, 3)}


@runtime_checkable
class MeteredConnector(Protocol):
    """A connector that counts its API calls (every connector built on ``build_session``)."""

    @property
    def api_usage(self) -> ApiUsage:
        """The running counter of API calls of this connector."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry.

    Attributes:
        max_attempts: Attempts per request, the first included.
        backoff_base: Seconds of the first backoff step (doubles each retry, jittered).
        backoff_ceiling: No backoff step exceeds this many seconds (a longer
            Retry-After is still waited for, up to ``max_retry_after``).
        max_retry_after: A Retry-After longer than this is not waited for: the
            response is returned and the connector raises ``RateLimited``.

    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_ceiling: float = 30.0
    max_retry_after: float = 120.0


@dataclass
class RateLimit:
    """A client-side limit on a group of endpoints: at most ``calls`` requests in any ``per_seconds``.

    Vendors limit some endpoints more tightly than the account (Zendesk: 10 incremental
    export requests a minute). Pacing before sending spends no call on a 429; a 429
    that comes anyway (another client shares the budget) is still retried by the session.
    The session asks ``delay`` before each attempt to a matching URL, and sleeps that long.

    Attributes:
        name: The group's name, for logs (``incremental_exports``).
        calls: Requests allowed per window.
        per_seconds: The window, in seconds.
        applies: Whether a request (method, URL) counts against this limit.
    """

    name: str
    calls: int
    per_seconds: float
    applies: Callable[[str, str], bool]
    _sent: deque[float] = field(default_factory=deque, init=False, repr=False)
    _hold_until: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def delay(self, now: float) -> float:
        """Reserve the next send slot at or after ``now`` (monotonic seconds); return how long to wait for it."""
        with self._lock:
            at = max(now, self._hold_until)
            while self._sent and self._sent[0] <= at - self.per_seconds:
                self._sent.popleft()
            if len(self._sent) >= self.calls:
                at = max(at, self._sent[0] + self.per_seconds)
                self._sent.popleft()
            self._sent.append(at)
            return at - now

    def hold(self, seconds: float, *, now: float) -> None:
        """Send nothing of this group for ``seconds`` from ``now`` (the vendor said its budget is spent)."""
        with self._lock:
            self._hold_until = max(self._hold_until, now + max(0.0, seconds))


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class MeteredSession(requests.Session):
    """A ``requests.Session`` that times out, retries, counts and redacts.

    Build it with ``build_session``; vendor libraries that accept a session
    (simple-salesforce does) then inherit all of it.
    """

    def __init__(
        self,
        *,
        usage: ApiUsage,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        timeout: tuple[float, float],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.usage = usage
        self.policy = policy
        self.observers: list[ResponseObserver] = []
        self.rate_limits: list[RateLimit] = []
        self.clock = clock
        self._sleep = sleep
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send one request with timeouts, retries and accounting; see the module docstring."""
        kwargs.setdefault("timeout", self._timeout)
        # requests lets REQUESTS_CA_BUNDLE override session.verify; a configured CA file must win.
        kwargs.setdefault("verify", self.verify)
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=self._should_retry,
            sleep=self._sleep_and_count,
            retry_error_callback=_last_outcome,
            reraise=True,
        )
        response: requests.Response = retrying(self._send_once, verb.upper(), target, args, kwargs)
        for observe in self.observers:
            observe(response)
        return response

    def _send_once(self, method: str, url: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> requests.Response:
        self._pace(method, url)
        self.usage.calls += 1
        return super().request(method, url, *args, **kwargs)

    def _pace(self, method: str, url: str) -> None:
        """Wait as long as the rate limits this request counts against ask."""
        for limit in self.rate_limits:
            if not limit.applies(method, url):
                continue
            wait = limit.delay(self.clock())
            if wait > 0:
                self.usage.throttled_seconds += wait
                log.info("http.request_paced", system=self.usage.system, limit=limit.name, wait=round(wait, 3))
                self._sleep(wait)

    def _should_retry(self, state: RetryCallState) -> bool:
        method = str(state.args[0])
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            err = outcome.exception()
            if isinstance(err, requests.ConnectionError):  # ConnectTimeout included, ReadTimeout not
                return method in _IDEMPOTENT or _never_connected(err)
            return isinstance(err, requests.ReadTimeout) and method in _IDEMPOTENT
        response: requests.Response = outcome.result()
        if response.status_code == 429:
            after = parse_retry_after(response.headers.get("Retry-After"))
            return after is None or after <= self.policy.max_retry_after
        return response.status_code in _RETRY_STATUSES and method in _IDEMPOTENT

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(multiplier=self.policy.backoff_base, max=self.policy.backoff_ceiling)(state)
        after: float | None = None
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            after = parse_retry_after(outcome.result().headers.get("Retry-After"))
        return backoff if after is None else max(backoff, after)

    def _sleep_and_count(self, seconds: float) -> None:
        self.usage.retries += 1
        self.usage.throttled_seconds += seconds
        log.info("http.request_retried", system=self.usage.system, retry_after=round(seconds, 3))
        self._sleep(seconds)


def _never_connected(err: BaseException) -> bool:
    """Tell whether the request never reached the server, so even a POST is safe to repeat."""
    text = str(err).lower()
    return isinstance(err, requests.ConnectTimeout) or "connection refused" in text or "failed to establish" in text


def _last_outcome(state: RetryCallState) -> Any:
    """When retries run out, hand back the last response (or raise the last error)."""
    outcome = state.outcome
    if outcome is None:  # pragma: no cover - tenacity always sets it before calling us
        msg = "retry ended without an outcome"
        raise RuntimeError(msg)
    log.warning("http.retries_exhausted", attempt=state.attempt_number)
    return outcome.result()


def build_session(
    *,
    system: str,
    usage: ApiUsage | None = None,
    policy: RetryPolicy | None = None,
    verify: str | bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    user_agent: str = "contactpoint",
    clock: Callable[[], float] = time.monotonic,
) -> MeteredSession:
    """Build the HTTP session a connector uses for every call.

    Args:
        system: Configured system name, for the usage counter and logs.
        usage: Counter to add to; a new one when None.
        policy: Retry settings; ``RetryPolicy()`` when None.
        verify: TLS verification: True, or the path of a CA bundle (a sandbox's).
        timeout: (connect, read) seconds applied when a call gives none.
        sleep: How to wait between retries and for rate limits; tests inject a recorder.
        user_agent: The User-Agent header.
        clock: Monotonic seconds, for ``RateLimit`` pacing; tests inject a fake one.

    Returns:
        A ``MeteredSession`` whose ``usage`` counts calls, retries and throttled seconds.

    """
    session = MeteredSession(
        usage=usage or ApiUsage(system),
        policy=policy or RetryPolicy(),
        sleep=sleep,
        timeout=timeout,
        clock=clock,
    )
    session.verify = verify
    session.headers["User-Agent"] = user_agent
    return session
