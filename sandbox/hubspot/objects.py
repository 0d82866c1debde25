"""The CRM objects API v3 for contacts, companies, deals and tickets: basic, batch and merge.

    GET    /crm/v3/objects/{object}                 list (limit <= 100, after, properties, archived,
                                                    associations); paging.next.link is this request's
                                                    absolute URL with the next ``after``
    POST   /crm/v3/objects/{object}                 create (201; 409 CONFLICT for a contact email in use);
                                                    ``associations`` [{to: {id}, types}] are made with it
    GET    /crm/v3/objects/{object}/{id}            read (idProperty, archived, associations; 404)
    PATCH  /crm/v3/objects/{object}/{id}            update
    DELETE /crm/v3/objects/{object}/{id}            archive (204)
    POST   /crm/v3/objects/{object}/batch/{read|create|update|upsert|archive}   <= 100 inputs
    POST   /crm/v3/objects/{object}/merge           {primaryObjectId, objectIdToMerge}; the merged ID
                                                    then reads (and writes) the primary, and is not archived
    POST   /crm/v3/objects/contacts/gdpr-delete     {objectId, idProperty?}: delete for good (204), its
                                                    email blocklisted; 404 for an unknown ID (an unknown
                                                    email is blocklisted, 204)

Batch writes check every input first: invalid property values fail the whole batch
(400 VALIDATION_ERROR, as HubSpot does); inputs naming no record (or a record the
``fail_records`` fault names) are left out and listed in ``errors`` with a 207.
Results come back in no particular order (HubSpot promises none either).

No two live contacts share an email (compared without case). A write giving a contact an
email another one holds fails whole with 409 CONFLICT ``Contact already exists. Existing
ID: N`` (the first such input's holder; nothing is written), whether it is a create, a
PATCH or a batch create, update or upsert; one email given to two records in one batch is
a 400 VALIDATION_ERROR.

Deals and tickets keep their stage within their pipeline and start in the default one;
a ticket needs ``hs_pipeline_stage`` (see ``pipelines``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from sandbox.common.http import Request, Response
from sandbox.hubspot.associations import associate, inline_associations, requested_associations, with_associations
from sandbox.hubspot.pipelines import check_sales, missing_error
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.records import check_properties, problem_details, problems_message, render, requested_properties
from sandbox.hubspot.wire import Category, batch_body, error, standard_error

__all__ = ["ObjectsApi"]

MAX_BATCH = 100
MAX_LIST = 100


def _not_found() -> Response:
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")


def _no_object(key: str) -> Response:
    """HubSpot's 404 for a record ID (or ``idProperty`` value) that names no record."""
    return error(404, Category.OBJECT_NOT_FOUND, "Object not found.  objectId are usually numeric.",
                 context={"id": [key]})  # fmt: skip


def _invalid(message: str) -> Response:
    return error(400, Category.VALIDATION_ERROR, message)


