"""The CRM objects API v3 for contacts and companies: basic, batch and merge.

    GET    /crm/v3/objects/{object}                 list (limit <= 100, after, properties, archived)
    POST   /crm/v3/objects/{object}                 create (201; 409 CONFLICT for a contact email in use)
    GET    /crm/v3/objects/{object}/{id}            read (idProperty, archived; 404)
    PATCH  /crm/v3/objects/{object}/{id}            update
    DELETE /crm/v3/objects/{object}/{id}            archive (204)
    POST   /crm/v3/objects/{object}/batch/{read|create|update|upsert|archive}   <= 100 inputs
    POST   /crm/v3/objects/{object}/merge           {primaryObjectId, objectIdToMerge}; the merged ID
                                                    then reads (and writes) the primary, and is not archived

Batch writes check every input first: invalid property values fail the whole batch
(400 VALIDATION_ERROR, as HubSpot does); inputs naming no record (or a record the
``fail_records`` fault names) are left out and listed in ``errors`` with a 207.
Results come back in no particular order (HubSpot promises none either).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.records import check_properties, problem_details, problems_message, render, requested_properties
from sandbox.hubspot.wire import Category, error, iso, standard_error

__all__ = ["ObjectsApi"]

MAX_BATCH = 100
MAX_LIST = 100


def _not_found() -> Response:
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")


def _invalid(message: str) -> Response:
    return error(400, Category.VALIDATION_ERROR, message)


def _batch_body(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "requestedAt": iso(started),
                            "startedAt": iso(started), "completedAt": iso(datetime.now(UTC)), "links": {}}  # fmt: skip
    if errors:
        body |= {"numErrors": len(errors), "errors": errors}
    return body


class ObjectsApi:
    """Contacts and companies over HTTP; see the module docstring."""

    def __init__(self, portal: Portal, failing: set[str]) -> None:
        self.portal = portal
        self.failing = failing

    def handle(self, request: Request, obj: str, rest: list[str]) -> Response:
        """Route one ``/crm/v3/objects/{object}/...`` request."""
        method = request.method
        if not rest and method == "GET":
            return self.list_records(request, obj)
        if not rest and method == "POST":
            return self.create(request, obj)
        if rest[0] == "batch" and len(rest) == 2 and method == "POST":
            return self.batch(request, obj, rest[1])
        if rest == ["merge"] and method == "POST":
            return self.merge(request, obj)
        if len(rest) == 1 and rest[0] not in {"search", "batch", "merge"}:
            return self.one(request, obj, unquote(rest[0]))
        return _not_found()

    def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return _invalid("Invalid input JSON on line 1: the body is not JSON")
        return body if isinstance(body, dict) else _invalid("Invalid input JSON: expected an object")

    # -- basic --------------------------------------------------------------------------------

    def list_records(self, request: Request, obj: str) -> Response:
        """``GET /crm/v3/objects/{object}``: pages in ID order; ``after`` is the next ID to read."""
        try:
            limit = int(request.param("limit") or 10)
            after = int(request.param("after") or 0)
        except ValueError:
            return _invalid("limit and after must be whole numbers")
        if not 1 <= limit <= MAX_LIST:
            return _invalid(f"limit must be between 1 and {MAX_LIST}, got {limit}")
        archived = (request.param("archived") or "false").lower() == "true"
        with self.portal.lock:
            rows = [r for r in self.portal.sorted(obj)
                    if r.archived == archived and not r.merged_into and int(r.id) >= after]  # fmt: skip
            page = rows[:limit]
            props = requested_properties(request)
            body: dict[str, Any] = {"results": [render(self.portal, obj, r, props) for r in page]}
        if len(rows) > limit:
            nxt = str(int(page[-1].id) + 1)
            body["paging"] = {"next": {"after": nxt, "link": f"{request.path}?after={nxt}"}}
        return Response.json(200, body)

    def create(self, request: Request, obj: str) -> Response:
        """``POST /crm/v3/objects/{object}``."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        with self.portal.lock:
            clean, problems = check_properties(self.portal, obj, body.get("properties") or {})
            if problems:
                return error(
                    400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems)
                )
            existing = (
                self.portal.find(obj, "email", clean["email"]) if obj == "contacts" and clean.get("email") else None
            )
            if existing is not None:
                return error(409, Category.CONFLICT, f"Contact already exists. Existing ID: {existing.id}")
            record = self._insert(obj, clean)
            return Response.json(201, render(self.portal, obj, record, list(clean) or None))

    def _insert(self, obj: str, props: dict[str, str]) -> HubRecord:
        now = self.portal.now()
        record = HubRecord(self.portal.new_id(), {}, now, now)
        self.portal.add(obj, record)
        self.portal.update(obj, record, props)
        return record

    def _lookup(self, request: Request, obj: str, key: str) -> HubRecord | None:
        archived = (request.param("archived") or "false").lower() == "true"
        id_property = request.param("idProperty")
        if id_property:
            return self.portal.find(obj, id_property, key, archived=archived)
        return self.portal.get(obj, key, archived=archived)

    def one(self, request: Request, obj: str, key: str) -> Response:
        """``GET``, ``PATCH`` or ``DELETE`` one record."""
        with self.portal.lock:
            record = self._lookup(request, obj, key)
            if record is None:
                return _not_found()
            if request.method == "GET":
                return Response.json(200, render(self.portal, obj, record, requested_properties(request)))
            if request.method == "DELETE":
                self.portal.archive(record)
                return Response.empty(204)
            if request.method != "PATCH":
                return _not_found()
            body = self._body(request)
            if isinstance(body, Response):
                return body
            clean, problems = check_properties(self.portal, obj, body.get("properties") or {})
            if problems:
                return error(
                    400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems)
                )
            self.portal.update(obj, record, clean)
            return Response.json(200, render(self.portal, obj, record, list(clean) or None))

    def merge(self, request: Request, obj: str) -> Response:
        """``POST /crm/v3/objects/{object}/merge``: the primary keeps its ID; the other is archived."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        with self.portal.lock:
            primary = self.portal.get(obj, str(body.get("primaryObjectId", "")))
            other = self.portal.get(obj, str(body.get("objectIdToMerge", "")))
            if primary is None or other is None or primary is other:
                return _invalid("primaryObjectId and objectIdToMerge must name two different live records")
            self.portal.merge(primary, other)
            return Response.json(200, render(self.portal, obj, primary, None))

    # -- batch --------------------------------------------------------------------------------

    def batch(self, request: Request, obj: str, verb: str) -> Response:
        """``POST /crm/v3/objects/{object}/batch/{verb}``."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            return _invalid("inputs must be a list of objects")
        if len(inputs) > MAX_BATCH:
            return _invalid(f"Batch input is limited to {MAX_BATCH} inputs, got {len(inputs)}")
        keys = [str(i.get("id", "")).strip().lower() for i in inputs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice and verb in {"update", "upsert", "read"}:
            return _invalid(f"Duplicate IDs found in batch input: {twice}. IDs must be unique")
        handler = {"read": self._read, "update": self._update, "upsert": self._upsert, "create": self._create,
                   "archive": self._archive}.get(verb)  # fmt: skip
        if handler is None:
            return _not_found()
        started = datetime.now(UTC)
        with self.portal.lock:
            return handler(obj, body, inputs, started)

    def _answer(
        self, results: list[dict[str, Any]], errors: list[dict[str, Any]], started: datetime, ok: int
    ) -> Response:
        return Response.json(207 if errors else ok, _batch_body(results, errors, started))

    def _read(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        props = body.get("properties") or None
        id_property = body.get("idProperty")
        results, missing = [], []
        for item in inputs:
            key = str(item.get("id", ""))
            record = self.portal.find(obj, id_property, key) if id_property else self.portal.get(obj, key)
            if record is None:
                missing.append(key)
            else:
                results.append(render(self.portal, obj, record, props))
        errors = [standard_error("OBJECT_NOT_FOUND", f"Could not get some {obj} objects, they may be deleted or not exist.", ids=missing)] if missing else []  # fmt: skip
        return self._answer(results, errors, started, 200)

    def _checked(self, obj: str, inputs: list[dict[str, Any]]) -> list[dict[str, str]] | Response:
        cleaned, problems = [], []
        for item in inputs:
            clean, found = check_properties(self.portal, obj, item.get("properties") or {})
            cleaned.append(clean)
            problems.extend(found)
        if problems:
            return error(400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems))
        return cleaned

    def _update(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        cleaned = self._checked(obj, inputs)
        if isinstance(cleaned, Response):
            return cleaned
        results, missing, refused = [], [], []
        for item, clean in zip(inputs, cleaned, strict=True):
            key = str(item.get("id", ""))
            id_property = item.get("idProperty")
            record = self.portal.find(obj, id_property, key) if id_property else self.portal.get(obj, key)
            if record is None:
                missing.append(key)
            elif record.id.lower() in self.failing:
                refused.append(key)
            else:
                self.portal.update(obj, record, clean)
                results.append(render(self.portal, obj, record, list(clean) or None))
        errors = self._errors(obj, missing, refused)
        return self._answer(results, errors, started, 200)

    def _errors(self, obj: str, missing: list[str], refused: list[str]) -> list[dict[str, Any]]:
        errors = []
        if missing:
            errors.append(standard_error("OBJECT_NOT_FOUND", f"Could not update some {obj}, they may be deleted or not exist.", ids=missing))  # fmt: skip
        for key in refused:
            message = f"Record {key} was refused by a validation rule of this portal"
            errors.append(
                standard_error(Category.VALIDATION_ERROR, message, ids=[key], sub_category="crm.validation.rule")
            )
        return errors

    def _upsert(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        for item in inputs:
            id_property = item.get("idProperty")
            prop = self.portal.schemas[obj].live(str(id_property or ""))
            if prop is None or not prop.unique:
                return _invalid(f"idProperty {id_property!r} is not a unique property of {obj}")
        cleaned = self._checked(obj, inputs)
        if isinstance(cleaned, Response):
            return cleaned
        results, refused = [], []
        for item, clean in zip(inputs, cleaned, strict=True):
            key, id_property = str(item.get("id", "")).strip(), str(item["idProperty"])
            if key.lower() in self.failing or (id_property == "email" and "@" not in key):
                refused.append(key)
                continue
            record = self.portal.find(obj, id_property, key)
            created = record is None
            values = {**clean, id_property: key.lower() if id_property == "email" else key}
            if record is None:
                record = self._insert(obj, values)
            else:
                self.portal.update(obj, record, values)
            results.append(render(self.portal, obj, record, list(values)) | {"new": created})
        return self._answer(results, self._errors(obj, [], refused), started, 200)

    def _create(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        cleaned = self._checked(obj, inputs)
        if isinstance(cleaned, Response):
            return cleaned
        results = [render(self.portal, obj, self._insert(obj, clean), list(clean) or None) for clean in cleaned]
        return self._answer(results, [], started, 201)

    def _archive(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        for item in inputs:
            record = self.portal.get(obj, str(item.get("id", "")))
            if record is not None:
                self.portal.archive(record)
        return Response.empty(204)
