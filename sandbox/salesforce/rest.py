"""REST API resources under ``/services/data/vXX.X/``: query, sObjects, describe, limits.

Query paging follows Salesforce: a first page of ``batchSize`` records (the
``Sforce-Query-Options: batchSize=N`` header, 200 to 2000, default 2000), then
``nextRecordsUrl`` (``/services/data/vXX.X/query/01g...-2000``) until ``done``. The
cursor holds the matching record IDs at query time; the rows are read when each page
is fetched, as Salesforce does.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.access import check_field_permission
from sandbox.salesforce.aggregates import aggregate_rows
from sandbox.salesforce.control import SalesforceControl
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.org import Org
from sandbox.salesforce.query import Plan, attributes, column_metadata, plan_query, render_json, run_plan
from sandbox.salesforce.replication import replication
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.wire import ErrorCode, error
from sandbox.salesforce.writes import commit, plan_delete, plan_insert, plan_update, plan_upsert

__all__ = ["Cursor", "RestApi", "entity_is_deleted", "query_error"]

DEFAULT_BATCH = 2000
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class Cursor:
    """A query's results held for paging."""

    plan: Plan
    ids: list[str]
    batch: int
    endpoint: str


def query_error(err: SoqlError) -> Response:
    """A SOQL error as Salesforce's 400 answer."""
    return error(400, err.code, err.message)


