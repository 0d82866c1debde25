"""One HTTP session factory for every connector.

    build_session(system=..., usage=...)  -> MeteredSession (a requests.Session)
    ├── timeouts on every request (connect, read) unless the caller gives one
    ├── tenacity retries on 429, 5xx and connection errors
    │     wait = max(Retry-After, jittered exponential backoff up to backoff_ceiling);
    │     a 429 whose Retry-After exceeds max_retry_after is returned, not waited for
    ├── pacers: a vendor's published rates kept on our side (N requests per window,
    │     several windows at once, for all requests or one endpoint's), waited for
    │     before sending; a rate-limit header that says a window is spent holds the
    │     pacer; a wait longer than the pacer allows raises RateLimited instead
    ├── ApiUsage accounting: calls, retries, throttled seconds, per system
    ├── response observers (a connector reads its rate-limit headers there)
    └── log events with secrets redacted (tokens, session IDs, passwords in URLs)

A run asked to stop (SIGTERM) while a session waits out a Retry-After or a pacer does not
wait on: ``cut_waits(signal)`` ends every such wait at once with ``RunInterrupted``, before
the request is sent again, so a service manager's stop timeout is kept (what the run stored
and confirmed stands; the next run carries on).

A non-idempotent request (POST) is retried only when the server cannot have
acted on it: a 429, or a connection that was never established; unless its sender
says it is safe to send again (``repeatable=True``: an OAuth token request, which
at worst issues a second token), when it is retried like a GET. When retries
run out, the last response is returned as it is, so the connector's ``errors.py``
turns it into ``RateLimited`` or ``RetryableError`` with the right context.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import requests
import structlog
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, stop_after_attempt, wait_random_exponential

from core.errors import ConnectorConfigError, RateLimited, RunInterrupted

__all__ = [
    "DEFAULT_TIMEOUT",
    "ApiUsage",
    "MeteredConnector",
    "MeteredSession",
    "RequestPacer",
    "ResponseObserver",
    "RetryPolicy",
    "WindowLimit",
    "allow_waits",
    "build_session",
    "cut_waits",
    "parse_retry_after",
    "url_prefix",
    "wait_unless_stopping",
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
        throttled_seconds: Time spent waiting before retries (Retry-After or backoff).

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


class VendorConnector:
    """What every vendor connector shares: built from its own settings model, its calls counted on its session.

    A subclass sets ``config_model`` and ``self.session`` (a ``MeteredSession``) and takes
    ``(config, *, name)`` in its constructor.
    """

    config_model: ClassVar[type[BaseModel]]
    session: MeteredSession

    def __init__(self, config: Any, *, name: str) -> None:
        raise NotImplementedError  # each connector has its own

    @classmethod
    def from_config(cls, config: BaseModel, *, name: str) -> Self:
        """Build the connector for the system configured as ``name``.

        Raises:
            ConnectorConfigError: ``config`` is not an instance of the connector's ``config_model``.
        """
        if not isinstance(config, cls.config_model):
            msg = f"expected {cls.config_model.__name__} for {name!r}, got {type(config).__name__}"
            raise ConnectorConfigError(msg, hint=f"validate settings with {cls.__name__}.config_model", system=name)
        return cls(config, name=name)

    @property
    def api_usage(self) -> ApiUsage:
        """Calls, retries and throttled seconds spent by this connector so far."""
        return self.session.usage


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


@dataclass(frozen=True)
class WindowLimit:
    """A published rate limit: at most ``calls`` requests in any ``seconds``-long (sliding) window.

    Examples: HubSpot's CRM search allows ``WindowLimit(5, 1)``; Mixpanel's raw export
    ``WindowLimit(60, 3600)`` and ``WindowLimit(3, 1)``.
    """

    calls: int
    seconds: float

    def __post_init__(self) -> None:
        if self.calls < 1 or self.seconds <= 0:
            msg = f"a rate limit needs calls >= 1 and seconds > 0, got {self.calls} per {self.seconds}s"
            raise ValueError(msg)


def url_prefix(prefix: str) -> Callable[[str, str], bool]:
    """A pacer's ``applies`` for every request whose URL starts with ``prefix``."""
    return lambda _method, url: url.startswith(prefix)


