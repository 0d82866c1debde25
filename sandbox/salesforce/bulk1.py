"""Bulk API 1.0 (``/services/async/{version}/``): jobs of batches, in JSON or CSV.

Routes::

    POST job                                 {operation, object, contentType, concurrencyMode,
                                             externalIdFieldName}: the jobInfo, state Open
    GET  job/{jobId}                         the jobInfo with its batch and record counts
    POST job/{jobId}                         {"state": "Closed"} or {"state": "Aborted"}
    POST job/{jobId}/batch                   ingest: the records (a JSON array, or CSV with a header
                                             row), at most 10,000; query: the SOQL as plain text
    GET  job/{jobId}/batch                   {"batchInfo": [...]}
    GET  job/{jobId}/batch/{batchId}         the batchInfo
    GET  job/{jobId}/batch/{batchId}/request the records the batch was given
    GET  job/{jobId}/batch/{batchId}/result  ingest: one result per record, in order (JSON
                                             ``success``/``created``/``id``/``errors``; CSV ``Id``,
                                             ``Success``, ``Created``, ``Error``); query: result IDs
    GET  job/{jobId}/batch/{batchId}/result/{resultId}   a query's records

As the Bulk API Developer Guide describes: the session ID goes in ``X-SFDC-Session`` (a
missing or expired one is 400 ``InvalidSessionId``); errors are ``{"exceptionCode",
"exceptionMessage"}`` (JSON jobs and requests) with status 400, or 404 ``InvalidUrl`` for an
unknown path; a batch added to a job that is not Open is 400 ``InvalidJobState``; a batch of
more than 10,000 records is refused (``InvalidBatch``). Contactpoint itself uses Bulk API 2.0
(``sandbox.salesforce.bulk``); this is for vendor clients such as simple-salesforce's
``sf.bulk``.

A batch is processed when it is added: its answer says ``Queued``, and it reads
``Completed`` (or ``Failed``, with ``stateMessage``, for a query Salesforce refuses) from
then on. In a JSON query result, date and datetime fields are milliseconds since the epoch,
as the Bulk API returns them in JSON; other values are as the REST API gives them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.bulk import JobBook, plan_row, unsupported_query, wire_csv
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.org import INTEGRATION_USER_ID, format_datetime
from sandbox.salesforce.query import Plan, column_value, plan_query, render_json, run_plan
from sandbox.salesforce.schema import FieldType
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.writes import Write, commit

__all__ = ["BATCH_LIMIT", "BulkV1Api"]

BATCH_LIMIT = 10_000
"""Records a batch may hold (Bulk API limits: "A batch can contain a maximum of 10,000 records")."""
_OPERATIONS = {"insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll"}
_CONTENT_TYPES = {"JSON", "CSV"}
_CONCURRENCY = {"0": "Parallel", "1": "Serial", "parallel": "Parallel", "serial": "Serial"}


def failure(code: str, message: str, status: int = 400) -> Response:
    """Bulk API 1.0's error body (its JSON form)."""
    return Response.json(status, {"exceptionCode": code, "exceptionMessage": message})


@dataclass
class _Batch:
    info: dict[str, Any]
    request: Any
    results: list[dict[str, Any]] = field(default_factory=list)
    plan: Plan | None = None
    ids: list[str] = field(default_factory=list)


@dataclass
class _Job:
    info: dict[str, Any]
    batches: dict[str, _Batch] = field(default_factory=dict)


def _result_id(batch: _Batch) -> str:
    """The ID of a query batch's one result: the batch's, under the result key prefix (752)."""
    return f"752{batch.info['id'][3:]}"


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, date):
        return int(datetime.combine(value, time(), UTC).timestamp() * 1000)
    return value


