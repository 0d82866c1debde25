"""The select list's two shorthands: ``FIELDS()`` groups and parent-to-child subqueries.

``FIELDS(STANDARD)`` stands for every field of the object that is not custom,
``FIELDS(CUSTOM)`` for every custom one (``__c``), ``FIELDS(ALL)`` for both, in
describe order and where the group is written (``SELECT Name, FIELDS(CUSTOM) ...``).
``ALL`` and ``CUSTOM`` are unbounded: the query (or subquery) holding them needs a
``LIMIT`` of at most 200, else ``MALFORMED_QUERY``. A field selected twice, named twice
(``Id, Id``) or named beside a group holding it (``Id, FIELDS(ALL)``), is refused:
``INVALID_FIELD`` "duplicate field selected: Id" (the Partner API guide: "The fieldList
cannot contain duplicate field names"; the wording is the one the FIELDS() reference's
example answers with).

A subquery in the select list (``(SELECT Id FROM Contacts)``) reads a child
relationship of the outer object (``schema.CHILD_RELATIONSHIPS``), named alone or
after the outer object (``Account.Contacts``); any other name is ``INVALID_TYPE``.
``query`` plans, runs and renders it: each parent gets the relationship's key holding
``null`` or a nested ``{"totalSize", "done", "records"}`` result, with the subquery's
``WHERE``, ``ORDER BY``, ``LIMIT`` and ``OFFSET`` applied per parent.
"""

from __future__ import annotations

from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import ChildRelationship, FieldDef, ObjectDef
from sandbox.salesforce.soql import FieldsGroup, Path, Query, SoqlError, located
from sandbox.salesforce.wire import ErrorCode

__all__ = ["FIELDS_LIMIT", "child_relationship", "select_paths"]

FIELDS_LIMIT = 200
"""The largest LIMIT a query with ``FIELDS(ALL)`` or ``FIELDS(CUSTOM)`` may have."""
# Wording as a live org answers it, quoted in activepieces/activepieces issue #14521; the
# SOQL reference ("FIELDS()", Bounded and Unbounded Queries) states the rule, not the text.
_UNBOUNDED = f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}"


def select_paths(query: Query, obj: ObjectDef) -> list[Path]:
    """The selected paths of ``query`` on ``obj``, each ``FIELDS()`` group replaced by the fields it stands for.

    Raises:
        SoqlError: MALFORMED_QUERY for ``FIELDS(ALL)``/``FIELDS(CUSTOM)`` without a LIMIT of at most 200;
            INVALID_FIELD for a field selected twice.
    """
    paths = list(query.fields)
    for group in reversed(query.field_groups):  # the last first, so earlier positions still hold
        _check_bounded(query, group)
        expanded = [Path((f.name,), group.offset) for f in obj.fields.values() if _in_group(group.kind, f)]
        paths[group.position : group.position] = expanded
    seen: set[tuple[str | None, str]] = set()
    for path in paths:
        if path.key in seen:
            raise SoqlError(ErrorCode.INVALID_FIELD, f"duplicate field selected: {path.expression}")
        seen.add(path.key)
    return paths


def _in_group(kind: str, definition: FieldDef) -> bool:
    return kind == "ALL" or definition.custom == (kind == "CUSTOM")


def _check_bounded(query: Query, group: FieldsGroup) -> None:
    if group.kind != "STANDARD" and (query.limit is None or query.limit > FIELDS_LIMIT):
        raise located(ErrorCode.MALFORMED_QUERY, query.text, group.offset, _UNBOUNDED)


def child_relationship(org: Org, parent: ObjectDef, child: Query) -> tuple[ChildRelationship, ObjectDef, FieldDef]:
    """The relationship a subquery's FROM names on ``parent``, the child object and its lookup field.

    Raises:
        SoqlError: INVALID_TYPE for a name that is no child relationship of ``parent``.
    """
    *qualifier, name = child.sobject.split(".")
    found = None
    if not qualifier or [q.lower() for q in qualifier] == [parent.name.lower()]:
        found = parent.child_relationship(name)
    target = org.object(found.child) if found is not None else None
    link = target.field(found.field) if found is not None and target is not None else None
    if found is None or target is None or link is None:
        detail = (
            f"Didn't understand relationship '{name}' in FROM part of query call. If you are attempting to use a "
            "custom relationship, be sure to append the '__r' after the custom relationship name. Please reference "
            "your WSDL or the describe call for the appropriate names."
        )
        raise located(ErrorCode.INVALID_TYPE, child.text, child.sobject_offset, detail)
    return found, target, link
