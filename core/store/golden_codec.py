"""A golden record as the store keeps it: each provenance written once, not once a field.

    pack_golden(golden)     {field: {observed_at, rule, source, value}} → its stored form
    unpack_golden(stored)   the stored form, or a golden record stored before it → the golden record
    GoldenJSON              the ``profiles.golden`` column type: packs on write, unpacks on read

Most fields of a golden record share their provenance: a profile of one record takes
every value from that record, at one time. Written out per field, the provenance
(``observed_at`` and the ``source`` reference) is three quarters of the text, and a
batch of 100,000 profiles writes some 120 MB of it. The stored form names each
distinct ``(observed_at, source)`` once and each field by its position::

    {"~golden": {"fields": {"city": ["Austin", "most_recent", 0], ...},
                 "provenance": [["2024-09-17T10:00:00Z", {"source_id": "0", ...}], ...]}}

It is lossless (``unpack_golden(pack_golden(g)) == g``, a property test holds it): a
golden record with a field of another shape is stored as it is, and so is every
golden record stored before this form, which reads back unchanged. The column type
does both on every path through SQLAlchemy, so readers see the golden record only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from core.store.types import JSON_TYPE, json_dumps

__all__ = ["GOLDEN_MARK", "GoldenJSON", "pack_golden", "unpack_golden"]

GOLDEN_MARK = "~golden"
"""The one key of a packed golden record (no golden field has a name starting with ``~``)."""

_ENTRY_KEYS = frozenset(("observed_at", "rule", "source", "value"))


def pack_golden(golden: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of ``golden`` (a packed one, or one with a field of another shape, as it is)."""
    if not golden or GOLDEN_MARK in golden:
        return dict(golden)
    fields: dict[str, list[Any]] = {}
    provenance: list[list[Any]] = []
    seen: dict[str, int] = {}
    for name in sorted(golden):
        entry = golden[name]
        if not isinstance(entry, Mapping) or entry.keys() != _ENTRY_KEYS:
            return dict(golden)
        observed, source = entry["observed_at"], entry["source"]
        key = json_dumps([observed, source])  # the same provenance, however it was built
        at = seen.get(key)
        if at is None:
            at = seen[key] = len(provenance)
            provenance.append([observed, source])
        fields[name] = [entry["value"], entry["rule"], at]
    return {GOLDEN_MARK: {"fields": fields, "provenance": provenance}}


def unpack_golden(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The golden record ``stored`` holds: ``{field: {observed_at, rule, source, value}}``, fields in name order."""
    packed = stored.get(GOLDEN_MARK) if len(stored) == 1 else None
    if not isinstance(packed, Mapping):
        return dict(stored)
    provenance = packed["provenance"]
    golden: dict[str, Any] = {}
    for name, (value, rule, at) in sorted(packed["fields"].items()):
        observed, source = provenance[at]
        source = dict(source) if isinstance(source, Mapping) else source  # each field its own copy
        golden[name] = {"observed_at": observed, "rule": rule, "source": source, "value": value}
    return golden


class GoldenJSON(sa.types.TypeDecorator[dict[str, Any]]):
    """``profiles.golden``: JSON holding the packed form, read back unpacked.

    On PostgreSQL the column is ``json``, not the store's usual ``JSONB`` (migration 0012): a
    golden record is written whole and read whole, never queried inside by the server (its
    packed form names fields by position), and ``json`` keeps the text as given after
    checking it, where ``JSONB`` takes each record apart into its binary form on every write:
    half the cost of a batch's profile rows. ``golden::jsonb`` reads it as JSONB in SQL.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        """``json`` on PostgreSQL, ``JSON_TYPE`` elsewhere."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.JSON())
        return JSON_TYPE.dialect_impl(dialect)

    def process_bind_param(self, value: Mapping[str, Any] | None, dialect: Dialect) -> dict[str, Any] | None:
        """Pack a golden record for storing."""
        return None if value is None else pack_golden(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        """Unpack a stored golden record."""
        return unpack_golden(value) if isinstance(value, Mapping) else value
