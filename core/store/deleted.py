"""``store.deleted``: the records the systems reported deleted.

    keys   the ``system/stream/source_id`` keys of deleted source records

A deleted record keeps its source row in ``source_records`` with ``deleted`` true;
identity reads these keys to leave the records out of profiles.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.store.database import Repository
from core.store.keys import record_key
from core.store.tables import SourceRecordRow

__all__ = ["DeletedRecords"]

_SOURCE = SourceRecordRow.__table__  # type: ignore[attr-defined]


class DeletedRecords(Repository):
    """Source records the systems reported deleted."""

    def keys(self, *, system: str | None = None) -> set[str]:
        """Return the keys of source records the systems reported deleted (of one system when given).

        Raises:
            StoreError: When the database fails.
        """
        c = _SOURCE.c
        query = sa.select(c.system, c.stream, c.source_id).where(c.deleted.is_(True))
        if system is not None:
            query = query.where(c.system == system)
        with self._db.connection() as conn:
            return {record_key(*row) for row in conn.execute(query)}
