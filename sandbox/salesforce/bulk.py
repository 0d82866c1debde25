"""Bulk API 2.0: query jobs and ingest jobs under ``jobs/query`` and ``jobs/ingest``.

Query jobs run when created and answer ``JobComplete`` at the first status check.
A query Bulk 2.0 does not run (``COUNT()`` and other aggregates, ``GROUP BY``,
``OFFSET``) is refused at creation: 400 ``API_ERROR``, no job.
Results are CSV (every value quoted), paged by ``maxRecords`` and ``locator``; the
response headers ``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (``null`` on the
last page) say how to go on. Ingest jobs take CSV with ``PUT .../batches``, run on
``PATCH {"state": "UploadComplete"}`` and report ``successfulResults`` (``sf__Id``,
``sf__Created``), ``failedResults`` (``sf__Id``, ``sf__Error`` as
``CODE:message:fields --``) and ``unprocessedrecords`` (rows of an aborted job).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sandbox.common.http import Request, Response
from sandbox.salesforce.control import SalesforceControl
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.org import INTEGRATION_USER_ID, Org, format_datetime
from sandbox.salesforce.query import Plan, column_value, plan_query, run_plan
from sandbox.salesforce.rest import query_error
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.wire import ErrorCode, error
from sandbox.salesforce.writes import Write, commit, plan_delete, plan_insert, plan_update, plan_upsert

__all__ = ["BulkApi", "JobBook", "plan_row", "unsupported_query", "wire_csv"]

_DELIMITERS = {"COMMA": ",", "TAB": "\t", "SEMICOLON": ";", "PIPE": "|", "CARET": "^", "BACKQUOTE": "`"}
_CSV = "text/csv;charset=UTF-8"


@dataclass
class _Job:
    info: dict[str, Any]
    plan: Plan | None = None
    ids: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    success: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    unprocessed: list[dict[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def wire_csv(value: Any) -> str:
    """A value as a Bulk API CSV cell (empty for null; datetimes in UTC with ``Z``)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value).replace("+0000", "Z")
    if isinstance(value, dict):
        return ""  # compound fields are not returned by Bulk 2.0 queries
    return str(value.isoformat() if hasattr(value, "isoformat") else value)


def unsupported_query(plan: Plan, api: str = "Bulk API 2.0") -> str | None:
    """Why the Bulk API refuses ``plan`` (aggregates, GROUP BY, OFFSET), or None when it runs it."""
    if plan.query.count_only or plan.query.aggregates:
        return f"Aggregate queries are not supported by {api} query jobs: remove COUNT(), MAX() and the like"
    if plan.query.group_by:
        return f"GROUP BY is not supported by {api} query jobs"
    if plan.query.offset is not None:
        return f"OFFSET is not supported by {api} query jobs"
    return None


JobT = TypeVar("JobT")


class JobBook(Generic[JobT]):
    """What a Bulk API keeps of one org: its jobs by ID (under a lock) and the counter their IDs come from."""

    def __init__(self, org: Org, control: SalesforceControl) -> None:
        self.org = org
        self.control = control
        self._jobs: dict[str, JobT] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)


