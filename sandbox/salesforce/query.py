"""Run parsed SOQL against the org: resolve fields, filter, sort, and render rows.

Resolution follows Salesforce: unknown objects are ``INVALID_TYPE``, unknown fields
and relationships ``INVALID_FIELD``, and a literal of the wrong type (a quoted
datetime, an unquoted string) is ``INVALID_FIELD`` with Salesforce's wording. Text
comparisons ignore case, as SOQL's do; ``Id`` compares in its 18-character form.
Date literals (``LAST_N_DAYS:30``) compare with the span they stand for at the org's
clock (``soql_dates``); a semi-join (``AccountId IN (SELECT Id FROM Account ...)``) runs
its inner query once per outer query. Aggregate queries are run by ``aggregates``.
A date function (``CALENDAR_YEAR(CreatedDate)``) takes a date or datetime field
(``DAY_ONLY`` and ``HOUR_IN_DAY`` a datetime) and compares with a number (``DAY_ONLY``
with a date or date literal) in ``WHERE``; in the select list and ``ORDER BY`` it needs
an aggregate query, where it, like every plain field selected, must be grouped.
``HAVING`` needs an aggregate query, and its fields must be grouped or aggregated.
``FIELDS()`` groups are expanded and subqueries' relationships resolved by
``soql_select``; a parent-to-child subquery's records are gathered when the outer query
runs (a snapshot, as the outer query's IDs are) and rendered under each parent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.salesforce.ids import is_id, to18
from sandbox.salesforce.org import Org, Record, to_wire
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef
from sandbox.salesforce.soql import (
    AGGREGATE_FUNCTIONS,
    DATE_FUNCTIONS,
    BoolOp,
    Comparison,
    Condition,
    InList,
    Like,
    Literal,
    Not,
    Path,
    Query,
    SoqlError,
    located,
    malformed,
    parse,
)  # fmt: skip
from sandbox.salesforce.soql_dates import compare_with_range, date_function, date_range
from sandbox.salesforce.soql_select import child_relationship, select_paths
from sandbox.salesforce.wire import ErrorCode

__all__ = [
    "ChildPlan", "Column", "Matcher", "Plan", "attributes", "column_metadata", "conditions", "filtered", "normal",
    "plan_parsed", "plan_query", "run_plan",
]  # fmt: skip

_TEXT = {
    FieldType.STRING, FieldType.EMAIL, FieldType.PHONE, FieldType.URL, FieldType.TEXTAREA, FieldType.PICKLIST,
    FieldType.ID, FieldType.REFERENCE, FieldType.COMBOBOX,
}  # fmt: skip
_APEX_TYPES = {
    FieldType.ID: "Id", FieldType.REFERENCE: "Id", FieldType.BOOLEAN: "Boolean", FieldType.DATETIME: "Datetime",
    FieldType.DATE: "Date", FieldType.DOUBLE: "Double", FieldType.CURRENCY: "Decimal", FieldType.INT: "Integer",
    FieldType.PERCENT: "Double", FieldType.ADDRESS: "Address",
}  # fmt: skip
_LITERAL_FOR = {
    FieldType.DATETIME: ("datetime", "dateTime"),
    FieldType.DATE: ("date", "date"),
    FieldType.BOOLEAN: ("boolean", "boolean"),
    FieldType.DOUBLE: ("number", "double"),
    FieldType.CURRENCY: ("number", "currency"),
    FieldType.INT: ("number", "int"),
    FieldType.PERCENT: ("number", "percent"),
}


@dataclass(frozen=True)
class Column:
    """A selected or filtered field path, resolved: the reference hops and the final field."""

    text: str
    hops: tuple[tuple[FieldDef, ObjectDef], ...]  # (reference field, target object) per relationship
    field: FieldDef
    owner: ObjectDef  # the object holding ``field``
    function: str | None = None  # a date or aggregate function applied to the field


@dataclass
class Plan:
    """A query resolved against the schema, ready to run."""

    query: Query
    sobject: ObjectDef
    columns: list[Column]
    subplans: dict[int, Plan] = field(default_factory=dict)  # semi-joins, by id() of their condition
    aggregates: list[Column] = field(default_factory=list)  # the aggregates' fields, in select order
    group_by: list[Column] = field(default_factory=list)
    children: list[ChildPlan] = field(default_factory=list)  # parent-to-child subqueries, in select order

    @property
    def is_aggregate(self) -> bool:
        """True for a query answering AggregateResult rows (aggregate functions or GROUP BY)."""
        return bool(self.query.group_by or any(a.function in AGGREGATE_FUNCTIONS for a in self.query.aggregates))


@dataclass
class ChildPlan:
    """A parent-to-child subquery: the relationship's name, the child's lookup field, and the subquery's plan."""

    name: str
    link: FieldDef
    plan: Plan
    rows: dict[str, list[Record]] = field(default_factory=dict)  # by 18-character parent ID, set by ``run_plan``