class BulkV1Api(JobBook[_Job]):
    """The Bulk API 1.0 jobs of one org."""

    def handle(self, request: Request, version: str, rest: list[str]) -> Response:
        """Answer ``job...`` under ``/services/async/{version}/`` (the session is checked already)."""
        if rest == ["job"] and request.method == "POST":
            return self._create(request, version)
        if len(rest) < 2 or rest[0] != "job":
            return failure("InvalidUrl", "unknown path", 404)
        with self._lock:
            job = self._jobs.get(rest[1])
        if job is None:
            return failure("InvalidJob", f"Invalid job id: {rest[1]}")
        tail = rest[2:]
        if not tail:
            return self._set_state(request, job) if request.method == "POST" else self._info(job)
        if tail == ["batch"]:
            return self._add(request, job, version) if request.method == "POST" else self._batches(job)
        batch = job.batches.get(tail[1]) if len(tail) > 1 and tail[0] == "batch" else None
        if batch is None:
            return failure("InvalidBatch", f"Invalid batch id: {tail[1] if len(tail) > 1 else ''}")
        return self._batch_part(job, batch, tail[2:], version)

    def _batch_part(self, job: _Job, batch: _Batch, tail: list[str], version: str) -> Response:
        if not tail:
            return Response.json(200, batch.info)
        if tail == ["request"]:
            return self._body(job, batch.request)
        if tail == ["result"]:
            if batch.plan is not None:
                return Response.json(200, [_result_id(batch)] if batch.info["state"] == "Completed" else [])
            return self._body(job, batch.results)
        if len(tail) == 2 and tail[0] == "result" and batch.plan is not None and tail[1] == _result_id(batch):
            return self._query_result(job, batch, version)
        return failure("InvalidUrl", "unknown path", 404)

    # -- jobs ------------------------------------------------------------------------------------

    def _create(self, request: Request, version: str) -> Response:
        try:
            body = request.json()
            operation, sobject = str(body["operation"]), str(body["object"])
        except (ValueError, KeyError, TypeError):
            return failure("InvalidJob", "Expected a job with operation and object")
        content = str(body.get("contentType") or "CSV").upper()
        if operation not in _OPERATIONS:
            return failure("InvalidJob", f"Invalid operation: {operation}")
        if content not in _CONTENT_TYPES:
            return failure("InvalidJob", f"The sandbox takes JSON and CSV jobs, not {content}")
        obj = self.org.object(sobject)
        if obj is None:
            return failure("InvalidJob", f"Unable to find object: {sobject}")
        external = str(body.get("externalIdFieldName") or "")
        if operation == "upsert" and obj.field(external) is None:
            return failure("InvalidJob", f"External ID was blank or not a field of {obj.name}: {external}")
        now = format_datetime(datetime.now(UTC))
        info: dict[str, Any] = {
            "id": make_id("750", next(self._numbers)), "operation": operation, "object": obj.name,
            "createdById": INTEGRATION_USER_ID, "createdDate": now, "systemModstamp": now, "state": "Open",
            "concurrencyMode": _CONCURRENCY.get(str(body.get("concurrencyMode", "Parallel")).lower(), "Parallel"),
            "contentType": content, "apiVersion": float(version), "numberBatchesQueued": 0,
            "numberBatchesInProgress": 0, "numberBatchesCompleted": 0, "numberBatchesFailed": 0,
            "numberBatchesTotal": 0, "numberRecordsProcessed": 0, "numberRetries": 0, "numberRecordsFailed": 0,
            "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
        }  # fmt: skip
        if operation == "upsert":
            info["externalIdFieldName"] = external
        with self._lock:
            self._jobs[info["id"]] = _Job(info)
        return Response.json(201, info)

    def _info(self, job: _Job) -> Response:
        batches = [b.info for b in job.batches.values()]
        job.info |= {
            "numberBatchesCompleted": sum(1 for b in batches if b["state"] == "Completed"),
            "numberBatchesFailed": sum(1 for b in batches if b["state"] == "Failed"),
            "numberBatchesTotal": len(batches),
            "numberRecordsProcessed": sum(b["numberRecordsProcessed"] for b in batches),
            "numberRecordsFailed": sum(b["numberRecordsFailed"] for b in batches),
        }
        return Response.json(200, job.info)

    def _set_state(self, request: Request, job: _Job) -> Response:
        try:
            state = request.json()["state"]
        except (ValueError, KeyError, TypeError):
            return failure("InvalidJob", "Expected a job with state")
        if state not in {"Closed", "Aborted"}:
            return failure("InvalidJob", f"Invalid state: {state}")
        if job.info["state"] != "Open" and not (state == "Aborted" and job.info["state"] == "Closed"):
            return failure("InvalidJobState", f"Job {job.info['id']} is {job.info['state']}; it cannot be {state}")
        job.info |= {"state": state, "systemModstamp": format_datetime(datetime.now(UTC))}
        return self._info(job)

    def _batches(self, job: _Job) -> Response:
        return Response.json(200, {"batchInfo": [b.info for b in job.batches.values()]})

    # -- batches ---------------------------------------------------------------------------------

    def _add(self, request: Request, job: _Job, version: str) -> Response:
        if job.info["state"] != "Open":
            return failure("InvalidJobState", f"Job {job.info['id']} is not open: {job.info['state']}")
        text = request.body.decode("utf-8-sig")
        now = format_datetime(datetime.now(UTC))
        info: dict[str, Any] = {
            "id": make_id("751", next(self._numbers)), "jobId": job.info["id"], "state": "Queued",
            "createdDate": now, "systemModstamp": now, "numberRecordsProcessed": 0, "numberRecordsFailed": 0,
            "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
        }  # fmt: skip
        answer = Response.json(201, dict(info))  # as added, before it runs
        if job.info["operation"] in {"query", "queryAll"}:
            batch = _Batch(info, text)
            self._query(job, batch, text)
        else:
            records = self._records(job, text)
            if isinstance(records, Response):
                return records
            batch = _Batch(info, records)
            self._ingest(job, batch, records)
        job.batches[info["id"]] = batch
        return answer

    def _records(self, job: _Job, text: str) -> list[dict[str, Any]] | Response:
        if job.info["contentType"] == "JSON":
            try:
                records = json.loads(text)
            except ValueError as err:
                return failure("InvalidBatch", f"Failed to parse JSON: {err}")
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                return failure("InvalidBatch", "A JSON batch is an array of records")
        else:
            records = [dict(row) for row in csv.DictReader(io.StringIO(text))]
        if len(records) > BATCH_LIMIT:
            return failure("InvalidBatch", f"Records in a batch: {len(records)} exceeds {BATCH_LIMIT}")
        return records

    def _plan(self, job: _Job, record: dict[str, Any]) -> Write:
        values: dict[str, Any] = {k: v for k, v in record.items() if k != "attributes"}
        if job.info["contentType"] == "CSV":
            values = {k: (None if v == "#N/A" else v) for k, v in values.items() if v != ""}
        return plan_row(self.org, self.control, job.info, values, record)

    def _ingest(self, job: _Job, batch: _Batch, records: list[dict[str, Any]]) -> None:
        with self.org.lock:
            for record in records:
                outcome = commit(self.org, self._plan(job, record))
                errors = [{"statusCode": e["statusCode"], "message": e["message"], "fields": e["fields"]}
                          for e in outcome.errors]  # fmt: skip
                batch.results.append({"success": outcome.success, "created": outcome.created,
                                      "id": outcome.id, "errors": errors})  # fmt: skip
        failed = sum(1 for r in batch.results if not r["success"])
        batch.info |= {"state": "Completed", "numberRecordsProcessed": len(records), "numberRecordsFailed": failed}

    def _query(self, job: _Job, batch: _Batch, text: str) -> None:
        try:
            with self.org.lock:
                plan = plan_query(self.org, text.strip())
                refused = unsupported_query(plan, "Bulk API") or (
                    None if plan.sobject.name == job.info["object"]
                    else f"the query is of {plan.sobject.name}; the job is of {job.info['object']}"
                )  # fmt: skip
                rows = [] if refused else run_plan(self.org, plan, include_deleted=job.info["operation"] == "queryAll")
        except SoqlError as err:
            refused = f"Failed to process query: {err.code}: {err.message}"
        if refused:
            batch.info |= {"state": "Failed", "stateMessage": f"InvalidBatch : {refused}"}
            return
        batch.plan, batch.ids = plan, [r["Id"] for r in rows]
        batch.info |= {"state": "Completed", "numberRecordsProcessed": len(rows)}

    def _query_result(self, job: _Job, batch: _Batch, version: str) -> Response:
        plan = batch.plan
        assert plan is not None
        with self.org.lock:
            found = [r for i in batch.ids if (r := self.org.get(plan.sobject.name, i)) is not None]
            if job.info["contentType"] == "CSV":
                out = io.StringIO()
                writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
                writer.writerow([c.text for c in plan.columns])
                writer.writerows([wire_csv(column_value(self.org, c, r)) for c in plan.columns] for r in found)
                return Response.text(200, out.getvalue(), content_type="text/csv;charset=UTF-8")
            rendered = []
            for record in found:
                one = render_json(self.org, plan, record, version)
                for column in plan.columns:
                    if not column.hops and column.field.type in {FieldType.DATE, FieldType.DATETIME}:
                        one[column.field.name] = _epoch_ms(column_value(self.org, column, record))
                rendered.append(one)
        return Response.json(200, rendered)

    def _body(self, job: _Job, rows: list[dict[str, Any]]) -> Response:
        """Records or results in the job's content type."""
        if job.info["contentType"] == "JSON":
            return Response.json(200, rows)
        out = io.StringIO()
        if rows and "success" in rows[0]:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
            writer.writerow(["Id", "Success", "Created", "Error"])
            for r in rows:
                error = ":".join((r["errors"][0]["statusCode"], r["errors"][0]["message"])) if r["errors"] else ""
                writer.writerow([r["id"] or "", str(r["success"]).lower(), str(r["created"]).lower(), error])
        elif rows:
            dict_writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\n")
            dict_writer.writeheader()
            dict_writer.writerows(rows)
        return Response.text(200, out.getvalue(), content_type="text/csv;charset=UTF-8")
