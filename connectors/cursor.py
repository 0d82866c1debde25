"""The incremental bookmark every timestamped stream needs: never skip, never repeat.

Many records can share one modified time (a mass update stamps thousands with the
same millisecond). A cursor of the timestamp alone would either skip the rest of
them (``>``) or read them all again (``>=``). So a ``Watermark`` keeps the newest
timestamp read *and* the IDs already read at exactly that timestamp; the next pull
asks for ``>=`` and drops those IDs. It holds whenever a stream yields records
oldest first (or when the watermark is only advanced over a whole pass, as the files
connector does for unordered files): everything strictly older was read already.

A connector keeps its watermark inside its own cursor JSON, under its own key names
and in the vendor's timestamp format::

    mark = Watermark.load(cursor, at="modstamp", ids="ids_at_modstamp", parse=parse_modstamp)
    if not mark.seen(record_time, record_id): ...; mark.advance(record_time, record_id)
    cursor |= mark.dump(at="modstamp", ids="ids_at_modstamp", render=format_modstamp)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Watermark"]


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Watermark:
    """Progress through one timestamped stream; mutable while a pull runs.

    Attributes:
        at: The newest timestamp read so far (None: nothing read yet).
        ids: The IDs read at exactly ``at``.
    """

    at: datetime | None = None
    ids: set[str] = field(default_factory=set)

    @classmethod
    def load(
        cls,
        cursor: Mapping[str, Any] | None,
        *,
        at: str,
        ids: str,
        parse: Callable[[Any], datetime] = datetime.fromisoformat,
    ) -> Watermark:
        """Read a watermark from ``cursor[at]`` and ``cursor[ids]`` (missing or empty: from the beginning).

        Raises:
            ValueError: ``parse`` refused the stored timestamp (the cursor is not this connector's).
        """
        if not cursor:
            return cls()
        stamp = cursor.get(at)
        return cls(parse(stamp) if stamp else None, set(cursor.get(ids) or ()))

    def dump(self, *, at: str, ids: str, render: Callable[[datetime], str] = _iso) -> dict[str, Any]:
        """Return the watermark as two cursor entries, IDs sorted so equal watermarks give equal JSON."""
        return {at: render(self.at) if self.at is not None else None, ids: sorted(self.ids)}

    def seen(self, moment: datetime, record_id: str) -> bool:
        """Tell whether the record (changed at ``moment``) was read before this watermark."""
        if self.at is None:
            return False
        return moment < self.at or (moment == self.at and record_id in self.ids)

    def advance(self, moment: datetime, record_id: str) -> None:
        """Record that the record was read; a newer time moves the watermark, an older one is ignored."""
        if self.at is None or moment > self.at:
            self.at = moment
            self.ids = {record_id}
        elif moment == self.at:
            self.ids.add(record_id)

    def copy(self) -> Watermark:
        """Return an independent copy (to start a pass from a saved watermark)."""
        return Watermark(self.at, set(self.ids))
