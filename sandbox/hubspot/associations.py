"""Associations between records, read through the objects API v3 and read and written through the associations API v4.

    GET /crm/v3/objects/{object}[/{id}]?associations=companies   each record gains
        "associations": {"companies": {"results": [{"id": "201", "type": "contact_to_company"}, ...]}}
    GET    /crm/v4/objects/{object}/{id}/associations/{toObjectType}   (limit <= 500, after)
        {"results": [{"toObjectId": 201, "associationTypes": [{"category", "typeId", "label"}, ...]}]}
    PUT    /crm/v4/objects/{object}/{id}/associations/default/{toObjectType}/{toId}   the default (unlabeled)
        type, both ways: 200 {"status": "COMPLETE", "results": [{"from", "to", "associationSpec"}, ...]}
    PUT    /crm/v4/objects/{object}/{id}/associations/{toObjectType}/{toId}   body [{associationCategory,
        associationTypeId}]: 201 {"fromObjectTypeId", "fromObjectId", "toObjectTypeId", "toObjectId", "labels"}
    DELETE /crm/v4/objects/{object}/{id}/associations/{toObjectType}/{toId}   every type between the two: 204

A contact's primary company is its ``associatedcompanyid``, read from either side. HubSpot
lists such a pair once per association type: the primary one and the unlabeled one (contact to
company: ``contact_to_company`` typeId 1 and ``contact_to_company_unlabeled`` 279; company to
contact: ``company_to_contact`` 2 and ``company_to_contact_unlabeled`` 280). A contact and a
company may also be associated unlabeled only (the default type, 279/280): a contact has one
primary company and any number of others. Writing type 1 (or 2) makes the company the
contact's primary one (its ``associatedcompanyid``, which moves the contact's
``lastmodifieddate``), with the unlabeled type beside it; removing the pair's associations
clears it. Deals and tickets associate with contacts, companies and each other with HubSpot's default
type IDs (``links``: deal to contact 3, contact to deal 4, deal to company 341 (primary 5), ticket to
contact 16, ticket to company 339 (primary 26)...). A record with nothing associated has no
``associations`` key, as in HubSpot. Unknown object types are a 400, as in HubSpot.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from sandbox.common.http import Request, Response
from sandbox.hubspot.links import ASSOCIATION_TYPES, find_type, inverse_type
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.schema import OBJECT_TYPES, object_type
from sandbox.hubspot.wire import Category, error, iso

__all__ = [
    "MAX_V4_PAGE",
    "associate",
    "associated_ids",
    "association_types",
    "associations_v4",
    "default_pair",
    "dissociate",
    "inline_associations",
    "labels_of",
    "object_named",
    "requested_associations",
    "type_problem",
    "unwritable",
    "with_associations",
]

MAX_V4_PAGE = 500

_TYPES = {
    ("contacts", "companies"): (("contact_to_company", 1, "Primary"), ("contact_to_company_unlabeled", 279, None)),
    ("companies", "contacts"): (("company_to_contact", 2, "Primary"), ("company_to_contact_unlabeled", 280, None)),
}
"""(from, to) -> the association types of a primary company pair: (v3 name, v4 typeId, v4 label)."""

_SINGULAR = {"contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets"}


def object_named(name: str) -> str | None:
    """The object type a path names (``contacts``, ``contact``, ``0-1``...), or None."""
    key = name.strip().lower()
    return object_type(_SINGULAR.get(key, key))


_object = object_named


def requested_associations(request: Request) -> list[str]:
    """The object types the ``associations`` query parameter names (comma-separated and/or repeated)."""
    names = [n for value in request.query.get("associations") or [] for n in value.split(",") if n.strip()]
    return list(dict.fromkeys(obj for obj in map(_object, names) if obj is not None))


def associated_ids(portal: Portal, obj: str, record: HubRecord, to_obj: str) -> list[str]:
    """IDs of the live ``to_obj`` records associated with ``record``, in ID order."""
    linked = set(portal.links.of(obj, record.id, to_obj))
    if (obj, to_obj) == ("contacts", "companies") and record.props.get("associatedcompanyid"):
        linked.add(str(record.props["associatedcompanyid"]))
    if (obj, to_obj) == ("companies", "contacts"):
        linked |= {r.id for r in portal.live("contacts") if r.props.get("associatedcompanyid") == record.id}
    return [i for i in sorted(linked, key=int) if portal.get(to_obj, i) is not None]


def _contact_and_company(obj: str, record_id: str, to_obj: str, to_id: str) -> tuple[str, str] | None:
    """(contact ID, company ID) when the two records are a contact and a company, else None."""
    if (obj, to_obj) == ("contacts", "companies"):
        return record_id, to_id
    if (obj, to_obj) == ("companies", "contacts"):
        return to_id, record_id
    return None


def _primary_pair(portal: Portal, obj: str, record_id: str, to_obj: str, to_id: str) -> HubRecord | None:
    """The contact, when the two records are a contact and its primary company."""
    pair = _contact_and_company(obj, record_id, to_obj, to_id)
    contact = portal.get("contacts", pair[0]) if pair else None
    return contact if pair and contact and contact.props.get("associatedcompanyid") == pair[1] else None


def _types_of(portal: Portal, obj: str, record_id: str, to_obj: str, to_id: str) -> list[tuple[str, int, str | None]]:
    """The association types between two records as (v3 name, typeId, label), in HubSpot's order."""
    if _primary_pair(portal, obj, record_id, to_obj, to_id) is not None:
        return list(_TYPES[(obj, to_obj)])
    held = portal.links.of(obj, record_id, to_obj).get(to_id, set())
    return [(t.name, t.type_id, t.label) for t in ASSOCIATION_TYPES.get((obj, to_obj), ()) if t.type_id in held]