class RestApi:
    """Answers the REST resources for one org."""

    def __init__(self, org: Org, control: SalesforceControl) -> None:
        self.org = org
        self.control = control
        self._cursors: dict[str, Cursor] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    # ----- query -----

    def query(self, request: Request, version: str, rest: list[str], *, endpoint: str, org: Org) -> Response:
        """``query``/``queryAll``: run ``?q=`` or continue a cursor (``query/{locator}``)."""
        if request.method != "GET":
            return error(
                405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed. Allowed are GET"
            )
        if rest:
            return self._next_page(rest[0], version, org)
        text = request.param("q")
        if not text:
            return error(400, ErrorCode.MALFORMED_QUERY, "A query string has to be specified")
        columns_only = (request.param("columns") or "").lower() == "true"  # the selected columns, no rows
        try:
            with org.lock:
                plan = plan_query(org, text)
                run = aggregate_rows if plan.is_aggregate else run_plan
                rows = [] if columns_only else run(org, plan, include_deleted=endpoint == "queryAll")
        except SoqlError as err:
            return query_error(err)
        if columns_only:
            return Response.json(200, column_metadata(plan))
        if plan.query.count_only:
            return Response.json(200, {"totalSize": len(rows), "done": True, "records": []})
        if plan.is_aggregate:
            return Response.json(200, {"totalSize": len(rows), "done": True, "records": rows})
        cursor = Cursor(plan, [r["Id"] for r in rows], _batch_size(request), endpoint)
        return self._page(cursor, 0, version, org)

    def _next_page(self, locator: str, version: str, org: Org) -> Response:
        key, _, offset = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(key)
        if cursor is None or not offset.isdigit():
            return error(400, ErrorCode.INVALID_QUERY_LOCATOR, "invalid query locator")
        return self._page(cursor, int(offset), version, org)

    def _page(self, cursor: Cursor, start: int, version: str, org: Org) -> Response:
        end = min(start + cursor.batch, len(cursor.ids))
        with org.lock:
            records = []
            for record_id in cursor.ids[start:end]:
                record = org.get(cursor.plan.sobject.name, record_id)
                if record is not None:
                    records.append(render_json(org, cursor.plan, record, version))
        body: dict[str, Any] = {"totalSize": len(cursor.ids), "done": end >= len(cursor.ids)}
        if not body["done"]:
            key = make_id("01g", next(self._numbers))
            with self._lock:
                self._cursors[key] = cursor
            body["nextRecordsUrl"] = f"/services/data/v{version}/{cursor.endpoint}/{key}-{end}"
        body["records"] = records
        return Response.json(200, body)

    # ----- sObjects -----

    def describe_global(self, version: str) -> Response:
        """``GET sobjects``: every object's summary."""
        objects = [o.summary(version) for o in self.org.objects.values()]
        return Response.json(200, {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objects})

    def sobjects(self, request: Request, version: str, rest: list[str]) -> Response:
        """``sobjects/{name}[/describe | /updated | /deleted | /{id} | /{extField}/{value}]``."""
        obj = self.org.object(rest[0])
        if obj is None:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        tail = rest[1:]
        if not tail:
            if request.method == "POST":
                return self._create(request, obj.name)
            return Response.json(200, {"objectDescribe": obj.summary(version), "recentItems": []})
        if tail == ["describe"]:
            return Response.json(200, obj.describe(version))
        if tail in (["updated"], ["deleted"]):
            return replication(request, self.org, obj, tail[0])
        if len(tail) == 1:
            return self._row(request, version, obj.name, tail[0])
        if len(tail) == 2:
            return self._by_external_id(request, version, obj.name, tail[0], tail[1])
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")

    def _row(self, request: Request, version: str, sobject: str, record_id: str) -> Response:
        obj = self.org.objects[sobject]
        record = self.org.get(sobject, record_id)
        if record is not None and record.get("IsDeleted") and request.method in {"GET", "PATCH", "DELETE"}:
            return entity_is_deleted()
        if request.method == "GET":
            if record is None:
                return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
            return self._rendered(version, sobject, record, request.param("fields"))
        if request.method == "DELETE":
            return self._delete(obj, record_id)
        body = _json_object(request)
        if body is None:
            return error(400, ErrorCode.JSON_PARSER_ERROR, "The request body is not a JSON object")
        if request.method == "PATCH":
            refusal = (
                check_field_permission(self.org, body, record_id=record_id) if sobject == "FieldPermissions" else None
            )
            if refusal is not None:
                return refusal
            outcome = commit(self.org, plan_update(self.org, self.control, obj, record_id, body))
            if not outcome.success:
                return Response.json(400, [_rest_error(e) for e in outcome.errors])
            return Response.empty(204)
        return error(405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed.")

    def _delete(self, obj: ObjectDef, record_id: str) -> Response:
        """``DELETE sobjects/{name}/{id}``: to the recycle bin (``queryAll`` still sees it); 204."""
        record = self.org.get(obj.name, record_id)
        if record is None:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        outcome = commit(self.org, plan_delete(self.org, self.control, obj, record_id))
        if not outcome.success:
            return Response.json(400, [_rest_error(e) for e in outcome.errors])
        return Response.empty(204)

    def render_row(self, version: str, sobject: str, record: dict[str, Any], fields: str | None) -> dict[str, Any]:
        """A record as ``GET sobjects/{name}/{id}`` returns it (all fields, or ``?fields=a,b``).

        Unknown names in ``fields`` are skipped here; check them first with ``unknown_field``.
        """
        obj = self.org.objects[sobject]
        names = [f.strip() for f in fields.split(",")] if fields else list(obj.fields)
        out = attributes(sobject, record["Id"], version)
        for name in names:
            definition = obj.field(name)
            if definition is not None:
                out[definition.name] = self.org.json_value(sobject, record, definition)
        return out

    def unknown_field(self, sobject: str, fields: str | None) -> Response | None:
        """400 INVALID_FIELD for the first name in ``fields`` that ``sobject`` lacks (as the query it runs does)."""
        obj = self.org.objects[sobject]
        for name in (f.strip() for f in (fields or "").split(",") if f.strip()):
            if obj.field(name) is None:
                detail = (
                    f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom field, "
                    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
                    "describe call for the appropriate names."
                )
                return error(400, ErrorCode.INVALID_FIELD, detail)
        return None

    def _rendered(self, version: str, sobject: str, record: dict[str, Any], fields: str | None) -> Response:
        refusal = self.unknown_field(sobject, fields)
        return refusal or Response.json(200, self.render_row(version, sobject, record, fields))

    def _create(self, request: Request, sobject: str) -> Response:
        body = _json_object(request)
        if body is None:
            return error(400, ErrorCode.JSON_PARSER_ERROR, "The request body is not a JSON object")
        refusal = check_field_permission(self.org, body) if sobject == "FieldPermissions" else None
        if refusal is not None:
            return refusal
        outcome = commit(self.org, plan_insert(self.org, self.control, self.org.objects[sobject], body))
        if not outcome.success:
            return Response.json(400, [_rest_error(e) for e in outcome.errors])
        return Response.json(201, {"id": outcome.id, "success": True, "errors": []})

    def _by_external_id(self, request: Request, version: str, sobject: str, field: str, value: str) -> Response:
        obj = self.org.objects[sobject]
        definition = obj.field(field)
        if definition is None or not (definition.external_id or definition.name == "Id"):
            msg = f"Provided external ID field does not exist or is not accessible: {field}"
            return error(404, ErrorCode.NOT_FOUND, msg)
        if request.method == "GET":
            found = self.org.find_by(sobject, definition.name, value)
            if not found:
                return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
            return self._rendered(version, sobject, found[0], request.param("fields"))
        body = _json_object(request)
        if request.method != "PATCH" or body is None:
            return error(400, ErrorCode.JSON_PARSER_ERROR, "The request body is not a JSON object")
        outcome = commit(self.org, plan_upsert(self.org, self.control, obj, definition, value, body))
        if not outcome.success:
            return Response.json(400, [_rest_error(e) for e in outcome.errors])
        result: dict[str, Any] = {"id": outcome.id, "success": True, "errors": [], "created": outcome.created}
        return Response.json(201 if outcome.created else 200, result)

    # ----- limits and resources -----

    def limits(self) -> Response:
        """``GET limits``: the daily API request limit and a few others."""
        usage = self.control.usage
        return Response.json(
            200,
            {
                "DailyApiRequests": {"Max": usage.limit, "Remaining": max(0, usage.limit - usage.used)},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
            },
        )

    @staticmethod
    def resources(version: str) -> Response:
        """``GET /services/data/vXX.X/``: the resources of this version."""
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "composite", "limits", "tooling", "jobs")
        return Response.json(200, {name: f"{base}/{name}" for name in names})


def entity_is_deleted() -> Response:
    """404 ENTITY_IS_DELETED: a record in the recycle bin read, changed or deleted again."""
    return Response.json(404, [{"errorCode": ErrorCode.ENTITY_IS_DELETED.value, "message": "entity is deleted",
                                "fields": []}])  # fmt: skip


def _batch_size(request: Request) -> int:
    match = _BATCH_RE.search(request.header("Sforce-Query-Options") or "")
    if match is None:
        return DEFAULT_BATCH
    return max(200, min(DEFAULT_BATCH, int(match.group(1))))


def _json_object(request: Request) -> dict[str, Any] | None:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _rest_error(item: dict[str, Any]) -> dict[str, Any]:
    """A per-record error in the single-record REST form (``errorCode`` rather than ``statusCode``)."""
    return {"message": item["message"], "errorCode": item["statusCode"], "fields": item["fields"]}
