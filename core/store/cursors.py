"""``store.cursors``: where each stream's pull stopped, saved after each stored batch.

get    the saved cursor of a stream (None before its first pull)
save   replace it
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from core.store.database import Repository, insert
from core.store.tables import Cursor
from core.store.types import content_hash

__all__ = ["Cursors"]

_CURSORS = Cursor.__table__  # type: ignore[attr-defined]


class Cursors(Repository):
    """One cursor per system and stream: the connector's JSON, opaque to the store."""

    def get(self, system: str, stream: str) -> dict[str, Any] | None:
        """Return the saved cursor of a stream, or None when it was never pulled."""
        query = sa.select(_CURSORS.c.cursor).where(_CURSORS.c.system == system, _CURSORS.c.stream == stream)
        with self._db.connection() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return dict(value) if value is not None else None

    def save(self, system: str, stream: str, cursor: Mapping[str, Any], *, run_id: str | None) -> None:
        """Save a stream's cursor (after its batch is stored), replacing the previous one.

        Raises:
            StoreError: When the cursor is not JSON or the database fails.
        """
        content_hash(cursor)  # fail early, with a hint, on values JSON cannot hold
        row = {
            "system": system, "stream": stream, "cursor": dict(cursor), "updated_at": self._db.now(), "run_id": run_id,
        }  # fmt: skip
        with self._db.transaction() as conn:
            stmt = insert(conn, _CURSORS).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["system", "stream"],
                    set_={k: stmt.excluded[k] for k in ("cursor", "updated_at", "run_id")},
                )
            )