def with_associations(
    portal: Portal, obj: str, record: HubRecord, rendered: dict[str, Any], wanted: list[str]
) -> dict[str, Any]:
    """``rendered`` with the v3 ``associations`` of the object types ``wanted`` (left out when there are none)."""
    found: dict[str, Any] = {}
    for to_obj in wanted:
        ids = associated_ids(portal, obj, record, to_obj)
        if ids:
            found[to_obj] = {"results": [{"id": i, "type": name} for i in ids
                                         for name, _, _ in _types_of(portal, obj, record.id, to_obj, i)]}  # fmt: skip
    return rendered | {"associations": found} if found else rendered


def _spec(type_id: int, label: str | None) -> dict[str, Any]:
    return {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}


def association_types(portal: Portal, obj: str, record: HubRecord, to_obj: str, to_id: str) -> list[dict[str, Any]]:
    """The v4 ``associationTypes`` between ``record`` and one associated record: ``[{category, typeId, label}]``."""
    return [_spec(type_id, label) for _, type_id, label in _types_of(portal, obj, record.id, to_obj, to_id)]


def associations_v4(portal: Portal, request: Request, obj: str, rest: list[str]) -> Response:
    """Answer one ``/crm/v4/objects/{object}/{id}/associations/...`` request: read, write or remove."""
    if len(rest) < 3 or rest[1] != "associations":
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")
    if len(rest) == 3 and request.method == "GET":
        return _read_v4(portal, request, obj, rest)
    if len(rest) == 5 and rest[2] == "default" and request.method == "PUT":
        return _write_v4(portal, request, obj, [rest[0], rest[3], rest[4]], default=True)
    if len(rest) == 4 and request.method in {"PUT", "DELETE"}:
        return _write_v4(portal, request, obj, [rest[0], rest[2], rest[3]], default=False)
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")


def _no_record(key: str) -> Response:
    return error(404, Category.OBJECT_NOT_FOUND, "Object not found.  objectId are usually numeric.",
                 context={"id": [key]})  # fmt: skip


def _read_v4(portal: Portal, request: Request, obj: str, rest: list[str]) -> Response:
    to_obj = _object(unquote(rest[2]))
    if to_obj is None:
        return error(400, Category.VALIDATION_ERROR, f"Unable to infer object type from: {unquote(rest[2])}")
    try:
        limit = int(request.param("limit") or MAX_V4_PAGE)
        after = int(request.param("after") or 0)
    except ValueError:
        return error(400, Category.VALIDATION_ERROR, "limit and after must be whole numbers")
    if not 1 <= limit <= MAX_V4_PAGE:
        return error(400, Category.VALIDATION_ERROR, f"limit must be between 1 and {MAX_V4_PAGE}, got {limit}")
    with portal.lock:
        record = portal.get(obj, unquote(rest[0]))
        if record is None:
            return _no_record(unquote(rest[0]))
        ids = associated_ids(portal, obj, record, to_obj)
        page = ids[after : after + limit]
        results = [{"toObjectId": int(i), "associationTypes": association_types(portal, obj, record, to_obj, i)}
                   for i in page]  # fmt: skip
    body: dict[str, Any] = {"results": results}
    if after + limit < len(ids):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return Response.json(200, body)


def associate(portal: Portal, obj: str, record: HubRecord, to_obj: str, other: HubRecord, wanted: list[int]) -> None:
    """Associate two records with the type IDs ``wanted`` (checked); a contact's primary company is its property.

    Call with the portal's lock held.
    """
    pair = _contact_and_company(obj, record.id, to_obj, other.id)
    if pair is not None:
        unlabeled, primary = (t.type_id for t in ASSOCIATION_TYPES[(obj, to_obj)])
        if primary in wanted:  # kept as the contact's property, with the unlabeled type beside it
            contact = portal.get("contacts", pair[0])
            if contact is not None and contact.props.get("associatedcompanyid") != pair[1]:
                portal.update("contacts", contact, {"associatedcompanyid": pair[1]})
            wanted = [unlabeled, *(t for t in wanted if t != primary)]
    for type_id in dict.fromkeys(wanted):
        portal.links.add(obj, record.id, to_obj, other.id, type_id)


