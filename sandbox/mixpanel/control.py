"""The Mixpanel sandbox's control handle: faults, limits, the clock and a traffic log.

Fault kinds (``FaultSpec.kind``; ``count`` where it counts)::

    rate_limited       next COUNT requests answer 429 with Retry-After
    unavailable        next COUNT requests answer 503 with Retry-After
    malformed_event    the export of a day holds a truncated JSON line
                       (params: day, ISO date; default: yesterday)
    fail_records       profile updates for these distinct IDs fail validation (params: distinct_ids)
    expire_sessions    every engage query session_id is forgotten
    late_events        COUNT events of an earlier day arrive now (params: day; default: two days ago)

``capture`` keeps every request and response (for contract checks of any client's
traffic); ``export_limits`` are Mixpanel's raw export limits and ``query_limits`` its
Query API limits (the engage query), enforced per project. Tests and benchmarks lift
them by setting their attributes (``control.query_limits.per_hour = 10**6``).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from core.errors import ConfigError
from sandbox.common.control import FaultSpec, RequestLog, TransientFaults
from sandbox.mixpanel.project import Event, Project

__all__ = ["Captured", "ExportLimits", "MixpanelControl", "MixpanelFault", "QueryLimits"]


class MixpanelFault(StrEnum):
    """The fault kinds the Mixpanel sandbox knows."""

    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    MALFORMED_EVENT = "malformed_event"
    FAIL_RECORDS = "fail_records"
    EXPIRE_SESSIONS = "expire_sessions"
    LATE_EVENTS = "late_events"


@dataclass(frozen=True)
class Captured:
    """One request and its response, as the sandbox saw them."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_headers: dict[str, str]
    response_body: bytes


class _HourWindow:
    """Calls counted over the last hour (a sliding window, real time), under a lock its owner holds."""

    def __init__(self) -> None:
        self.calls: deque[float] = deque()
        self.lock = threading.Lock()

    def past_limit(self, now: float, per_hour: int) -> float | None:
        """Forget calls older than an hour; return the seconds until one more is allowed, or None now."""
        while self.calls and self.calls[0] <= now - 3600:
            self.calls.popleft()
        if len(self.calls) >= per_hour:
            return self.calls[len(self.calls) - per_hour] + 3600 - now
        return None


class ExportLimits:
    """The raw export's published limits: queries per hour and per second (sliding windows, real time)."""

    def __init__(self, per_hour: int = 60, per_second: int = 3) -> None:
        self.per_hour = per_hour
        self.per_second = per_second
        self._window = _HourWindow()

    def take(self) -> float | None:
        """Count one query; return None when allowed, else the seconds until one would be."""
        window = self._window
        with window.lock:
            now = time.monotonic()
            wait = window.past_limit(now, self.per_hour)
            if wait is not None:
                return wait
            last_second = [t for t in window.calls if t > now - 1]
            if len(last_second) >= self.per_second:
                return last_second[len(last_second) - self.per_second] + 1 - now
            window.calls.append(now)
            return None

    def clear(self) -> None:
        """Forget every counted query."""
        with self._window.lock:
            self._window.calls.clear()


class QueryLimits:
    """The Query API's published limits: queries an hour (sliding window, real time) and queries running at once.

    Every ``take`` that returns None must be followed by one ``release`` when the query is answered.
    """

    def __init__(self, per_hour: int = 60, concurrent: int = 5) -> None:
        self.per_hour = per_hour
        self.concurrent = concurrent
        self._window = _HourWindow()
        self._running = 0

    def take(self) -> float | None:
        """Start one query; return None when allowed, else the seconds until one would be."""
        window = self._window
        with window.lock:
            now = time.monotonic()
            wait = window.past_limit(now, self.per_hour)
            if wait is not None:
                return wait
            if self._running >= self.concurrent:
                return 1.0
            window.calls.append(now)
            self._running += 1
            return None

    def release(self) -> None:
        """End one query started by ``take``."""
        with self._window.lock:
            self._running = max(0, self._running - 1)

    def clear(self) -> None:
        """Forget every counted query (running ones included)."""
        with self._window.lock:
            self._window.calls.clear()
            self._running = 0


