"""Associations between contacts and companies, read through the objects API v3 and the associations API v4.

    GET /crm/v3/objects/{object}[/{id}]?associations=companies   each record gains
        "associations": {"companies": {"results": [{"id": "201", "type": "contact_to_company"}, ...]}}
    GET /crm/v4/objects/{object}/{id}/associations/{toObjectType}   (limit <= 500, after)
        {"results": [{"toObjectId": 201, "associationTypes": [{"category", "typeId", "label"}, ...]}]}

The sandbox's only association is a contact's primary company (``associatedcompanyid``), read
from either side. HubSpot lists such a pair once per association type: the primary one and
the unlabeled one (contact to company: ``contact_to_company`` typeId 1 and
``contact_to_company_unlabeled`` 279; company to contact: ``company_to_contact`` 2 and
``company_to_contact_unlabeled`` 280). A record with nothing associated has no
``associations`` key, as in HubSpot. Other objects (deals, tickets...) are not in the sandbox:
asked for on a v3 read they add nothing; on the v4 path they are a 400, as an unknown object
type is in HubSpot.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.schema import object_type
from sandbox.hubspot.wire import Category, error

__all__ = ["associated_ids", "associations_v4", "requested_associations", "with_associations"]

MAX_V4_PAGE = 500

_TYPES = {
    ("contacts", "companies"): (("contact_to_company", 1, "Primary"), ("contact_to_company_unlabeled", 279, None)),
    ("companies", "contacts"): (("company_to_contact", 2, "Primary"), ("company_to_contact_unlabeled", 280, None)),
}
"""(from, to) -> the association types of a primary company pair: (v3 name, v4 typeId, v4 label)."""

_SINGULAR = {"contact": "contacts", "company": "companies"}


def _object(name: str) -> str | None:
    key = name.strip().lower()
    return object_type(_SINGULAR.get(key, key))


def requested_associations(request: Request) -> list[str]:
    """The object types the ``associations`` query parameter names (comma-separated and/or repeated)."""
    names = [n for value in request.query.get("associations") or [] for n in value.split(",") if n.strip()]
    return list(dict.fromkeys(obj for obj in map(_object, names) if obj is not None))


def associated_ids(portal: Portal, obj: str, record: HubRecord, to_obj: str) -> list[str]:
    """IDs of the live ``to_obj`` records associated with ``record``, in ID order."""
    if (obj, to_obj) == ("contacts", "companies"):
        company = record.props.get("associatedcompanyid") or ""
        return [company] if company and portal.get("companies", company) is not None else []
    if (obj, to_obj) == ("companies", "contacts"):
        return [r.id for r in portal.live("contacts") if r.props.get("associatedcompanyid") == record.id]
    return []


def with_associations(
    portal: Portal, obj: str, record: HubRecord, rendered: dict[str, Any], wanted: list[str]
) -> dict[str, Any]:
    """``rendered`` with the v3 ``associations`` of the object types ``wanted`` (left out when there are none)."""
    found: dict[str, Any] = {}
    for to_obj in wanted:
        types = _TYPES.get((obj, to_obj))
        ids = associated_ids(portal, obj, record, to_obj) if types else []
        if types and ids:
            found[to_obj] = {"results": [{"id": i, "type": name} for i in ids for name, _, _ in types]}
    return rendered | {"associations": found} if found else rendered


def associations_v4(portal: Portal, request: Request, obj: str, rest: list[str]) -> Response:
    """``GET /crm/v4/objects/{object}/{id}/associations/{toObjectType}``: one page of associated records."""
    if len(rest) != 3 or rest[1] != "associations" or request.method != "GET":
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")
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
            return error(404, Category.OBJECT_NOT_FOUND, "Object not found.  objectId are usually numeric.",
                         context={"id": [unquote(rest[0])]})  # fmt: skip
        ids = associated_ids(portal, obj, record, to_obj)
    types = _TYPES.get((obj, to_obj), ())
    specs = [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label} for _, type_id, label in types]
    page = ids[after : after + limit]
    body: dict[str, Any] = {"results": [{"toObjectId": int(i), "associationTypes": specs} for i in page]}
    if after + limit < len(ids):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return Response.json(200, body)