def inline_associations(portal: Portal, obj: str, given: Any) -> list[tuple[str, HubRecord, list[int]]] | str:
    """The (object type, record, type IDs) a create's ``associations`` names, or why they cannot be made.

    Each is ``{"to": {"id"}, "types": [{"associationCategory", "associationTypeId"}]}``; the type IDs
    say which object ``to`` is (279: a company, from a contact), as in HubSpot's create.
    """
    if given is None:
        return []
    shape = "each association must be {to: {id}, types: [{associationCategory, associationTypeId}]}"
    if not isinstance(given, list):
        return shape
    out = []
    for item in given:
        try:
            to_id, wanted = str(item["to"]["id"]), [int(t["associationTypeId"]) for t in item["types"]]
        except (KeyError, TypeError, ValueError):
            return shape
        targets = [to for frm, to in ASSOCIATION_TYPES if frm == obj and all(find_type(obj, to, t) for t in wanted)]
        if not wanted or len(targets) != 1:
            return f"Association type IDs {wanted} are not valid from {obj}"
        other = portal.get(targets[0], to_id)
        if other is None:
            return f"No {targets[0]} with ID {to_id} exists to associate with"
        out.append((targets[0], other, wanted))
    return out


def dissociate(portal: Portal, obj: str, record: HubRecord, to_obj: str, other: HubRecord) -> None:
    """Remove every association between two records (a contact's primary company too). Call with the lock held."""
    portal.links.remove(obj, record.id, to_obj, other.id)
    contact = _primary_pair(portal, obj, record.id, to_obj, other.id)
    if contact is not None:
        portal.update("contacts", contact, {"associatedcompanyid": ""})


def unwritable(obj: str, to_obj: str) -> Response | None:
    """HubSpot's 400 for a pair of object types the sandbox does not write associations between, else None."""
    if (obj, to_obj) in ASSOCIATION_TYPES:
        return None
    return error(400, Category.VALIDATION_ERROR,
                 f"The sandbox does not write associations between {obj} and {to_obj}; "
                 f"it writes those of contacts, companies, deals and tickets with each other")  # fmt: skip


def type_problem(obj: str, to_obj: str, wanted: list[int]) -> str | None:
    """Why association type IDs cannot be written from ``obj`` to ``to_obj`` (none, or unknown), else None."""
    unknown = [t for t in wanted if find_type(obj, to_obj, t) is None]
    if not unknown and wanted:
        return None
    valid = ", ".join(str(t.type_id) for t in ASSOCIATION_TYPES[(obj, to_obj)])
    return f"Association type IDs {unknown} are not valid from {obj} to {to_obj}; valid: {valid}"


def labels_of(obj: str, to_obj: str, wanted: list[int]) -> list[str]:
    """The labels of the association types ``wanted`` (an unlabeled type has none)."""
    return [t.label for t in (find_type(obj, to_obj, i) for i in wanted) if t is not None and t.label]


def default_pair(obj: str, record_id: str, to_obj: str, to_id: str) -> list[dict[str, Any]]:
    """The results of associating two records with the default type: one a direction, with its type ID."""
    type_id = ASSOCIATION_TYPES[(obj, to_obj)][0].type_id
    both = [(record_id, to_id, type_id), (to_id, record_id, inverse_type(type_id))]
    return [{"from": {"id": a}, "to": {"id": b},
             "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": t}}
            for a, b, t in both]  # fmt: skip


def _write_v4(portal: Portal, request: Request, obj: str, keys: list[str], *, default: bool) -> Response:
    """Associate (``PUT``) or dissociate (``DELETE``) two records; ``keys``: [id, toObjectType, toId]."""
    record_id, to_name, to_id = (unquote(k) for k in keys)
    to_obj = _object(to_name)
    if to_obj is None:
        return error(400, Category.VALIDATION_ERROR, f"Unable to infer object type from: {to_name}")
    refused = unwritable(obj, to_obj)
    if refused is not None:
        return refused
    wanted = [ASSOCIATION_TYPES[(obj, to_obj)][0].type_id]
    if not default and request.method == "PUT":
        try:
            specs = request.json()
            wanted = [int(s["associationTypeId"]) for s in specs]
        except (ValueError, TypeError, KeyError):
            return error(400, Category.VALIDATION_ERROR,
                         "Invalid input JSON: expected a list of {associationCategory, associationTypeId}")  # fmt: skip
        problem = type_problem(obj, to_obj, wanted)
        if problem is not None:
            return error(400, Category.VALIDATION_ERROR, problem)
    with portal.lock:
        record, other = portal.get(obj, record_id), portal.get(to_obj, to_id)
        if record is None or other is None:
            return _no_record(record_id if record is None else to_id)
        if request.method == "DELETE":
            dissociate(portal, obj, record, to_obj, other)
            return Response.empty(204)
        associate(portal, obj, record, to_obj, other, wanted)
    if not default:
        return Response.json(201, {"fromObjectTypeId": OBJECT_TYPES[obj], "fromObjectId": int(record.id),
                                   "toObjectTypeId": OBJECT_TYPES[to_obj], "toObjectId": int(other.id),
                                   "labels": labels_of(obj, to_obj, wanted)})  # fmt: skip
    now = iso(datetime.now(UTC))
    results = default_pair(obj, record.id, to_obj, other.id)
    return Response.json(200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now})