class ObjectsApi:
    """CRM records over HTTP; see the module docstring."""

    def __init__(self, portal: Portal, failing: set[str], *, base_url: str) -> None:
        self.portal = portal
        self.failing = failing
        self.base_url = base_url

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
        if rest == ["gdpr-delete"] and method == "POST" and obj == "contacts":
            return self.gdpr_delete(request, obj)
        if len(rest) == 1 and rest[0] not in {"search", "batch", "merge", "gdpr-delete"}:
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
            body: dict[str, Any] = {"results": [self._read_one(request, obj, r) for r in page]}
        if len(rows) > limit:
            nxt = str(int(page[-1].id) + 1)
            body["paging"] = {"next": {"after": nxt, "link": self._next_link(request, nxt)}}
        return Response.json(200, body)

    def _read_one(self, request: Request, obj: str, record: HubRecord) -> dict[str, Any]:
        """A record as a GET answers it: the ``properties`` asked for and the ``associations`` asked for."""
        rendered = render(self.portal, obj, record, requested_properties(request))
        return with_associations(self.portal, obj, record, rendered, requested_associations(request))

    def _next_link(self, request: Request, after: str) -> str:
        """The same request continued: its absolute URL, the query kept in order and ``after`` replaced."""
        query = [(k, v) for k, values in request.query.items() if k != "after" for v in values]
        return f"{self.base_url}{urlsplit(request.target).path}?{urlencode([*query, ('after', after)])}"

    def create(self, request: Request, obj: str) -> Response:
        """``POST /crm/v3/objects/{object}``."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        with self.portal.lock:
            clean, problems = check_properties(self.portal, obj, body.get("properties") or {})
            clean, stage_problems, missing = check_sales(obj, clean, creating=True)
            problems += stage_problems
            if problems:
                return error(
                    400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems)
                )
            if missing:
                return missing_error(obj, missing)
            clash = self._email_clash(obj, [(None, clean)])
            if clash is not None:
                return clash
            if obj == "contacts" and (clean.get("email") or "").lower() in self.portal.blocklist:
                return _invalid(f"Email address {clean['email']} was permanently deleted (GDPR) and is blocklisted")
            linked = inline_associations(self.portal, obj, body.get("associations"))
            if isinstance(linked, str):
                return error(400, Category.VALIDATION_ERROR, linked)
            record = self._insert(obj, clean)
            for to_obj, other, wanted in linked:
                associate(self.portal, obj, record, to_obj, other, wanted)
            return Response.json(201, render(self.portal, obj, record, list(clean) or None))

    def _email_clash(self, obj: str, writes: list[tuple[str | None, dict[str, str]]]) -> Response | None:
        """HubSpot's refusal of writes (target ID or None for a new record, values) that would share an email.

        One email for two records of the writes is a 400; an email a live contact other than the
        target holds is a 409 CONFLICT naming the first such holder. None when the writes are fine.
        """
        if obj != "contacts":
            return None
        targets: dict[str, set[str]] = {}
        for index, (target, values) in enumerate(writes):
            email = (values.get("email") or "").strip().lower()
            if email:
                targets.setdefault(email, set()).add(target if target is not None else f"new-{index}")
        twice = sorted(email for email, owners in targets.items() if len(owners) > 1)
        if twice:
            return _invalid(f"Duplicate emails found in batch input: {twice}. An email can belong to one contact only")
        for target, values in writes:
            holder = self.portal.email_holder(values.get("email"), besides=target)
            if holder is not None:
                return error(409, Category.CONFLICT, f"Contact already exists. Existing ID: {holder.id}")
        return None

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
                return _no_object(key)
            if request.method == "GET":
                return Response.json(200, self._read_one(request, obj, record))
            if request.method == "DELETE":
                self.portal.archive(record)
                return Response.empty(204)
            if request.method != "PATCH":
                return _not_found()
            body = self._body(request)
            if isinstance(body, Response):
                return body
            clean, problems = check_properties(self.portal, obj, body.get("properties") or {})
            problems += check_sales(obj, clean, current=record.props)[1]
            if problems:
                return error(
                    400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems)
                )
            clash = self._email_clash(obj, [(record.id, clean)])
            if clash is not None:
                return clash
            self.portal.update(obj, record, clean)
            return Response.json(200, render(self.portal, obj, record, list(clean) or None))

    def gdpr_delete(self, request: Request, obj: str) -> Response:
        """``POST /crm/v3/objects/contacts/gdpr-delete``: permanently delete a contact (GDPR)."""
        body = self._body(request)
        if isinstance(body, Response):
            return body
        object_id, id_property = body.get("objectId"), body.get("idProperty")
        if not isinstance(object_id, str) or not object_id:
            return _invalid("Invalid input JSON: objectId is required and must be a string")
        with self.portal.lock:
            if id_property:
                record = self.portal.find(obj, str(id_property), object_id) or self.portal.find(
                    obj, str(id_property), object_id, archived=True
                )
            else:
                record = self.portal.get(obj, object_id) or self.portal.get(obj, object_id, archived=True)
            if record is None:
                if id_property == "email":
                    self.portal.blocklist.add(object_id.strip().lower())
                    return Response.empty(204)
                return _no_object(object_id)
            self.portal.purge(obj, record)
        return Response.empty(204)

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
        return Response.json(207 if errors else ok, batch_body(results, errors, started))

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

    def _checked(
        self, obj: str, inputs: list[dict[str, Any]], *, creating: bool = False
    ) -> list[dict[str, str]] | Response:
        cleaned, problems = [], []
        missing: list[str] = []
        for item in inputs:
            clean, found = check_properties(self.portal, obj, item.get("properties") or {})
            clean, stage_problems, lacking = check_sales(obj, clean, creating=creating)
            cleaned.append(clean)
            problems.extend([*found, *stage_problems])
            missing.extend(name for name in lacking if name not in missing)
        if problems:
            return error(400, Category.VALIDATION_ERROR, problems_message(problems), errors=problem_details(problems))
        return missing_error(obj, missing) if missing else cleaned

    def _update(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        cleaned = self._checked(obj, inputs)
        if isinstance(cleaned, Response):
            return cleaned
        results, missing, refused, writes = [], [], [], []
        for item, clean in zip(inputs, cleaned, strict=True):
            key = str(item.get("id", ""))
            id_property = item.get("idProperty")
            record = self.portal.find(obj, id_property, key) if id_property else self.portal.get(obj, key)
            if record is None:
                missing.append(key)
            elif record.id.lower() in self.failing:
                refused.append(key)
            else:
                writes.append((record, clean))
        clash = self._email_clash(obj, [(record.id, clean) for record, clean in writes])
        if clash is not None:
            return clash
        for record, clean in writes:
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
        refused, writes = [], []
        for item, clean in zip(inputs, cleaned, strict=True):
            key, id_property = str(item.get("id", "")).strip(), str(item["idProperty"])
            if key.lower() in self.failing or (id_property == "email" and "@" not in key):
                refused.append(key)
                continue
            values = {**clean, id_property: key.lower() if id_property == "email" else key}
            writes.append((self.portal.find(obj, id_property, key), values))
        clash = self._email_clash(obj, [(record.id if record else None, values) for record, values in writes])
        if clash is not None:
            return clash
        results = []
        for found, values in writes:
            if found is None:
                record = self._insert(obj, values)
            else:
                record = found
                self.portal.update(obj, record, values)
            results.append(render(self.portal, obj, record, list(values)) | {"new": found is None})
        return self._answer(results, self._errors(obj, [], refused), started, 200)

    def _create(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        cleaned = self._checked(obj, inputs, creating=True)
        if isinstance(cleaned, Response):
            return cleaned
        clash = self._email_clash(obj, [(None, clean) for clean in cleaned])
        if clash is not None:
            return clash
        links = [inline_associations(self.portal, obj, item.get("associations")) for item in inputs]
        refused = next((why for why in links if isinstance(why, str)), None)
        if refused is not None:
            return error(400, Category.VALIDATION_ERROR, refused)
        results = []
        for clean, linked in zip(cleaned, links, strict=True):
            record = self._insert(obj, clean)
            for to_obj, other, wanted in linked if isinstance(linked, list) else []:
                associate(self.portal, obj, record, to_obj, other, wanted)
            results.append(render(self.portal, obj, record, list(clean) or None))
        return self._answer(results, [], started, 201)

    def _archive(self, obj: str, body: dict[str, Any], inputs: list[dict[str, Any]], started: datetime) -> Response:
        for item in inputs:
            record = self.portal.get(obj, str(item.get("id", "")))
            if record is not None:
                self.portal.archive(record)
        return Response.empty(204)