def _invalid_field(query: Query, path: Path, detail: str) -> SoqlError:
    return located("INVALID_FIELD", query.text, path.offset, detail)


def _resolve(org: Org, query: Query, obj: ObjectDef, path: Path) -> Column:
    parts = list(path.parts)
    if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.relationship(parts[0]) is None:
        parts = parts[1:]  # ``Contact.Email`` in a query on Contact
    hops: list[tuple[FieldDef, ObjectDef]] = []
    current = obj
    for part in parts[:-1]:
        ref = current.relationship(part)
        target = org.object(ref.reference_to[0]) if ref and ref.reference_to else None
        if ref is None or target is None:
            raise _invalid_field(
                query, path,
                f"Didn't understand relationship '{part}' in field path. If you are attempting to use a custom "
                "relationship, be sure to append the '__r' after the custom relationship name. Please reference "
                "your WSDL or the describe call for the appropriate names.",
            )  # fmt: skip
        hops.append((ref, target))
        current = target
    definition = current.field(parts[-1])
    if definition is None:
        raise _invalid_field(
            query, path,
            f"No such column '{parts[-1]}' on entity '{current.name}'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
            "describe call for the appropriate names.",
        )  # fmt: skip
    column = Column(path.text, tuple(hops), definition, current, path.function)
    _check_function(query, path, column)
    return column


# Salesforce's wording for a date function on a field of another type is not in a public document.
def _check_function(query: Query, path: Path, column: Column) -> None:
    if path.function not in DATE_FUNCTIONS:
        return
    allowed = (
        {FieldType.DATETIME} if path.function in {"DAY_ONLY", "HOUR_IN_DAY"} else {FieldType.DATE, FieldType.DATETIME}
    )
    if column.field.type not in allowed:
        detail = f"{path.function}() can not be applied to field '{column.field.name}' of type {column.field.type}"
        raise located(ErrorCode.INVALID_FIELD, query.text, path.offset, detail)


def conditions(condition: Condition | None) -> Iterable[Comparison | InList | Like]:
    """The comparisons, IN lists and LIKEs of ``condition``, through its AND, OR and NOT."""
    if condition is None:
        return
    if isinstance(condition, BoolOp):
        for item in condition.items:
            yield from conditions(item)
    elif isinstance(condition, Not):
        yield from conditions(condition.item)
    else:
        yield condition


def _check_literal(query: Query, column: Column, literal: Literal, path: Path) -> None:
    if literal.kind == "null":
        return
    kind, label = _LITERAL_FOR.get(column.field.type, ("string", "string"))
    if column.function == "DAY_ONLY":
        kind, label = "date", "date"
    elif column.function in DATE_FUNCTIONS | {"COUNT", "COUNT_DISTINCT"}:
        kind, label = "number", "int"
    if literal.kind == "dateliteral" and kind in {"datetime", "date"}:
        return
    if literal.kind == kind:
        return
    quoted = "should be enclosed in quotes" if kind == "string" else "should not be enclosed in quotes"
    raise _invalid_field(
        query, path, f"value of filter criterion for field '{column.field.name}' must be of type {label} and {quoted}"
    )


def plan_query(org: Org, text: str) -> Plan:
    """Parse and resolve ``text`` against ``org``'s schema.

    Raises:
        SoqlError: MALFORMED_QUERY, INVALID_TYPE or INVALID_FIELD.
    """
    return plan_parsed(org, parse(text))


def plan_parsed(org: Org, query: Query) -> Plan:
    """Resolve a parsed query against ``org``'s schema (see ``plan_query``)."""
    obj = org.object(query.sobject)
    if obj is None:
        detail = (
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom object, be "
            "sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for "
            "the appropriate names."
        )
        raise located(ErrorCode.INVALID_TYPE, query.text, query.sobject_offset, detail)
    return _plan_on(org, query, obj)


