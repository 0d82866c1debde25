"""Small helpers for store tests: table snapshots and record builders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from connectors.base import SourceRecord
from core.store import Store


def snapshot(store: Store, table: str) -> list[tuple[Any, ...]]:
    """Every row of ``table``, every column, in primary-key order."""
    meta = sa.MetaData()
    reflected = sa.Table(table, meta, autoload_with=store.engine)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(reflected).order_by(*reflected.primary_key.columns)).all()
    return [tuple(row) for row in rows]


def record(source_id: str, *, deleted: bool = False, **raw: Any) -> SourceRecord:
    """A hubspot/contacts record with ``raw`` fields and a fixed updated_at."""
    return SourceRecord(
        system="hubspot",
        stream="contacts",
        source_id=source_id,
        raw={"id": source_id, **raw},
        updated_at=datetime(2024, 4, 30, 12, 0, tzinfo=UTC),
        deleted=deleted,
    )
