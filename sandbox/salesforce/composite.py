"""sObject Collections: ``composite/sobjects`` create, update, upsert, delete and retrieve.

Up to 200 records a request (more is 400 EXCEEDED_ID_LIMIT). The answer is HTTP 200
with one result per record, in order: ``{"id", "success": true, "errors": []}`` or
``{"success": false, "errors": [{"statusCode", "message", "fields"}]}``; upserts add
``"created"``. With ``allOrNone`` one failure fails them all, the others with
ALL_OR_NONE_OPERATION_ROLLED_BACK.
"""

from __future__ import annotations

from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.control import SalesforceControl
from sandbox.salesforce.org import Org
from sandbox.salesforce.rest import RestApi
from sandbox.salesforce.wire import ErrorCode, error
from sandbox.salesforce.writes import Write, commit, error_item, plan_delete, plan_insert, plan_update, plan_upsert

__all__ = ["collections"]

MAX_RECORDS = 200
_ROLLED_BACK = error_item(
    ErrorCode.ALL_OR_NONE_OPERATION_ROLLED_BACK,
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


def _untyped() -> Write:
    from sandbox.salesforce.schema import ObjectDef  # only to carry the error

    write = Write("none", ObjectDef("", "", ""))
    write.errors.append(error_item(ErrorCode.INVALID_TYPE, "Must send a concrete entity type.", []))
    return write


def _plan(
    org: Org, control: SalesforceControl, method: str, record: dict[str, Any], upsert_key: tuple[str, str] | None
) -> Write:
    sobject = (record.get("attributes") or {}).get("type") or (upsert_key[0] if upsert_key else "")
    obj = org.object(str(sobject)) if sobject else None
    if obj is None:
        return _untyped()
    values = {k: v for k, v in record.items() if k != "attributes"}
    if upsert_key is not None:
        definition = obj.field(upsert_key[1])
        if definition is None or not definition.external_id:
            write = Write("upsert", obj)
            write.errors.append(
                error_item(
                    ErrorCode.INVALID_FIELD,
                    f"Field name provided, {upsert_key[1]} is not an External ID or indexed field for {obj.name}",
                    [],
                )
            )
            return write
        return plan_upsert(org, control, obj, definition, str(values.get(definition.name, "")), values)
    if method == "PATCH":
        id_key = next((k for k in values if k.lower() == "id"), "Id")  # field names are case-insensitive
        return plan_update(org, control, obj, str(values.pop(id_key, "")), values)
    return plan_insert(org, control, obj, values)


def _results(org: Org, writes: list[Write], *, all_or_none: bool, upsert: bool) -> list[dict[str, Any]]:
    failed = any(w.errors for w in writes)
    results = []
    for write in writes:
        if all_or_none and failed:
            outcome_errors = write.errors or [_ROLLED_BACK]
            item: dict[str, Any] = {"success": False, "errors": outcome_errors}
        else:
            outcome = commit(org, write)
            item = {"success": outcome.success, "errors": outcome.errors}
            if outcome.success:
                item = {"id": outcome.id} | item
            if upsert:
                item["created"] = outcome.created
        if upsert and "created" not in item:
            item["created"] = False
        results.append(item)
    return results


def collections(request: Request, version: str, rest: list[str], api: RestApi) -> Response:
    """Answer ``composite/sobjects[/{object}[/{externalIdField}]]``."""
    if request.method == "GET" and len(rest) == 1:
        return _retrieve(request, version, rest[0], api)
    if request.method == "DELETE":
        ids = [i for i in (request.param("ids") or "").split(",") if i]
        all_or_none = (request.param("allOrNone") or "false").lower() == "true"
        if len(ids) > MAX_RECORDS:
            return _too_many()
        writes = []
        for record_id in ids:
            sobject = api.org.object_for_id(record_id)
            obj = api.org.objects.get(sobject or "")
            writes.append(plan_delete(api.org, api.control, obj, record_id) if obj else _untyped())
        return Response.json(200, _results(api.org, writes, all_or_none=all_or_none, upsert=False))
    try:
        body = request.json()
        records = body["records"]
        all_or_none = bool(body.get("allOrNone", False))
    except (ValueError, KeyError, TypeError, AttributeError):
        return error(400, ErrorCode.JSON_PARSER_ERROR, "Expected a JSON object with a 'records' list")
    if len(records) > MAX_RECORDS:
        return _too_many()
    upsert_key = (rest[0], rest[1]) if len(rest) == 2 and request.method == "PATCH" else None
    with api.org.lock:
        writes = [_plan(api.org, api.control, request.method, r, upsert_key) for r in records]
        results = _results(api.org, writes, all_or_none=all_or_none, upsert=upsert_key is not None)
    return Response.json(200, results)


def _too_many() -> Response:
    return error(
        400, ErrorCode.EXCEEDED_ID_LIMIT, "record limit reached. cannot submit more than 200 records into this call"
    )


def _retrieve(request: Request, version: str, sobject: str, api: RestApi) -> Response:
    obj = api.org.object(sobject)
    if obj is None:
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
    ids = [i for i in (request.param("ids") or "").split(",") if i]
    fields = request.param("fields")
    refusal = api.unknown_field(obj.name, fields)
    if refusal is not None:
        return refusal
    out: list[dict[str, Any] | None] = []
    for record_id in ids:
        record = api.org.get(obj.name, record_id)
        out.append(
            None if record is None or record.get("IsDeleted") else api.render_row(version, obj.name, record, fields)
        )
    return Response.json(200, out)