def _plan_on(org: Org, query: Query, obj: ObjectDef) -> Plan:
    paths = select_paths(query, obj)
    plan = Plan(query=query, sobject=obj, columns=[_resolve(org, query, obj, p) for p in paths])
    for child in query.children:
        relationship, target, link = child_relationship(org, obj, child)
        plan.children.append(ChildPlan(relationship.name, link, _plan_on(org, child, target)))
    for condition in [*conditions(query.where), *conditions(query.having)]:
        column = _resolve(org, query, obj, condition.path)
        if isinstance(condition, InList) and condition.subquery is not None:
            plan.subplans[id(condition)] = _plan_semi_join(org, condition.subquery)
        literals = condition.literals if isinstance(condition, InList) else (condition.literal,)
        for literal in literals:
            _check_literal(query, column, literal, condition.path)
    for item in query.order:
        _resolve(org, query, obj, item.path)
    plan.aggregates = [_resolve(org, query, obj, a.path) for a in query.aggregates]
    plan.group_by = [_resolve(org, query, obj, p) for p in query.group_by]
    _check_grouping(plan, paths)
    return plan


# Salesforce's wording for a date function or an aggregate ORDER BY outside an aggregate query, and for
# HAVING in a query that neither groups nor aggregates, was not found in a public document; the SOQL
# reference ("HAVING") pairs HAVING with GROUP BY and calls a HAVING on a field not grouped invalid.
def _check_grouping(plan: Plan, paths: list[Path]) -> None:
    query = plan.query
    if not plan.is_aggregate:
        if query.having is not None:
            raise malformed(query.text, query.having_offset, "HAVING can only be used in an aggregate query")
        functions = [a.path for a in query.aggregates] + [i.path for i in query.order if i.path.function]
        if functions:
            detail = f"{functions[0].expression} can only be used in an aggregate query"
            raise malformed(query.text, functions[0].offset, detail)
        return
    grouped = {p.key for p in query.group_by}
    having = [c.path for c in conditions(query.having)]
    selected = paths + [a.path for a in query.aggregates if a.function in DATE_FUNCTIONS]
    for path in selected + having + [i.path for i in query.order]:
        if path.key not in grouped and path.function not in AGGREGATE_FUNCTIONS:
            raise malformed(query.text, path.offset, f"Field must be grouped or aggregated: {path.expression}")


def _plan_semi_join(org: Org, inner: Query) -> Plan:
    if len(inner.fields) != 1 or inner.aggregates or inner.count_only or inner.field_groups or inner.children:
        raise malformed(inner.text, inner.sobject_offset, "Inner select must select exactly one field")
    plan = plan_parsed(org, inner)
    if plan.columns[0].field.type not in {FieldType.ID, FieldType.REFERENCE}:
        detail = f"The selected field '{inner.fields[0].text}' in the subquery must be an Id or a reference"
        raise malformed(inner.text, inner.fields[0].offset, detail)
    return plan


def column_value(org: Org, column: Column, record: Record) -> Any:
    """The typed value of ``column`` on ``record``, following relationships (None past a missing parent)."""
    current: Record | None = record
    for ref, target in column.hops:
        parent_id = current.get(ref.name) if current else None
        current = org.get(_target(org, ref, target, parent_id), parent_id) if parent_id else None
    if current is None:
        return None
    return org.value(column.owner.name, current, column.field)


def _target(org: Org, ref: FieldDef, planned: ObjectDef, parent_id: str) -> str:
    """The object a reference points at: a polymorphic one (``Task.WhoId``) by the ID's key prefix."""
    if len(ref.reference_to) < 2:  # one target: no need to look at the ID
        return planned.name
    found = org.object_for_id(parent_id)
    return found if found in ref.reference_to else planned.name


def normal(definition: FieldDef, value: Any) -> Any:
    """``value`` as SOQL compares it: text lower-cased, IDs in their 18-character form."""
    if value is None:
        return None
    if definition.type in {FieldType.ID, FieldType.REFERENCE} and isinstance(value, str) and is_id(value):
        return to18(value)
    if definition.type in _TEXT and isinstance(value, str):
        return value.lower()
    return value


