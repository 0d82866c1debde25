"""The CRM search API: ``POST /crm/v3/objects/{object}/search``.

Body: ``filterGroups`` (up to 5, ORed; up to 6 filters each, ANDed; 18 in all),
``sorts`` (one; ``{propertyName, direction}`` or a property name, ``-`` for descending),
``query`` (text in the default searchable properties), ``properties``, ``limit``
(at most 200, default 10) and ``after`` (an offset). A search reaches at most 10,000
results: ``after`` + ``limit`` past that is a 400, as HubSpot answers. Archived
records are never found; ``paging.next`` carries only ``after``, no link. Operators: EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN,
HAS_PROPERTY, NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN; values compare
by the property's type (datetimes given as milliseconds or ISO 8601; strings without case).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.records import render
from sandbox.hubspot.schema import CURSOR_PROPERTY, PropertyDef
from sandbox.hubspot.wire import Category, error, parse_instant

__all__ = ["MAX_RESULTS", "search"]

MAX_RESULTS = 10_000
MAX_LIMIT = 200
_TEXT_FIELDS = {
    "contacts": ("email", "firstname", "lastname", "phone", "company"),
    "companies": ("name", "domain", "website"),
    "deals": ("dealname", "description"),
    "tickets": ("subject", "content"),
}


class _BadSearch(ValueError):
    """The search body is invalid; the message says why."""


def _key(prop: PropertyDef, raw: Any) -> Any:
    """A value of ``prop`` in a form that compares by the property's type."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw.timestamp()
    if prop.type in {"datetime", "date"}:
        moment = parse_instant(raw)
        return moment.timestamp() if isinstance(moment, datetime) else None
    if prop.type == "number":
        try:
            return float(raw)
        except (TypeError, ValueError):
            return None
    return str(raw).lower()


def _stored(obj: str, record: HubRecord, name: str) -> Any:
    """The value search compares: the stored one, so a damaged rendering keeps the record's place."""
    if name == CURSOR_PROPERTY[obj]:
        return record.modified
    return record.value(obj, name)


def _filter(portal: Portal, obj: str, spec: dict[str, Any]) -> Callable[[HubRecord], bool]:
    name = str(spec.get("propertyName", ""))
    prop = portal.schemas[obj].live(name)
    if prop is None:
        msg = f"There was a problem with the request: property {name!r} does not exist on {obj}"
        raise _BadSearch(msg)
    op = str(spec.get("operator", "EQ")).upper()
    value = _key(prop, spec.get("value"))
    high = _key(prop, spec.get("highValue"))
    values = {_key(prop, v) for v in spec.get("values") or []}
    tests: dict[str, Callable[[Any], bool]] = {
        "EQ": lambda v: v is not None and v == value,
        "NEQ": lambda v: v != value,
        "LT": lambda v: v is not None and value is not None and v < value,
        "LTE": lambda v: v is not None and value is not None and v <= value,
        "GT": lambda v: v is not None and value is not None and v > value,
        "GTE": lambda v: v is not None and value is not None and v >= value,
        "BETWEEN": lambda v: v is not None and value is not None and high is not None and value <= v <= high,
        "IN": lambda v: v in values,
        "NOT_IN": lambda v: v not in values,
        "HAS_PROPERTY": lambda v: v is not None,
        "NOT_HAS_PROPERTY": lambda v: v is None,
        "CONTAINS_TOKEN": lambda v: v is not None and str(value or "").strip("*") in str(v),
        "NOT_CONTAINS_TOKEN": lambda v: v is None or str(value or "").strip("*") not in str(v),
    }
    test = tests.get(op)
    if test is None:
        msg = f"There was a problem with the request: unknown operator {op!r}; known: {', '.join(tests)}"
        raise _BadSearch(msg)
    if op not in {"HAS_PROPERTY", "NOT_HAS_PROPERTY", "IN", "NOT_IN"} and value is None:
        msg = f"There was a problem with the request: filter on {name} {op} needs a valid value"
        raise _BadSearch(msg)
    return lambda record: test(_key(prop, _stored(obj, record, name)))


