"""The HubSpot sandbox's control handle: rate limits, faults and request counts.

Rate limits, enforced as HubSpot does and reported in ``X-HubSpot-RateLimit-*`` headers
(private-app tokens also get the daily ones)::

    ten_secondly   190 requests per rolling 10 seconds     429 TEN_SECONDLY_ROLLING
    secondly       19 requests per second                  429 SECONDLY
    search         5 search requests per second            429 SECONDLY (no rate-limit headers on search)
    daily          the daily limit (--api-limit)           429 DAILY

Fault kinds (``FaultSpec.kind``; ``count`` where it counts)::

    rate_limited         next COUNT API requests answer 429 TEN_SECONDLY_ROLLING with Retry-After
    search_rate_limited  next COUNT search requests answer 429 SECONDLY with Retry-After
    unavailable          next COUNT API requests answer 503 with Retry-After
    expire_tokens        every OAuth access token issued so far answers 401 EXPIRED_AUTHENTICATION
    malformed_record     a record reads with a broken value (params: object, record_id, property, value;
                         default: the first live contact's lastmodifieddate becomes "2026-02-30T25:61:00Z")
    malformed_event      one email event's ``created`` becomes text (params: event_id; default: the newest)
    fail_records         batch writes to these IDs or emails fail, each in the 207 errors (params: ids)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from core.errors import ConfigError
from sandbox.common.control import FaultSpec, RequestLog, TransientFaults
from sandbox.hubspot.auth import TokenStore
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.search import MAX_RESULTS

__all__ = ["HubSpotControl", "HubSpotFault", "RateLimits", "Window"]


class HubSpotFault(StrEnum):
    """The fault kinds the HubSpot sandbox knows."""

    RATE_LIMITED = "rate_limited"
    SEARCH_RATE_LIMITED = "search_rate_limited"
    UNAVAILABLE = "unavailable"
    EXPIRE_TOKENS = "expire_tokens"
    MALFORMED_RECORD = "malformed_record"
    MALFORMED_EVENT = "malformed_event"
    FAIL_RECORDS = "fail_records"


class Window:
    """A rolling window: at most ``limit`` requests per ``seconds``."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._sent: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= self.seconds:
            self._sent.popleft()

    def wait(self) -> float | None:
        """The seconds until a request may be sent, or None when one may be sent now."""
        now = self._clock()
        self._trim(now)
        return self._sent[0] + self.seconds - now if len(self._sent) >= self.limit else None

    def add(self) -> None:
        """Count one request sent now."""
        self._sent.append(self._clock())

    def remaining(self) -> int:
        """Requests still allowed in the current window."""
        self._trim(self._clock())
        return max(0, self.limit - len(self._sent))