def _kind(value: Any) -> str:
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None or _kind(left) != _kind(right):
        return False  # an ordering comparison never matches a null or a corrupted value
    return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])


def _like(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


class Matcher:
    """Evaluates a WHERE (or, in ``aggregates``, a HAVING) condition on a record, operands prepared once."""

    def __init__(self, org: Org, plan: Plan, *, include_deleted: bool) -> None:
        self.org = org
        self.plan = plan
        self.include_deleted = include_deleted
        self.now = org.clock_now()
        self.cache: dict[Path, Column] = {}
        self.operands: dict[int, Any] = {}  # by id(): conditions live in the plan as long as the matcher

    def column(self, path: Path) -> Column:
        """``path`` resolved against the plan's object (cached)."""
        if path not in self.cache:
            self.cache[path] = _resolve(self.org, self.plan.query, self.plan.sobject, path)
        return self.cache[path]

    def value(self, path: Path, record: Record) -> Any:
        """The normalised value of ``path`` (with its date function, if any) on ``record``."""
        column = self.column(path)
        value = column_value(self.org, column, record)
        if path.function in DATE_FUNCTIONS:
            value = date_function(path.function, value)
        return normal(column.field, value)

    def operand(self, condition: Comparison | InList | Like) -> Any:
        """The right-hand side of ``condition``, prepared once: IN set, LIKE pattern or normalised literal."""
        key = id(condition)
        if key not in self.operands:
            field = self.column(condition.path).field
            subplan = self.plan.subplans.get(key)
            if subplan is not None:
                inner = run_plan(self.org, subplan, include_deleted=self.include_deleted)
                column = subplan.columns[0]
                self.operands[key] = {normal(column.field, column_value(self.org, column, r)) for r in inner}
            elif isinstance(condition, InList):
                self.operands[key] = {normal(field, lit.value) for lit in condition.literals}
            elif isinstance(condition, Like):
                self.operands[key] = _like(str(condition.literal.value))
            elif condition.literal.kind == "dateliteral":
                self.operands[key] = date_range(condition.literal.value, self.now)
            else:
                self.operands[key] = normal(field, condition.literal.value)
        return self.operands[key]

    def matches(self, condition: Condition, record: Record) -> bool:
        """True when ``record`` satisfies ``condition``."""
        if isinstance(condition, BoolOp):
            parts = (self.matches(item, record) for item in condition.items)
            return all(parts) if condition.op == "AND" else any(parts)
        if isinstance(condition, Not):
            return not self.matches(condition.item, record)
        value = self.value(condition.path, record)
        operand = self.operand(condition)
        if isinstance(condition, InList):
            return (value in operand) != condition.negated
        if isinstance(condition, Like):
            hit = isinstance(value, str) and operand.fullmatch(value) is not None
            return hit != condition.negated
        if condition.literal.kind == "dateliteral":
            return compare_with_range(condition.op, value, operand)
        return _compare(condition.op, value, operand)


def _sort(matcher: Matcher, plan: Plan, records: list[Record]) -> list[Record]:
    for item in reversed(plan.query.order):
        keyed = [(matcher.value(item.path, r), r) for r in records]
        present = [(value, r) for value, r in keyed if value is not None]
        missing = [r for value, r in keyed if value is None]
        present.sort(key=lambda pair: _sort_key(pair[0]), reverse=item.descending)
        ordered = [r for _, r in present]
        records = ordered + missing if item.nulls_last else missing + ordered
    return records


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, datetime | date | int | float):
        return (0, value)
    return (1, str(value))  # corrupted values sort after real ones of the same field


def filtered(org: Org, plan: Plan, *, include_deleted: bool) -> list[Record]:
    """The records matching ``plan``'s WHERE clause, in ID order."""
    matcher = Matcher(org, plan, include_deleted=include_deleted)
    where = plan.query.where
    return [
        r for r in org.live(plan.sobject.name, include_deleted=include_deleted)
        if where is None or matcher.matches(where, r)
    ]  # fmt: skip


def run_plan(org: Org, plan: Plan, *, include_deleted: bool) -> list[Record]:
    """The records ``plan`` selects, filtered, sorted, offset and limited."""
    rows = _sort(
        Matcher(org, plan, include_deleted=include_deleted), plan, filtered(org, plan, include_deleted=include_deleted)
    )
    rows = rows[_window(plan)]
    for child in plan.children:
        _gather_children(org, child, rows, include_deleted=include_deleted)
    return rows