class RequestPacer:
    """Keep a vendor's request rates on our side, so requests are sent inside its limits.

    Vendors limit some endpoints below the general rate (HubSpot's CRM search: five a
    second; Mixpanel's export: three a second and sixty an hour) or say in headers that a
    window is spent. A pacer remembers when its recent requests were sent and says how
    long to wait before the next one, so the session waits *before* sending instead of
    earning a 429 (which often carries no useful Retry-After and still spends quota).
    When the wait would exceed ``max_wait`` (an hourly quota is spent), the session
    raises ``RateLimited`` with the seconds until there is room, so a pull stops at its
    last saved cursor instead of sleeping for most of an hour.

    Args:
        name: What it paces, for messages and logs (``search``, ``mixpanel export``).
        limits: The limits that all apply.
        applies: Which requests it paces, from (method, url); every request when None
            (``url_prefix`` builds the common case).
        clock: Monotonic seconds; tests inject one that their sleep advances.
        max_wait: The longest wait accepted before ``RateLimited`` (no bound by default).
    """

    def __init__(
        self,
        *,
        name: str,
        limits: Sequence[WindowLimit],
        applies: Callable[[str, str], bool] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_wait: float = float("inf"),
    ) -> None:
        if not limits:
            msg = f"pacer {name!r} needs at least one limit"
            raise ValueError(msg)
        self.name = name
        self.limits = tuple(limits)
        self.max_wait = max_wait
        self._applies = applies
        self._clock = clock
        self._sent: deque[float] = deque(maxlen=max(limit.calls for limit in self.limits))
        self._held_until = 0.0
        self._lock = threading.Lock()

    def set_limits(self, limits: Sequence[WindowLimit]) -> None:
        """Replace the limits (a vendor's headers said what they are now); the requests sent are kept."""
        if not limits:
            msg = f"pacer {self.name!r} needs at least one limit"
            raise ValueError(msg)
        with self._lock:
            self.limits = tuple(limits)
            self._sent = deque(self._sent, maxlen=max(limit.calls for limit in self.limits))

    def applies(self, method: str, url: str) -> bool:
        """Tell whether this pacer governs a request."""
        return self._applies is None or self._applies(method, url)

    def delay(self) -> float:
        """Return the seconds to wait before the next request may be sent (0 when it may go now)."""
        with self._lock:
            now = self._clock()
            wait = self._held_until - now
            for limit in self.limits:
                recent = [t for t in self._sent if t > now - limit.seconds]
                if len(recent) >= limit.calls:
                    wait = max(wait, recent[-limit.calls] + limit.seconds - now)
            return max(0.0, wait)

    def record(self) -> None:
        """Note that a request was sent now."""
        with self._lock:
            self._sent.append(self._clock())

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (a rate-limit header said the window is spent)."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + max(0.0, seconds))

    def used(self, seconds: float) -> int:
        """Return how many requests were sent in the last ``seconds`` (as far as the longest limit remembers)."""
        with self._lock:
            now = self._clock()
            return sum(1 for t in self._sent if t > now - seconds)

    def refuse(self, wait: float) -> RateLimited:
        """The error for a wait over ``max_wait``: how long until there is room, and what to do."""
        window = ", ".join(f"{lim.calls} per {lim.seconds:g}s" for lim in self.limits)
        msg = f"{self.name}: the published rate limit ({window}) is reached for the next {wait:.0f}s"
        hint = "the next run resumes from the last saved cursor; run it later or less often"
        return RateLimited(msg, retry_after=round(wait, 3), hint=hint, operation=self.name)


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
    ) -> None:
        super().__init__()
        self.usage = usage
        self.policy = policy
        self.observers: list[ResponseObserver] = []
        self.pacers: list[RequestPacer] = []
        self._sleep = sleep
        self._timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, repeatable: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send one request with timeouts, retries and accounting; see the module docstring.

        ``repeatable``: a POST that is safe to send again (a token request) is retried like a GET.
        """
        kwargs.setdefault("timeout", self._timeout)
        # requests lets REQUESTS_CA_BUNDLE override session.verify; a configured CA file must win.
        kwargs.setdefault("verify", self.verify)
        verb = method.decode() if isinstance(method, bytes) else method
        target = url.decode() if isinstance(url, bytes) else url
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=partial(self._should_retry, safe=verb.upper() in _IDEMPOTENT or repeatable),
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
        """Wait until every pacer that governs this request lets it go, then count it against each."""
        pacers = [p for p in self.pacers if p.applies(method, url)]
        while pacers:
            waits = [(p.delay(), p) for p in pacers]
            wait = max(delay for delay, _ in waits)
            if wait <= 0:
                break
            for delay, pacer in waits:
                if delay > pacer.max_wait:
                    raise pacer.refuse(delay)
            self.usage.throttled_seconds += wait
            log.debug("http.request_paced", system=self.usage.system, pacers=[p.name for p in pacers], wait=wait)
            self._sleep(wait)
        for pacer in pacers:
            pacer.record()

    def _should_retry(self, state: RetryCallState, *, safe: bool) -> bool:
        """Whether to send again; ``safe``: the request may be repeated (its method, or ``repeatable``)."""
        outcome = state.outcome
        if outcome is None:
            return False
        if outcome.failed:
            err = outcome.exception()
            if isinstance(err, requests.exceptions.SSLError):  # an untrusted certificate stays untrusted
                return False
            if isinstance(err, requests.ConnectionError):  # ConnectTimeout included, ReadTimeout not
                return safe or _never_connected(err)
            return isinstance(err, requests.ReadTimeout) and safe
        response: requests.Response = outcome.result()
        if response.status_code == 429:
            after = parse_retry_after(response.headers.get("Retry-After"))
            return after is None or after <= self.policy.max_retry_after
        return response.status_code in _RETRY_STATUSES and safe

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


_CUT = threading.Event()
_CUT_BY: list[int] = []


def cut_waits(signal_number: int) -> None:
    """End every wait of every session now, and every later one, until ``allow_waits`` (a run is stopping)."""
    _CUT_BY[:] = [signal_number]
    _CUT.set()


def allow_waits() -> None:
    """Let sessions wait again (the run that stopped them has ended)."""
    _CUT.clear()
    _CUT_BY.clear()


def wait_unless_stopping(seconds: float) -> None:
    """Sleep ``seconds``, unless a run is stopping (``cut_waits``).

    Raises:
        RunInterrupted: The run was asked to stop before or during the wait.
    """
    if _CUT.wait(max(seconds, 0.0)):
        number = _CUT_BY[0] if _CUT_BY else signal.SIGTERM
        name = signal.Signals(number).name
        msg = (
            f"stopped by {name} while waiting {seconds:.0f} s for a vendor's rate limit; the request was not sent again"
        )
        raise RunInterrupted(msg, signal_number=number, hint="run the same command again to carry on")


def build_session(
    *,
    system: str,
    usage: ApiUsage | None = None,
    policy: RetryPolicy | None = None,
    verify: str | bool = True,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    sleep: Callable[[float], None] = wait_unless_stopping,
    user_agent: str = "contactpoint",
) -> MeteredSession:
    """Build the HTTP session a connector uses for every call.

    Args:
        system: Configured system name, for the usage counter and logs.
        usage: Counter to add to; a new one when None.
        policy: Retry settings; ``RetryPolicy()`` when None.
        verify: TLS verification: True, or the path of a CA bundle (a sandbox's).
        timeout: (connect, read) seconds applied when a call gives none.
        sleep: How to wait between retries and for pacers (``wait_unless_stopping``: a stopping
            run does not wait on); tests inject a recorder.
        user_agent: The User-Agent header.

    Returns:
        A ``MeteredSession`` whose ``usage`` counts calls, retries and throttled seconds.

    """
    session = MeteredSession(
        usage=usage or ApiUsage(system),
        policy=policy or RetryPolicy(),
        sleep=sleep,
        timeout=timeout,
    )
    session.verify = verify
    session.headers["User-Agent"] = user_agent
    return session
