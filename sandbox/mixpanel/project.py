"""The state of one Mixpanel project: its clock, events, user profiles and group profiles.

Events are kept per UTC day, each with the moment Mixpanel "processed" it
(``mp_processing_time_ms``): an event is visible to the export only once that
moment has passed on the sandbox clock, so an event sent days after it happened
(a mobile app coming back online) shows up late in a day that was already exported,
as in Mixpanel. Duplicates (the same ``$insert_id`` sent twice) are kept, as the raw
export returns what was received.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

__all__ = ["Event", "Project", "SandboxClock"]


class SandboxClock:
    """The sandbox's "now": the real clock, or a fixed day (noon UTC) moved only by ``advance``.

    Args:
        today: The fixed current day; None follows the real clock.
    """

    def __init__(self, today: date | None) -> None:
        self._fixed = datetime.combine(today, time(12, 0), tzinfo=UTC) if today is not None else None
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current moment (timezone-aware UTC)."""
        with self._lock:
            base = self._fixed if self._fixed is not None else datetime.now(UTC)
            return base + self._offset

    def now_ms(self) -> int:
        """The current moment in milliseconds since the epoch."""
        return int(self.now().timestamp() * 1000)

    def today(self) -> date:
        """The current UTC day."""
        return self.now().date()

    def advance(self, *, seconds: float) -> datetime:
        """Move the clock forward; return the new now."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()


@dataclass
class Event:
    """One received event.

    Attributes:
        name: The event name (``$mp_web_page_view``, ``Sign Up``...).
        properties: Its properties as received, ``time`` excluded (kept in ``time_ms``).
        time_ms: When it happened, milliseconds since the epoch.
        processed_ms: When Mixpanel received it (``mp_processing_time_ms``).
        broken: A raw line to export instead of the event (a corrupted record).
    """

    name: str
    properties: dict[str, Any]
    time_ms: int
    processed_ms: int
    broken: str | None = None

    @property
    def day(self) -> date:
        """The UTC day the event happened."""
        return datetime.fromtimestamp(self.time_ms / 1000, tz=UTC).date()

    def exported(self, *, time_in_ms: bool) -> dict[str, Any]:
        """The event as the raw export writes it."""
        stamp = self.time_ms if time_in_ms else self.time_ms // 1000
        return {
            "event": self.name,
            "properties": {"time": stamp, **self.properties, "mp_processing_time_ms": self.processed_ms},
        }


@dataclass
class Project:
    """A Mixpanel project: identifiers, secrets, events by day, profiles by distinct ID.

    Group profiles (``/groups``) are kept by (group key, group ID), the ID as text; ``group_keys``
    gives each group key seen its ``data_group_id`` (Mixpanel numbers a group key when it is set up
    in the project settings; the sandbox numbers it from 1 when its first update arrives).
    """

    project_id: int
    token: str
    clock: SandboxClock
    events: dict[date, list[Event]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    group_keys: dict[str, int] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_event(self, event: Event) -> None:
        """Store one received event."""
        with self.lock:
            self.events.setdefault(event.day, []).append(event)

    def visible(self, first: date, last: date) -> Iterator[Event]:
        """Yield the events of days ``first``..``last`` already processed, oldest day first."""
        now_ms = self.clock.now_ms()
        day = first
        while day <= last:
            with self.lock:
                todays = list(self.events.get(day, ()))
            yield from (e for e in todays if e.processed_ms <= now_ms)
            day += timedelta(days=1)

    def event_count(self) -> int:
        """How many events are stored, not yet visible ones included."""
        with self.lock:
            return sum(len(day) for day in self.events.values())
