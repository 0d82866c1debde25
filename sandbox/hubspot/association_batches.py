"""The associations API v4's batch endpoints: read, create, default and archive many pairs in one request.

    POST /crm/v4/associations/{from}/{to}/batch/read               {"inputs": [{"id", "after"?}]} (<= 1,000)
        200 (207 with errors) {"status", "results": [{"from": {"id"}, "to": [{"toObjectId", "associationTypes"}],
        "paging"?}], "numErrors"?, "errors"?, the times}: each record's first 500, then ``after``; every
        answer with a body is the envelope of HubSpot's other batch responses (``wire.batch_body``)
    POST /crm/v4/associations/{from}/{to}/batch/create             {"inputs": [{"from", "to", "types": [spec]}]}
        201 (207 with errors) {"results": [{"fromObjectTypeId", "fromObjectId", "toObjectTypeId", "toObjectId",
        "labels"}]}
    POST /crm/v4/associations/{from}/{to}/batch/associate/default  {"inputs": [{"from", "to"}]}
        200 {"results": [{"from", "to", "associationSpec"}]} (one a direction)
    POST /crm/v4/associations/{from}/{to}/batch/archive            {"inputs": [{"from", "to": [{"id"}]}]}: 204

As HubSpot: a record that is not there, or has nothing of ``to`` associated, is an error of
the batch (``207``, ``numErrors``), not of the request; IDs are strings both ways. The batch
read takes at most 1,000 inputs (HubSpot's limit since February 2025, its developer changelog
"Bug Fix: Batch Read Limit for HubSpot Associations API"); the sandbox holds create and
archive to the same bound. Which pairs can be written, and with which type IDs, is as on the
one-record endpoints (``associations``): contacts, companies, deals and tickets with each
other; type 1 (2 from the company) makes a company the contact's primary one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.hubspot.associations import (
    MAX_V4_PAGE,
    associate,
    associated_ids,
    association_types,
    default_pair,
    dissociate,
    labels_of,
    object_named,
    type_problem,
    unwritable,
)
from sandbox.hubspot.links import ASSOCIATION_TYPES
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.schema import OBJECT_TYPES
from sandbox.hubspot.wire import Category, batch_body, error, standard_error

__all__ = ["MAX_BATCH_INPUTS", "association_batch"]

MAX_BATCH_INPUTS = 1000


def association_batch(portal: Portal, request: Request, names: tuple[str, str], action: list[str]) -> Response:
    """Answer ``POST /crm/v4/associations/{from}/{to}/batch/{action}``; ``names`` are the two object types."""
    if request.method != "POST":
        return error(405, Category.VALIDATION_ERROR, f"{request.method} is not allowed here; use POST")
    objects = [object_named(name) for name in names]
    for name, obj in zip(names, objects, strict=True):
        if obj is None:
            return error(400, Category.VALIDATION_ERROR, f"Unable to infer object type from: {name}")
    inputs = _inputs(request)
    if isinstance(inputs, Response):
        return inputs
    from_obj, to_obj = str(objects[0]), str(objects[1])
    started = datetime.now(UTC)
    if action == ["read"]:
        return _read(portal, from_obj, to_obj, inputs, started)
    if action in (["create"], ["associate", "default"], ["archive"]):
        refused = unwritable(from_obj, to_obj)
        if refused is not None:
            return refused
        if action == ["archive"]:
            return _archive(portal, from_obj, to_obj, inputs)
        return _create(portal, from_obj, to_obj, inputs, started, default=action != ["create"])
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")


def _inputs(request: Request) -> list[dict[str, Any]] | Response:
    try:
        body = request.json()
        inputs = body["inputs"]
    except (ValueError, TypeError, KeyError):
        return error(400, Category.VALIDATION_ERROR, 'Invalid input JSON: expected {"inputs": [...]}')
    if not isinstance(inputs, list) or not all(isinstance(item, dict) for item in inputs):
        return error(400, Category.VALIDATION_ERROR, "Invalid input JSON: inputs must be a list of objects")
    if len(inputs) > MAX_BATCH_INPUTS:
        return error(400, Category.VALIDATION_ERROR,
                     f"Batch input size of {len(inputs)} exceeds the limit of {MAX_BATCH_INPUTS}")  # fmt: skip
    return inputs


def _id(value: Any) -> str:
    """The ``id`` of a ``{"id": ...}`` object, as text ("" when there is none)."""
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def _read(portal: Portal, from_obj: str, to_obj: str, inputs: list[dict[str, Any]], started: datetime) -> Response:
    results: list[dict[str, Any]] = []
    missing: list[str] = []
    with portal.lock:
        for item in inputs:
            key = _id(item)
            try:
                after = int(item.get("after") or 0)
            except (TypeError, ValueError):
                return error(400, Category.VALIDATION_ERROR, f"after must be a whole number, got {item.get('after')!r}")
            record = portal.get(from_obj, key) if key else None
            ids = associated_ids(portal, from_obj, record, to_obj) if record is not None else []
            if record is None or not ids:
                missing.append(key)
                continue
            page = ids[after : after + MAX_V4_PAGE]
            found: dict[str, Any] = {
                "from": {"id": key},
                "to": [{"toObjectId": i, "associationTypes": association_types(portal, from_obj, record, to_obj, i)}
                       for i in page],
            }  # fmt: skip
            if after + MAX_V4_PAGE < len(ids):
                found["paging"] = {"next": {"after": str(after + MAX_V4_PAGE)}}
            results.append(found)
    errors = [standard_error(Category.OBJECT_NOT_FOUND, f"No {to_obj} is associated with {from_obj} {key}.",
                             ids=[key], sub_category="crm.associations.NO_ASSOCIATIONS_FOUND")
              for key in missing]  # fmt: skip
    return Response.json(207 if errors else 200, batch_body(results, errors, started))


def _types(item: dict[str, Any], from_obj: str, to_obj: str) -> list[int] | str:
    """The type IDs an input asks for, or why they cannot be written."""
    try:
        wanted = [int(spec["associationTypeId"]) for spec in item.get("types") or []]
    except (TypeError, ValueError, KeyError):
        return "each of types must be {associationCategory, associationTypeId}"
    return type_problem(from_obj, to_obj, wanted) or wanted


def _create(
    portal: Portal, from_obj: str, to_obj: str, inputs: list[dict[str, Any]], started: datetime, *, default: bool
) -> Response:
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    default_type = ASSOCIATION_TYPES[(from_obj, to_obj)][0].type_id
    with portal.lock:
        for item in inputs:
            key, to_key = _id(item.get("from")), _id(item.get("to"))
            wanted = [default_type] if default else _types(item, from_obj, to_obj)
            if isinstance(wanted, str):
                errors.append(standard_error(Category.VALIDATION_ERROR, wanted, ids=[key]))
                continue
            record, other = portal.get(from_obj, key), portal.get(to_obj, to_key)
            if record is None or other is None:
                absent = key if record is None else to_key
                errors.append(standard_error(Category.OBJECT_NOT_FOUND, f"No {from_obj if record is None else to_obj} "
                                             f"with ID {absent} exists.", ids=[absent]))  # fmt: skip
                continue
            associate(portal, from_obj, record, to_obj, other, wanted)
            if default:
                results += default_pair(from_obj, record.id, to_obj, other.id)
            else:
                results.append({"fromObjectTypeId": OBJECT_TYPES[from_obj], "fromObjectId": record.id,
                                "toObjectTypeId": OBJECT_TYPES[to_obj], "toObjectId": other.id,
                                "labels": labels_of(from_obj, to_obj, wanted)})  # fmt: skip
    status = 207 if errors else (200 if default else 201)
    return Response.json(status, batch_body(results, errors, started))


def _archive(portal: Portal, from_obj: str, to_obj: str, inputs: list[dict[str, Any]]) -> Response:
    with portal.lock:
        for item in inputs:
            record = portal.get(from_obj, _id(item.get("from")))
            targets = item.get("to")
            for target in targets if isinstance(targets, list) else []:
                other = portal.get(to_obj, _id(target))
                if record is not None and other is not None:  # HubSpot answers 204 for pairs not associated too
                    dissociate(portal, from_obj, record, to_obj, other)
    return Response.empty(204)
