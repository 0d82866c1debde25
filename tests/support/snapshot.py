"""A store's content, record by record, without what differs between equal runs (run IDs, times, profile IDs).

Two stores that hold the same records, canonical rows, parked records, field problems,
cursors and the same partition of records into profiles (with the same golden records)
give equal snapshots; kill-and-resume tests compare a resumed store with one filled by
an uninterrupted run this way.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from core.store import Store


def _rows(store: Store, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        query = sa.text(f"SELECT {', '.join(columns)} FROM {table}")
        return sorted(tuple(row) for row in conn.execute(query))


def _json(value: Any) -> str:
    """JSON as one canonical text whichever backend gave it (SQLite: text, PostgreSQL: a dict)."""
    data = json.loads(value) if isinstance(value, str) else value
    return json.dumps(data, sort_keys=True)


def snapshot(store: Store) -> dict[str, Any]:
    """Return the store's content as comparable values; see the module docstring."""
    links = _rows(store, "links", ["system", "stream", "source_id", "profile_id"])
    members: dict[str, set[str]] = {}
    for system, stream, source_id, profile_id in links:
        members.setdefault(profile_id, set()).add(f"{system}/{stream}/{source_id}")
    golden = dict(_rows(store, "profiles", ["profile_id", "golden"]))
    statuses = dict(_rows(store, "profiles", ["profile_id", "status"]))
    profiles = sorted((sorted(keys), _json(golden.get(pid))) for pid, keys in members.items())
    return {
        "source_records": _rows(store, "source_records", ["system", "stream", "source_id", "content_hash", "deleted"]),
        "canonical_records": _rows(
            store, "canonical_records", ["system", "stream", "source_id", "model", "ordinal", "content_hash"]
        ),
        "parked": _rows(
            store,
            "parked_records",
            ["system", "stream", "source_id", "content_hash", "reason", "code", "field", "position"],
        ),
        "field_problems": _rows(store, "field_problems", ["system", "stream", "source_id", "field", "message"]),
        "cursors": [(s, st, _json(c)) for s, st, c in _rows(store, "cursors", ["system", "stream", "cursor"])],
        "profiles": profiles,
        "active_profiles": sum(1 for status in statuses.values() if status == "active"),
        "profiles_without_records": sorted(
            pid for pid, status in statuses.items() if status == "active" and pid not in members
        ),
    }
