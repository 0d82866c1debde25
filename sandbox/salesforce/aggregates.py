"""Aggregate queries: ``COUNT(field)``, ``COUNT_DISTINCT``, ``MAX``, ``MIN``, ``SUM``, ``AVG``, ``GROUP BY``, ``HAVING``.

Salesforce answers them with ``AggregateResult`` records: the grouped fields under
their field names (``Account.Name`` becomes ``Name``), then each aggregate or date
function of the select list under its alias or, unaliased, ``expr0``, ``expr1``... in
select order. Without ``GROUP BY`` there is one row, even when no record matches
(``COUNT`` 0, the others null). ``GROUP BY CALENDAR_YEAR(CreatedDate)`` groups by the
function's value (``soql_dates.date_function``). ``HAVING`` keeps the groups whose
aggregates and grouped values match, compared as ``WHERE`` compares (text ignoring
case). ``ORDER BY`` sorts groups by grouped fields, date functions or aggregates;
``LIMIT`` and ``OFFSET`` count groups.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.salesforce.org import Org, Record, to_wire
from sandbox.salesforce.query import Column, Matcher, Plan, column_value, conditions, filtered, normal
from sandbox.salesforce.schema import FieldType
from sandbox.salesforce.soql import AGGREGATE_FUNCTIONS, Aggregate, Path
from sandbox.salesforce.soql_dates import date_function

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


def _slot(path: Path) -> str:
    """The key of an expression's value in a group's record."""
    return f"{path.function or ''}:{path.text.lower()}"


def _value(org: Org, column: Column, record: Record) -> Any:
    value = column_value(org, column, record)
    return date_function(column.function, value) if column.function else value


class _GroupMatcher(Matcher):
    """HAVING on groups: each group is a record of its expressions' values, keyed by ``_slot``."""

    def value(self, path: Path, record: Record) -> Any:
        column = self.column(path)
        return normal(column.field, record.get(_slot(path)))


def aggregate_rows(org: Org, plan: Plan, *, include_deleted: bool) -> list[dict[str, Any]]:
    """The ``AggregateResult`` records of an aggregate ``plan``, grouped, filtered, ordered, offset and limited."""
    groups: dict[tuple[Any, ...], list[Record]] = {}
    firsts: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for record in filtered(org, plan, include_deleted=include_deleted):
        values = tuple(_value(org, c, record) for c in plan.group_by)
        key = tuple(_group_key(v) for v in values)
        groups.setdefault(key, []).append(record)
        firsts.setdefault(key, values)
    if not plan.group_by and not groups:
        groups[()] = []
        firsts[()] = ()
    matcher = _GroupMatcher(org, plan, include_deleted=include_deleted)
    rows: list[tuple[Record, dict[str, Any]]] = []
    for key, records in groups.items():
        slots = _slots(org, plan, matcher, firsts[key], records)
        if plan.query.having is None or matcher.matches(plan.query.having, slots):
            rows.append((slots, _row(org, plan, slots, firsts[key], records)))
    ordered = [row for _, row in _ordered(plan, rows)]
    start = plan.query.offset or 0
    end = None if plan.query.limit is None else start + plan.query.limit
    return ordered[start:end]


def _slots(org: Org, plan: Plan, matcher: Matcher, first: tuple[Any, ...], records: list[Record]) -> Record:
    """A group's grouped values and the aggregates HAVING and ORDER BY name, keyed by ``_slot``."""
    slots = {_slot(p): v for p, v in zip(plan.query.group_by, first, strict=True)}
    for path in [c.path for c in conditions(plan.query.having)] + [i.path for i in plan.query.order]:
        if path.function in AGGREGATE_FUNCTIONS:
            slots[_slot(path)] = _FUNCTIONS[path.function](_values(org, matcher.column(path), records))
    return slots


def _row(org: Org, plan: Plan, slots: Record, first: tuple[Any, ...], records: list[Record]) -> dict[str, Any]:
    row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    for column, path, value in zip(plan.group_by, plan.query.group_by, first, strict=True):
        if not path.function:  # a grouped date function is answered where the select list names it
            row[column.field.name] = to_wire(value)
    for name, aggregate, column in zip(
        _names(plan.query.aggregates), plan.query.aggregates, plan.aggregates, strict=True
    ):
        if aggregate.function in AGGREGATE_FUNCTIONS:
            row[name] = to_wire(_FUNCTIONS[aggregate.function](_values(org, column, records)))
        else:
            row[name] = to_wire(slots.get(_slot(aggregate.path)))
    return row


def _values(org: Org, column: Column, records: list[Record]) -> list[Any]:
    """The non-null values of ``column``; a corrupted value (text in a date field) is left out."""
    values = [v for v in (column_value(org, column, r) for r in records) if v is not None]
    numeric = {FieldType.DOUBLE, FieldType.CURRENCY, FieldType.INT, FieldType.PERCENT}
    if column.field.type in numeric | {FieldType.DATE, FieldType.DATETIME}:
        values = [v for v in values if not isinstance(v, str)]
    return values


def _ordered(plan: Plan, rows: list[tuple[Record, dict[str, Any]]]) -> list[tuple[Record, dict[str, Any]]]:
    for item in reversed(plan.query.order):
        slot = _slot(item.path)
        present = [r for r in rows if r[0].get(slot) is not None]
        missing = [r for r in rows if r[0].get(slot) is None]
        present.sort(key=lambda r: _group_key(r[0][slot]), reverse=item.descending)
        rows = present + missing if item.nulls_last else missing + present
    return rows