def _window(plan: Plan) -> slice:
    start = plan.query.offset or 0
    return slice(start, None if plan.query.limit is None else start + plan.query.limit)


def _gather_children(org: Org, child: ChildPlan, parents: list[Record], *, include_deleted: bool) -> None:
    """Fill ``child.rows``: each parent's matching child records, sorted, offset and limited per parent."""
    wanted = {to18(p["Id"]) for p in parents}
    groups: dict[str, list[Record]] = {}
    for record in filtered(org, child.plan, include_deleted=include_deleted):
        parent_id = record.get(child.link.name)
        if isinstance(parent_id, str) and is_id(parent_id) and to18(parent_id) in wanted:
            groups.setdefault(to18(parent_id), []).append(record)
    matcher = Matcher(org, child.plan, include_deleted=include_deleted)
    child.rows = {key: _sort(matcher, child.plan, rows)[_window(child.plan)] for key, rows in groups.items()}
    for grandchild in child.plan.children:
        found = [r for rows in child.rows.values() for r in rows]
        _gather_children(org, grandchild, found, include_deleted=include_deleted)


def render_json(org: Org, plan: Plan, record: Record, version: str) -> dict[str, Any]:
    """One query result record in Salesforce's JSON form, with ``attributes`` and nested relationships."""
    out = attributes(plan.sobject.name, record["Id"], version)
    for column in plan.columns:
        target = out
        current: Record | None = record
        for ref, parent_obj in column.hops:
            parent_id = current.get(ref.name) if current else None
            parent_type = _target(org, ref, parent_obj, parent_id) if parent_id else parent_obj.name
            current = org.get(parent_type, parent_id) if parent_id else None
            name = ref.relationship_name or ref.name
            if current is None or (name in target and target[name] is None):
                target[name] = None
                break
            target = target.setdefault(name, attributes(parent_type, current["Id"], version))
        else:
            if current is not None:
                target[column.field.name] = to_wire(org.value(column.owner.name, current, column.field))
    for child in plan.children:
        rows = child.rows.get(to18(record["Id"]), [])
        records = [render_json(org, child.plan, r, version) for r in rows]
        out[child.name] = {"totalSize": len(records), "done": True, "records": records} if records else None
    return out


def attributes(sobject: str, record_id: str, version: str) -> dict[str, Any]:
    """The ``attributes`` entry of a record in Salesforce's JSON form (its type and REST URL)."""
    return {"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record_id}"}}


def column_metadata(plan: Plan) -> dict[str, Any]:
    """The ``query?q=...&columns=true`` answer: the selected columns, relationship paths nested in ``joinColumns``."""
    top: list[dict[str, Any]] = []
    for column in plan.columns:
        level, display = top, []
        for ref, _target in column.hops:
            name = ref.relationship_name or ref.name
            display.append(name)
            entry = next((c for c in level if c["columnName"] == name and c["apexType"] is None), None)
            if entry is None:
                entry = _column_entry(name, ".".join(display), None)
                level.append(entry)
            level = entry["joinColumns"]
        display.append(column.field.name)
        level.append(_column_entry(column.field.name, ".".join(display), column.field))
    return {
        "columnMetadata": top,
        "entityName": plan.sobject.name,
        "groupBy": False,
        "idSelected": any(c.field.name == "Id" and not c.hops for c in plan.columns),
        "keyPrefix": plan.sobject.key_prefix,
    }


def _column_entry(name: str, display: str, definition: FieldDef | None) -> dict[str, Any]:
    kind = definition.type if definition is not None else None
    return {
        "aggregate": False,
        "apexType": None if kind is None else _APEX_TYPES.get(kind, "String"),
        "booleanType": kind == FieldType.BOOLEAN,
        "columnName": name,
        "custom": bool(definition and definition.custom),
        "displayName": display,
        "foreignKeyName": None,
        "insertable": bool(definition and definition.createable),
        "joinColumns": [],
        "numberType": kind in {FieldType.DOUBLE, FieldType.CURRENCY, FieldType.INT, FieldType.PERCENT},
        "textType": kind in _TEXT and kind not in {FieldType.ID, FieldType.REFERENCE},
        "updatable": bool(definition and definition.updateable),
    }
