"""Aggregate queries: ``COUNT(field)``, ``COUNT_DISTINCT``, ``MAX``, ``MIN``, ``SUM``, ``AVG`` and ``GROUP BY``.

Salesforce answers them with ``AggregateResult`` records: the grouped fields under
their field names (``Account.Name`` becomes ``Name``), then each aggregate under its
alias or, unaliased, ``expr0``, ``expr1``... in select order. Without ``GROUP BY``
there is one row, even when no record matches (``COUNT`` 0, the others null).
``ORDER BY`` sorts groups by grouped fields; ``LIMIT`` and ``OFFSET`` count groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.salesforce.org import Org, Record, to_wire
from sandbox.salesforce.query import Column, Plan, column_value, filtered
from sandbox.salesforce.schema import FieldType
from sandbox.salesforce.soql import Aggregate

__all__ = ["aggregate_rows"]

_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "COUNT": len,
    "COUNT_DISTINCT": lambda values: len({str(v).lower() if isinstance(v, str) else v for v in values}),
    "MAX": lambda values: max(values) if values else None,
    "MIN": lambda values: min(values) if values else None,
    "SUM": lambda values: sum(values) if values else None,
    "AVG": lambda values: sum(values) / len(values) if values else None,
}


def _names(aggregates: list[Aggregate]) -> list[str]:
    names, unnamed = [], 0
    for aggregate in aggregates:
        if aggregate.alias:
            names.append(aggregate.alias)
        else:
            names.append(f"expr{unnamed}")
            unnamed += 1
    return names


def _group_key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value  # SOQL groups text ignoring case


def aggregate_rows(org: Org, plan: Plan, *, include_deleted: bool) -> list[dict[str, Any]]:
    """The ``AggregateResult`` records of an aggregate ``plan``, grouped, ordered, offset and limited."""
    groups: dict[tuple[Any, ...], list[Record]] = {}
    firsts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for record in filtered(org, plan, include_deleted=include_deleted):
        values = tuple(column_value(org, c, record) for c in plan.group_by)
        key = tuple(_group_key(v) for v in values)
        groups.setdefault(key, []).append(record)
        firsts.setdefault(key, values)
    if not plan.group_by and not groups:
        groups[()] = []
        firsts[()] = ()
    names = _names(plan.query.aggregates)
    rows = []
    for key, records in groups.items():
        row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
        for column, value in zip(plan.group_by, firsts[key], strict=True):
            row[column.field.name] = to_wire(value)
        for name, aggregate, column in zip(names, plan.query.aggregates, plan.aggregates, strict=True):
            present = _values(org, column, records)
            row[name] = to_wire(_FUNCTIONS[aggregate.function](present))
        rows.append(row)
    rows = _ordered(plan, rows)
    start = plan.query.offset or 0
    end = None if plan.query.limit is None else start + plan.query.limit
    return rows[start:end]


def _values(org: Org, column: Column, records: list[Record]) -> list[Any]:
    """The non-null values of ``column``; a corrupted value (text in a date field) is left out."""
    values = [v for v in (column_value(org, column, r) for r in records) if v is not None]
    if column.field.type in {FieldType.DATE, FieldType.DATETIME, FieldType.DOUBLE, FieldType.CURRENCY, FieldType.INT}:
        values = [v for v in values if not isinstance(v, str)]
    return values


def _ordered(plan: Plan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped = {c.text.lower(): c.field.name for c in plan.group_by}
    for item in reversed(plan.query.order):
        name = grouped.get(item.path.text.lower())
        if name is None:
            continue  # ordering by an aggregate: left in group order
        present = [r for r in rows if r.get(name) is not None]
        missing = [r for r in rows if r.get(name) is None]
        present.sort(key=lambda r: _group_key(r[name]), reverse=item.descending)
        rows = present + missing if item.nulls_last else missing + present
    return rows