class BulkApi(JobBook[_Job]):
    """Bulk 2.0 jobs of one org."""

    def handle(self, request: Request, version: str, rest: list[str]) -> Response:
        """Answer ``jobs/query...`` and ``jobs/ingest...``."""
        kind, tail = rest[0], rest[1:]
        if kind not in {"query", "ingest"}:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        if not tail:
            if request.method == "POST":
                return (
                    self._create_query(request, version) if kind == "query" else self._create_ingest(request, version)
                )
            return self._list(kind)
        with self._lock:
            job = self._jobs.get(tail[0])
        if job is None or job.info["jobType"] != ("V2Query" if kind == "query" else "V2Ingest"):
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        return self._job_action(request, job, tail[1:])

    def _job_action(self, request: Request, job: _Job, tail: list[str]) -> Response:
        action = tail[0].lower() if tail else ""
        if not action:
            if request.method == "DELETE":
                with self._lock:
                    self._jobs.pop(job.info["id"], None)
                return Response.empty(204)
            if request.method == "PATCH":
                return self._set_state(request, job)
            return Response.json(200, job.info)
        if action == "results":
            return self._query_results(request, job)
        if action == "batches" and request.method == "PUT":
            return self._upload(request, job)
        results = {
            "successfulresults": (["sf__Id", "sf__Created"], job.success),
            "failedresults": (["sf__Id", "sf__Error"], job.failed),
            "unprocessedrecords": ([], job.unprocessed),
        }
        if action in results:
            lead, rows = results[action]
            return self._ingest_results(job, lead, rows)
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")

    def _new_info(self, version: str, body: dict[str, Any], job_type: str, sobject: str) -> dict[str, Any]:
        now = format_datetime(datetime.now(UTC))
        return {
            "id": make_id("750", next(self._numbers)),
            "operation": body.get("operation"),
            "object": sobject,
            "createdById": INTEGRATION_USER_ID,
            "createdDate": now,
            "systemModstamp": now,
            "state": "Open",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "lineEnding": body.get("lineEnding", "LF"),
            "columnDelimiter": body.get("columnDelimiter", "COMMA"),
            "jobType": job_type,
            "numberRecordsProcessed": 0,
            "retries": 0,
            "totalProcessingTime": 0,
        }

    def _create_query(self, request: Request, version: str) -> Response:
        try:
            body = request.json()
            operation, text = body["operation"], body["query"]
        except (ValueError, KeyError, TypeError):
            return error(400, ErrorCode.INVALIDJOB, "Expected a JSON body with operation and query")
        if operation not in {"query", "queryAll"} or body.get("columnDelimiter", "COMMA") not in _DELIMITERS:
            return error(400, ErrorCode.INVALIDJOB, f"Invalid operation or delimiter: {operation!r}")
        try:
            with self.org.lock:
                plan = plan_query(self.org, text)
                unsupported = unsupported_query(plan)
                if unsupported:
                    return error(400, ErrorCode.API_ERROR, unsupported)
                rows = run_plan(self.org, plan, include_deleted=operation == "queryAll")
        except SoqlError as err:
            return query_error(err)
        job = _Job(self._new_info(version, body, "V2Query", plan.sobject.name), plan=plan, ids=[r["Id"] for r in rows])
        job.info["state"] = "UploadComplete"
        with self._lock:
            self._jobs[job.info["id"]] = job
        created = {
            k: v
            for k, v in job.info.items()
            if k not in {"jobType", "numberRecordsProcessed", "retries", "totalProcessingTime"}
        }
        job.info |= {"state": "JobComplete", "numberRecordsProcessed": len(job.ids)}
        return Response.json(200, created)

    def _query_results(self, request: Request, job: _Job) -> Response:
        if job.plan is None:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        try:
            start = _decode_locator(request.param("locator"))
            limit = int(request.param("maxRecords") or len(job.ids) or 1)
        except ValueError:
            return error(400, ErrorCode.INVALIDJOB, "Invalid locator or maxRecords")
        end = min(len(job.ids), start + max(1, limit))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=_DELIMITERS[job.info["columnDelimiter"]], quoting=csv.QUOTE_ALL,
                            lineterminator="\r\n" if job.info["lineEnding"] == "CRLF" else "\n")  # fmt: skip
        writer.writerow([c.text for c in job.plan.columns])
        with self.org.lock:
            for record_id in job.ids[start:end]:
                record = self.org.get(job.plan.sobject.name, record_id)
                if record is not None:
                    writer.writerow([wire_csv(column_value(self.org, c, record)) for c in job.plan.columns])
        locator = _encode_locator(end) if end < len(job.ids) else "null"
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(end - start)}
        return Response.text(200, out.getvalue(), content_type=_CSV, headers=headers)

    def _list(self, kind: str) -> Response:
        job_type = "V2Query" if kind == "query" else "V2Ingest"
        with self._lock:
            infos = [j.info for j in self._jobs.values() if j.info["jobType"] == job_type]
        return Response.json(200, {"done": True, "records": infos, "nextRecordsUrl": None})

    def _create_ingest(self, request: Request, version: str) -> Response:
        try:
            body = request.json()
            operation, sobject = body["operation"], body["object"]
        except (ValueError, KeyError, TypeError):
            return error(400, ErrorCode.INVALIDJOB, "Expected a JSON body with object and operation")
        obj = self.org.object(str(sobject))
        if obj is None:
            return error(400, ErrorCode.INVALIDJOB, f"Unable to find object: {sobject}")
        if operation not in {"insert", "update", "upsert", "delete", "hardDelete"}:
            return error(400, ErrorCode.INVALIDJOB, f"Invalid operation: {operation}")
        if operation == "upsert" and not (obj.field(str(body.get("externalIdFieldName", ""))) or None):
            return error(400, ErrorCode.INVALIDJOB, "externalIdFieldName is required for upsert")
        info = self._new_info(version, body, "V2Ingest", obj.name)
        info |= {"contentUrl": f"services/data/v{version}/jobs/ingest/{info['id']}/batches", "numberRecordsFailed": 0}
        if operation == "upsert":
            info["externalIdFieldName"] = body["externalIdFieldName"]
        with self._lock:
            self._jobs[info["id"]] = _Job(info)
        return Response.json(200, info)

    def _upload(self, request: Request, job: _Job) -> Response:
        if job.info["state"] != "Open":
            return error(
                409, "INVALIDJOBSTATE", f"Job state is {job.info['state']}; data can only be added to Open jobs"
            )
        job.data.append(request.body.decode("utf-8-sig"))
        return Response.empty(201)

    def _set_state(self, request: Request, job: _Job) -> Response:
        try:
            state = request.json()["state"]
        except (ValueError, KeyError, TypeError):
            return error(400, ErrorCode.INVALIDJOB, "Expected a JSON body with state")
        if state == "Aborted":
            job.info["state"] = "Aborted"
            if job.info["jobType"] == "V2Ingest":
                job.unprocessed = self._rows(job)
            return Response.json(200, job.info)
        if state != "UploadComplete" or job.info["state"] != "Open":
            return error(400, "INVALIDJOBSTATE", f"Cannot change state from {job.info['state']} to {state}")
        job.info["state"] = "UploadComplete"
        response = Response.json(200, dict(job.info))
        self._process(job)
        return response

    def _rows(self, job: _Job) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = []
        delimiter = _DELIMITERS.get(job.info["columnDelimiter"], ",")
        for chunk in job.data:
            reader = csv.DictReader(io.StringIO(chunk), delimiter=delimiter)
            job.columns = job.columns or list(reader.fieldnames or [])
            rows.extend(reader)
        return rows

    def _plan_row(self, job: _Job, row: dict[str, str]) -> Write:
        values: dict[str, Any] = {k: (None if v == "#N/A" else v) for k, v in row.items() if v != ""}
        return plan_row(self.org, self.control, job.info, values, row)

    def _process(self, job: _Job) -> None:
        rows = self._rows(job)
        with self.org.lock:
            for row in rows:
                outcome = commit(self.org, self._plan_row(job, row))
                if outcome.success:
                    job.success.append({"sf__Id": outcome.id or "", "sf__Created": str(outcome.created).lower()} | row)
                else:
                    first = outcome.errors[0]  # Salesforce reports the first error of a row
                    text = f"{first['statusCode']}:{first['message']}:{','.join(first['fields'])} --"
                    job.failed.append({"sf__Id": row.get("Id", ""), "sf__Error": text} | row)
        job.info |= {
            "state": "JobComplete",
            "numberRecordsProcessed": len(rows),
            "numberRecordsFailed": len(job.failed),
            "apiActiveProcessingTime": 1,
            "apexProcessingTime": 0,
        }

    def _ingest_results(self, job: _Job, lead: list[str], rows: list[dict[str, str]]) -> Response:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=lead + job.columns, quoting=csv.QUOTE_ALL, lineterminator="\n",
                                extrasaction="ignore")  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
        return Response.text(200, out.getvalue(), content_type=_CSV)


