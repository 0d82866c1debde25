"""The events cursor: the last complete day, and what was read of each day still re-read.

The raw export is asked for whole UTC days. A day is complete once it is over, but
Mixpanel keeps accepting events for it afterwards (a phone back online, a batch
imported late), so each pull reads the last ``reread_days`` complete days again. To
emit only what is new in them, without keeping every ``$insert_id`` ever seen,
each re-read day keeps a ``DayMark``: the newest ``mp_processing_time_ms`` read on
that day (when Mixpanel received the event), and the ``$insert_id`` of the events
received within ``margin`` of it. An event received before ``newest - margin`` was
already there when the day was last read; one inside the margin is new unless its
ID is listed; anything received later is new. The margin covers events that become
visible to the export a little after they are received.

Why not ``connectors.cursor.Watermark``: the export is not ordered by processing
time and a late-visible event can have an older processing time than one already
read, so exact ties at one timestamp are not enough; the IDs of a whole margin are.

The cursor only grows with the window: days older than the window are dropped, and
a day's listed IDs are those received in its last ``margin`` seconds. Cursor JSON::

    {"complete_through": "2024-05-10",
     "days": {"2024-05-06": {"at": 1715040000123, "tail": {"<insert_id>": 1715039990000, ...}}, ...}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from connectors.base import Cursor

__all__ = ["DayMark", "ExportWindow"]


@dataclass
class DayMark:
    """What was read of one day: the newest processing time and the IDs received within ``margin_ms`` of it."""

    at: int = -1
    tail: dict[str, int] = field(default_factory=dict)

    def seen(self, processed_ms: int, insert_id: str, *, margin_ms: int) -> bool:
        """Tell whether an event (received at ``processed_ms``) was read when this mark was made."""
        if processed_ms < self.at - margin_ms:
            return True
        return processed_ms <= self.at and insert_id in self.tail

    def advance(self, processed_ms: int, insert_id: str, *, margin_ms: int) -> None:
        """Record that an event was read; the tail keeps only IDs within the margin of the newest."""
        if processed_ms > self.at:
            self.at = processed_ms
            cutoff = self.at - margin_ms
            self.tail = {k: v for k, v in self.tail.items() if v >= cutoff}
        if processed_ms >= self.at - margin_ms:  # an ID read again keeps its newest time: the older cannot hide it
            self.tail[insert_id] = max(processed_ms, self.tail.get(insert_id, processed_ms))

    def copy(self) -> DayMark:
        """Return an independent copy."""
        return DayMark(self.at, dict(self.tail))

    def dump(self) -> dict[str, Any]:
        """Return the JSON form (IDs sorted, so equal marks give equal JSON)."""
        return {"at": self.at, "tail": dict(sorted(self.tail.items()))}

    @classmethod
    def load(cls, value: Mapping[str, Any]) -> DayMark:
        """Read the JSON form.

        Raises:
            ValueError: The value is not a day mark.
            TypeError: The tail is not an object.
        """
        tail = value.get("tail", {})
        if not isinstance(tail, Mapping):
            msg = f"a day's tail must be an object of IDs, got {type(tail).__name__}"
            raise TypeError(msg)
        return cls(int(value["at"]), {str(k): int(v) for k, v in tail.items()})


@dataclass
class ExportWindow:
    """Progress through the raw export: the last complete day read and the marks of the re-read days."""

    complete_through: date | None = None
    days: dict[date, DayMark] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: Cursor | None) -> ExportWindow:
        """Read a saved cursor (None or empty: nothing read yet).

        Raises:
            ValueError: The cursor was not written by this connector.
            TypeError: Its days are not an object.
        """
        if not cursor:
            return cls()
        through = cursor.get("complete_through")
        days = cursor.get("days") or {}
        if not isinstance(days, Mapping):
            msg = f"'days' must be an object, got {type(days).__name__}"
            raise TypeError(msg)
        return cls(
            date.fromisoformat(through) if through else None,
            {date.fromisoformat(str(k)): DayMark.load(v) for k, v in days.items()},
        )

    def to_cursor(self) -> dict[str, Any]:
        """Return the JSON cursor to save."""
        return {
            "complete_through": self.complete_through.isoformat() if self.complete_through else None,
            "days": {d.isoformat(): self.days[d].dump() for d in sorted(self.days)},
        }

    def first_day(self, *, reread_days: int, start: date) -> date:
        """Return the first day the next pull reads: the window's start, or ``start`` on a first pull."""
        if self.complete_through is None:
            return start
        return max(start, self.complete_through + timedelta(days=1 - reread_days)) if reread_days else (
            self.complete_through + timedelta(days=1))  # fmt: skip

    def mark(self, day: date) -> DayMark:
        """Return the saved mark of ``day`` (an empty one when the day was never read)."""
        return self.days.get(day) or DayMark()

    def finish(self, marks: Mapping[date, DayMark], *, read_through: date, today: date, reread_days: int) -> None:
        """Take the marks of a finished query and move the cursor; days out of the window are dropped.

        Args:
            marks: The marks of every day the query covered (days with no events included).
            read_through: The query's last day.
            today: The current UTC day (never complete).
            reread_days: The window's length in complete days.
        """
        self.days.update(marks)
        done = min(read_through, today - timedelta(days=1))
        if self.complete_through is None or done > self.complete_through:
            self.complete_through = done
        keep_from = self.complete_through + timedelta(days=1 - reread_days)
        self.days = {d: m for d, m in self.days.items() if d >= keep_from}