@dataclass
class MixpanelControl:
    """Inject faults and read counters of a running Mixpanel sandbox.

    Attributes:
        project: The project's data (events, profiles, clock).
        requests: Request counts by ``"METHOD /path"``.
        transient: Queued 429/503 answers.
        export_limits: The raw export's limits.
        query_limits: The Query API's limits (the engage query).
        engage_page_size: Profiles per engage query page (Mixpanel: 1000).
        failing_ids: Distinct IDs whose profile updates fail validation.
        broken_days: Days whose export holds a corrupted line.
        sessions: Live engage query sessions (session_id -> the group key queried, None for user
            profiles, and the distinct IDs or group IDs of the query).
        captured: Every exchange while ``capturing`` is on.
    """

    project: Project
    requests: RequestLog = field(default_factory=RequestLog)
    transient: TransientFaults = field(default_factory=TransientFaults)
    export_limits: ExportLimits = field(default_factory=ExportLimits)
    query_limits: QueryLimits = field(default_factory=QueryLimits)
    engage_page_size: int = 1000
    failing_ids: set[str] = field(default_factory=set)
    broken_days: set[date] = field(default_factory=set)
    sessions: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict)
    capturing: bool = False
    captured: list[Captured] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inject(self, spec: FaultSpec) -> None:
        """Inject one fault.

        Raises:
            ConfigError: Unknown fault kind or bad parameters.
        """
        try:
            kind = MixpanelFault(spec.kind)
        except ValueError:
            known = ", ".join(f.value for f in MixpanelFault)
            msg = f"unknown Mixpanel sandbox fault {spec.kind!r}"
            raise ConfigError(msg, hint=f"known faults: {known}") from None
        if kind in {MixpanelFault.RATE_LIMITED, MixpanelFault.UNAVAILABLE}:
            status = 429 if kind is MixpanelFault.RATE_LIMITED else 503
            self.transient.add(status, count=spec.count, retry_after=spec.retry_after)
        elif kind is MixpanelFault.MALFORMED_EVENT:
            self.break_day(_day_param(spec.params, default=self.project.clock.today() - timedelta(days=1)))
        elif kind is MixpanelFault.FAIL_RECORDS:
            self.fail_records(list(spec.params.get("distinct_ids", [])))
        elif kind is MixpanelFault.EXPIRE_SESSIONS:
            self.expire_sessions()
        else:
            day = _day_param(spec.params, default=self.project.clock.today() - timedelta(days=2))
            self.add_late_events(day, count=spec.count)

    def break_day(self, day: date) -> None:
        """Make the export of ``day`` hold one truncated JSON line among its events."""
        clock = self.project.clock
        at = int((clock.now().replace(year=day.year, month=day.month, day=day.day)).timestamp() * 1000)
        broken = '{"event":"$mp_web_page_view","properties":{"time":' + str(at // 1000)[:6]
        self.project.add_event(Event("$mp_web_page_view", {}, min(at, clock.now_ms() - 1), 0, broken=broken))
        with self._lock:
            self.broken_days.add(day)

    def corrupt_event(self, day: date | None = None) -> str:
        """Make one event of ``day`` (default yesterday) export with ``time`` as text; return its ``$insert_id``.

        Raises:
            ConfigError: The day has no event with an ``$insert_id``.
        """
        day = day or self.project.clock.today() - timedelta(days=1)
        with self.project.lock:
            event = next((e for e in self.project.events.get(day, ()) if e.broken is None
                          and isinstance(e.properties.get("$insert_id"), str)), None)  # fmt: skip
            if event is None:
                msg = f"no event on {day} to corrupt"
                raise ConfigError(msg, hint="name a day with events")
            exported = event.exported(time_in_ms=False)
            exported["properties"]["time"] = "not-a-time"
            event.broken = json.dumps(exported, separators=(",", ":"))
        with self._lock:
            self.broken_days.add(day)
        return str(event.properties["$insert_id"])

    def fail_records(self, distinct_ids: list[str]) -> None:
        """Make profile updates for these distinct IDs fail validation."""
        with self._lock:
            self.failing_ids |= set(distinct_ids)

    def expire_sessions(self) -> int:
        """Forget every engage query session; returns how many there were."""
        with self._lock:
            count = len(self.sessions)
            self.sessions.clear()
            return count

    def add_late_events(self, day: date, *, count: int = 1, distinct_id: str | None = None) -> list[str]:
        """Add ``count`` page views that happened on ``day`` but arrive now; returns their ``$insert_id``."""
        clock = self.project.clock
        now_ms = clock.now_ms()
        who = distinct_id or next(iter(self.project.profiles), "late-user")
        ids = []
        for n in range(count):
            at = int(clock.now().replace(year=day.year, month=day.month, day=day.day).timestamp() * 1000) + n * 1000
            insert_id = f"late-{day.isoformat()}-{now_ms}-{n}"
            props = {"distinct_id": who, "$insert_id": insert_id, "$current_url": "https://late.example.com/offline"}
            self.project.add_event(Event("$mp_web_page_view", props | {"current_url_path": "/offline"}, at, now_ms))
            ids.append(insert_id)
        return ids

    def advance(self, *, seconds: float) -> None:
        """Move the sandbox clock forward (events processed later become visible)."""
        self.project.clock.advance(seconds=seconds)

    def record(self, captured: Captured) -> None:
        """Keep one exchange while capturing."""
        if self.capturing:
            with self._lock:
                self.captured.append(captured)

    def stats(self) -> dict[str, Any]:
        """Request counts, data sizes and the faults still pending."""
        with self._lock:
            return {
                "requests": self.requests.snapshot(),
                "events": self.project.event_count(),
                "profiles": len(self.project.profiles),
                "groups": len(self.project.groups),
                "pending": {"transient": self.transient.pending()},
                "failing_ids": sorted(self.failing_ids),
                "broken_days": sorted(d.isoformat() for d in self.broken_days),
                "engage_sessions": len(self.sessions),
                "now": self.project.clock.now().isoformat(),
            }

    def reset(self) -> None:
        """Clear faults, counts, limits and captured traffic (data stays)."""
        self.transient.clear()
        self.requests.clear()
        self.export_limits.clear()
        self.query_limits.clear()
        with self._lock:
            self.failing_ids.clear()
            self.captured.clear()


def _day_param(params: dict[str, Any], *, default: date) -> date:
    value = params.get("day")
    if value is None:
        return default
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        msg = f"fault parameter day={value!r} is not an ISO date"
        raise ConfigError(msg, hint="write it as YYYY-MM-DD") from None