class RateLimits:
    """The portal's request limits (see the module docstring)."""

    def __init__(self, *, daily: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.daily_limit = daily
        self.daily_used = 0
        self.configure(ten_secondly=190, secondly=19, search_per_second=5)

    def configure(
        self, *, ten_secondly: int, secondly: int, search_per_second: int, clock: Callable[[], float] | None = None
    ) -> None:
        """Set the window limits (tests raise them to stay clear of throttling, or give a clock to step)."""
        with self._lock:
            self._clock = clock or self._clock
            self.ten_secondly = Window(ten_secondly, 10.0, self._clock)
            self.secondly = Window(secondly, 1.0, self._clock)
            self.search = Window(search_per_second, 1.0, self._clock)

    def take(self, *, search: bool) -> tuple[str, float] | None:
        """Count one request; or return (the policy it would break, seconds to wait)."""
        with self._lock:
            if self.daily_used >= self.daily_limit:
                return "DAILY", 3600.0
            windows = [("SECONDLY", self.search)] if search else [("TEN_SECONDLY_ROLLING", self.ten_secondly),
                                                                  ("SECONDLY", self.secondly)]  # fmt: skip
            for policy, window in windows:
                wait = window.wait()
                if wait is not None:
                    return policy, wait  # a refused request counts against no window
            for _, window in windows:
                window.add()
            self.daily_used += 1
            return None

    def headers(self, *, daily: bool) -> dict[str, str]:
        """The ``X-HubSpot-RateLimit-*`` headers after this request."""
        with self._lock:
            out = {
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                "X-HubSpot-RateLimit-Max": str(self.ten_secondly.limit),
                "X-HubSpot-RateLimit-Remaining": str(self.ten_secondly.remaining()),
                "X-HubSpot-RateLimit-Secondly": str(self.secondly.limit),
                "X-HubSpot-RateLimit-Secondly-Remaining": str(self.secondly.remaining()),
            }
            if daily:
                out["X-HubSpot-RateLimit-Daily"] = str(self.daily_limit)
                out["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(0, self.daily_limit - self.daily_used))
            return out


class HubSpotControl:
    """Inject faults and read counters of a running HubSpot sandbox.

    Attributes:
        requests: Request counts by ``"METHOD /path"``.
        transient: Queued 429/503 answers for any API request.
        search_faults: Queued 429 answers for search requests.
        limits: The portal's rate limits and daily usage.
        failing: Record IDs and emails whose batch writes fail.
    """

    def __init__(self, portal: Portal, tokens: TokenStore, limits: RateLimits) -> None:
        self.portal = portal
        self.tokens = tokens
        self.limits = limits
        self.requests = RequestLog()
        self.transient = TransientFaults()
        self.search_faults = TransientFaults()
        self.failing: set[str] = set()
        self.search_ceiling = MAX_RESULTS
        """How many results one search can reach (HubSpot: 10,000); tests lower it to meet it with few records."""
        self._lock = threading.Lock()

    def inject(self, spec: FaultSpec) -> None:
        """Inject one fault.

        Raises:
            ConfigError: Unknown fault kind or bad parameters.
        """
        try:
            kind = HubSpotFault(spec.kind)
        except ValueError:
            known = ", ".join(f.value for f in HubSpotFault)
            msg = f"unknown HubSpot sandbox fault {spec.kind!r}"
            raise ConfigError(msg, hint=f"known faults: {known}") from None
        if kind in {HubSpotFault.RATE_LIMITED, HubSpotFault.UNAVAILABLE}:
            status = 429 if kind == HubSpotFault.RATE_LIMITED else 503
            self.fail_next(spec.count, status=status, retry_after=spec.retry_after)
        elif kind == HubSpotFault.SEARCH_RATE_LIMITED:
            self.search_faults.add(429, count=spec.count, retry_after=spec.retry_after)
        elif kind == HubSpotFault.EXPIRE_TOKENS:
            self.tokens.expire_all()
        elif kind == HubSpotFault.MALFORMED_RECORD:
            self.corrupt_record(**spec.params)
        elif kind == HubSpotFault.MALFORMED_EVENT:
            self.corrupt_event(**spec.params)
        else:
            self.fail_records([str(i) for i in spec.params.get("ids", [])])

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status`` (429 or 503) and ``Retry-After``."""
        self.transient.add(status, count=count, retry_after=retry_after)

    def corrupt_record(
        self,
        object: str = "contacts",
        record_id: str | None = None,
        property: str = "lastmodifieddate",
        value: str = "2026-02-30T25:61:00Z",
    ) -> str:
        """Make one record read with a broken ``property`` value; returns its ID.

        Raises:
            ConfigError: Unknown object or record.
        """
        with self.portal.lock:
            if object not in self.portal.records:
                msg = f"malformed_record: no object {object!r}"
                raise ConfigError(msg, hint="use contacts or companies")
            record = self.portal.get(object, record_id) if record_id else next(self.portal.live(object), None)
            if record is None:
                msg = f"malformed_record: no live {object} record {record_id!r}"
                raise ConfigError(msg, hint="name an existing record ID, or none for the first one")
            record.broken[property] = value
            return record.id

    def corrupt_event(self, event_id: str | None = None) -> str:
        """Make one email event's ``created`` unreadable; returns its ID."""
        with self.portal.lock:
            events = self.portal.events_newest_first()
            event = next((e for e in events if e.id == event_id), None) if event_id else events[0]
            if event is None:
                msg = f"malformed_event: no event {event_id!r}"
                raise ConfigError(msg, hint="name an existing event ID, or none for the newest")
            event.extra["created"] = "yesterday"  # the rendering breaks; the event keeps its place in time
            return event.id

    def fail_records(self, ids: list[str]) -> None:
        """Make batch writes to these record IDs (or upserts of these emails) fail."""
        with self._lock:
            self.failing |= {i.lower() for i in ids}

    def set_api_usage(self, used: int, *, limit: int | None = None) -> None:
        """Set the daily usage (and optionally the limit); at the limit every API call gets 429 DAILY."""
        with self.limits._lock:
            self.limits.daily_used = used
            if limit is not None:
                self.limits.daily_limit = limit

    def stats(self) -> dict[str, Any]:
        """Request counts, daily usage and the faults still pending."""
        return {
            "requests": self.requests.snapshot(),
            "api_usage": {"used": self.limits.daily_used, "limit": self.limits.daily_limit},
            "pending": {"transient": self.transient.pending(), "search": self.search_faults.pending()},
            "failing": sorted(self.failing),
        }

    def reset(self) -> None:
        """Clear faults, counts, usage and a lowered search ceiling (data and tokens stay)."""
        self.transient.clear()
        self.search_ceiling = MAX_RESULTS
        self.search_faults.clear()
        self.requests.clear()
        with self._lock:
            self.failing.clear()
        self.set_api_usage(0)