def _matcher(portal: Portal, obj: str, body: dict[str, Any]) -> Callable[[HubRecord], bool]:
    groups = body.get("filterGroups") or []
    if len(groups) > 5 or sum(len(g.get("filters") or []) for g in groups) > 18:
        msg = "There was a problem with the request: at most 5 filterGroups and 18 filters in all"
        raise _BadSearch(msg)
    compiled = [[_filter(portal, obj, f) for f in g.get("filters") or []] for g in groups]
    query = str(body.get("query") or "").strip().lower()
    fields = _TEXT_FIELDS[obj]

    def matches(record: HubRecord) -> bool:
        if query and not any(query in (record.value(obj, f) or "").lower() for f in fields):
            return False
        return not compiled or any(all(f(record) for f in group) for group in compiled)

    return matches


def _sort_spec(body: dict[str, Any]) -> tuple[str, bool]:
    sorts = body.get("sorts") or []
    if not sorts:
        return "hs_object_id", False
    first = sorts[0]
    if isinstance(first, str) and first.startswith("{"):
        first = json.loads(first)
    if isinstance(first, dict):
        return str(first.get("propertyName", "hs_object_id")), str(
            first.get("direction", "ASCENDING")
        ).upper() == "DESCENDING"
    text = str(first)
    return text.lstrip("-"), text.startswith("-")


def _ordered(portal: Portal, obj: str, rows: list[HubRecord], body: dict[str, Any]) -> list[HubRecord]:
    name, descending = _sort_spec(body)
    prop = portal.schemas[obj].live(name)
    if prop is None:
        msg = f"There was a problem with the request: cannot sort by unknown property {name!r}"
        raise _BadSearch(msg)
    cursor = (obj == "contacts" and name == "lastmodifieddate") or name == "hs_lastmodifieddate"

    def key(record: HubRecord) -> tuple[int, Any, int]:
        # the stored time, not its rendering: a damaged value keeps the record's place
        value = record.modified.timestamp() if cursor else _key(prop, record.value(obj, name))
        return (value is None, value if value is not None else 0, int(record.id))

    ordered = sorted(rows, key=key)
    return list(reversed(ordered)) if descending else ordered


def search(portal: Portal, obj: str, request: Request, *, ceiling: int = MAX_RESULTS) -> Response:
    """Answer one search request; ``ceiling`` is how many results a search can reach (HubSpot: 10,000)."""
    try:
        body = request.json()
        if not isinstance(body, dict):
            msg = "There was a problem with the request: the body must be a JSON object"
            raise _BadSearch(msg)
        limit = int(body.get("limit") or 10)
        after = int(body.get("after") or 0)
        if not 1 <= limit <= MAX_LIMIT:
            msg = f"There was a problem with the request: limit must be between 1 and {MAX_LIMIT}"
            raise _BadSearch(msg)
        if after + limit > ceiling:
            msg = (
                f"There was a problem with the request: a search returns at most {ceiling} results; "
                "narrow the filters instead of paging past them"
            )
            raise _BadSearch(msg)  # fmt: skip
        with portal.lock:
            matches = _matcher(portal, obj, body)
            rows = _ordered(
                portal, obj, [r for r in portal.records[obj].values() if not r.archived and matches(r)], body
            )
            page = rows[after : after + limit]
            out: dict[str, Any] = {"total": len(rows),
                                   "results": [render(portal, obj, r, body.get("properties") or None) for r in page]}  # fmt: skip
    except (ValueError, TypeError, AttributeError) as err:
        return error(
            400,
            Category.VALIDATION_ERROR,
            str(err) if isinstance(err, _BadSearch) else f"There was a problem with the request: {err}",
        )
    if after + limit < len(rows) and after + limit < ceiling:
        out["paging"] = {"next": {"after": str(after + limit)}}  # a search's paging has no link: it is a POST
    return Response.json(200, out)