def plan_row(
    org: Org, control: SalesforceControl, job: dict[str, Any], values: dict[str, Any], row: Mapping[str, Any]
) -> Write:
    """One row of a Bulk API ingest job (``job``: its info) as a checked write.

    ``values`` are the row's field values as written; ``row`` is the row as sent, which names
    the record to delete (``Id``) or to upsert (the job's external ID field).
    """
    obj = org.objects[job["object"]]
    operation = job["operation"]
    if operation in {"delete", "hardDelete"}:
        return plan_delete(org, control, obj, str(row.get("Id", "")))
    if operation == "update":
        return plan_update(org, control, obj, str(values.pop("Id", "")), values)
    if operation == "upsert":
        ext = obj.field(job["externalIdFieldName"])
        assert ext is not None  # checked when the job was created
        return plan_upsert(org, control, obj, ext, str(row.get(ext.name, "")), values)
    return plan_insert(org, control, obj, values)


def _encode_locator(offset: int) -> str:
    """A result locator as Salesforce sends it: base64 of the offset, ``=`` padding stripped."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _decode_locator(locator: str | None) -> int:
    """The offset a locator stands for (0 when absent); restores the stripped padding.

    Raises:
        ValueError: Not a locator this sandbox issued.
    """
    if not locator:
        return 0
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode())
    except (binascii.Error, UnicodeDecodeError) as err:
        raise ValueError(str(err)) from err
