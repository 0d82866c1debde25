"""Organizations, tickets, user fields, job statuses and search.

Routes (``.json`` suffixes optional)::

GET/POST        organizations, tickets          list (cursor or offset), create (201)
GET/PUT/DELETE  organizations/{id}, tickets/{id}
GET             organizations/show_many, tickets/show_many   ``?ids=``
GET/POST        user_fields                     list, create (a taken key is 422)
GET/DELETE      user_fields/{id}
GET             job_statuses, job_statuses/{id}, job_statuses/show_many?ids=
GET             search?query=                   results with ``result_type``
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import ADMIN_USER_ID, Account, Kind, Record, format_time
from sandbox.zendesk.jobs import Jobs
from sandbox.zendesk.search import search_all
from sandbox.zendesk.tickets import PRIORITIES, STATUSES
from sandbox.zendesk.wire import API_PREFIX, ErrorCode, error, invalid, not_found, page_of, parse_ids, render

__all__ = ["ARCHIVE_AFTER", "FIELD_TYPES", "Resources", "archived"]

ARCHIVE_AFTER = timedelta(days=120)

FIELD_TYPES = (
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "dropdown",
    "lookup",
    "multiselect",
)
_KEY = re.compile(r"^(?!\d+$)[A-Za-z0-9_]+$")
_SINGULAR = {"organizations": "organization", "tickets": "ticket"}


def _body(request: Request, key: str) -> dict[str, Any] | Response:
    try:
        data = request.json()
    except ValueError:
        return error(400, ErrorCode.INVALID_VALUE, "the body is not JSON")
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        return error(400, ErrorCode.INVALID_VALUE, f"the body must be a JSON object with {key!r}")
    value: dict[str, Any] = data[key]
    return value


class Resources:
    """Answers the organization, ticket, user field, job status and search endpoints."""

    def __init__(self, account: Account, jobs: Jobs, *, base_url: str) -> None:
        self.account = account
        self.jobs = jobs
        self.base_url = base_url

    def _render(self, kind: str, record: Record) -> dict[str, Any]:
        return render(record, base_url=self.base_url, collection=kind)

    # -- organizations and tickets -------------------------------------------------------------

    def records(self, request: Request, kind: Kind, rest: list[str]) -> Response:
        """``organizations`` or ``tickets``: list, create, show_many, show, update, delete."""
        store = self.account.records(kind)
        if not rest:
            if request.method == "POST":
                return self._create(request, kind)
            now = self.account.clock.now()
            live = [r for _, r in sorted(store.items())
                    if not r.get("deleted_at") and r.get("status") != "deleted" and not archived(r, now)]  # fmt: skip
            items = [self._render(kind.value, r) for r in live]
            return page_of(request, items, key=kind.value, url=f"{self.base_url}{API_PREFIX}{kind.value}.json")
        if rest == ["show_many"]:
            ids = parse_ids(request.param("ids"))
            if ids is None:
                return error(400, ErrorCode.INVALID_VALUE, "give ids, comma separated")
            return Response.json(200, {kind.value: [self._render(kind.value, store[i]) for i in ids if i in store]})
        record = store.get(int(rest[0])) if rest[0].isdigit() and len(rest) == 1 else None
        if record is None:
            return not_found()
        if request.method == "PUT":
            return self._update(request, kind, record)
        if request.method == "DELETE":
            return self._delete(kind, record)
        return Response.json(200, {_SINGULAR[kind.value]: self._render(kind.value, record)})

    def _check(self, kind: Kind, body: dict[str, Any]) -> Response | None:
        if kind is Kind.ORGANIZATIONS:
            if "name" in body and not str(body["name"] or "").strip():
                return invalid("name", "Name: cannot be blank")
            return None
        for key, allowed in (("status", STATUSES), ("priority", (*PRIORITIES, None)),
                             ("type", ("question", "incident", "problem", "task", None))):  # fmt: skip
            if key in body and body[key] not in allowed:
                return invalid(key, f"{key.title()}: {body[key]!r} is not one of {', '.join(map(str, allowed))}")
        requester = body.get("requester_id")
        if requester is not None and requester not in self.account.users:
            return invalid("requester_id", f"Requester: {requester} does not exist")
        return None

    def _create(self, request: Request, kind: Kind) -> Response:
        key = _SINGULAR[kind.value]
        body = _body(request, key)
        if isinstance(body, Response):
            return body
        refused = self._check(kind, body)
        if refused is not None:
            return refused
        if kind is Kind.ORGANIZATIONS and not str(body.get("name") or "").strip():
            return invalid("name", "Name: cannot be blank")
        if kind is Kind.TICKETS and not (body.get("comment") or body.get("description")):
            return invalid("comment", "Description: cannot be blank")
        with self.account.lock:
            record = _new_record(self.account, kind, body)
        out: dict[str, Any] = {key: self._render(kind.value, record)}
        if kind is Kind.TICKETS:
            out["audit"] = {"id": record["id"] * 10, "ticket_id": record["id"], "created_at": format_time(record["created_at"]),
                            "author_id": ADMIN_USER_ID, "events": []}  # fmt: skip
        return Response.json(201, out)

    def _update(self, request: Request, kind: Kind, record: Record) -> Response:
        key = _SINGULAR[kind.value]
        body = _body(request, key)
        if isinstance(body, Response):
            return body
        refused = self._check(kind, body)
        if refused is not None:
            return refused
        with self.account.lock:
            record.update(
                {k: v for k, v in body.items() if k not in {"id", "url", "created_at", "updated_at", "comment"}}
            )
            self.account.touch(record)
        return Response.json(200, {key: self._render(kind.value, record)})

    def _delete(self, kind: Kind, record: Record) -> Response:
        with self.account.lock:
            if kind is Kind.TICKETS:
                record["status"] = "deleted"
            else:
                record["deleted_at"] = self.account.clock.now()
            self.account.touch(record)
        return Response.empty(204)

    # -- user fields -----------------------------------------------------------------------------

    def user_fields(self, request: Request, rest: list[str]) -> Response:
        """List, create, show and delete custom user fields."""
        fields = sorted(self.account.user_fields.values(), key=lambda f: (f["position"], f["id"]))
        if not rest:
            if request.method == "POST":
                return self._create_field(request)
            items = [self._render("user_fields", f) for f in fields]
            return page_of(request, items, key="user_fields", url=f"{self.base_url}{API_PREFIX}user_fields.json")
        found = next((f for f in fields if str(f["id"]) == rest[0] or f["key"] == rest[0]), None)
        if found is None or len(rest) > 1:
            return not_found()
        if request.method == "DELETE":
            with self.account.lock:
                self.account.user_fields.pop(found["key"], None)
            return Response.empty(204)
        return Response.json(200, {"user_field": self._render("user_fields", found)})

    def _create_field(self, request: Request) -> Response:
        body = _body(request, "user_field")
        if isinstance(body, Response):
            return body
        key, kind, title = body.get("key"), body.get("type", "text"), body.get("title")
        if not isinstance(key, str) or not _KEY.match(key):
            return invalid("key", f"Key: {key!r} must use only letters, numbers and underscores, and not only numbers")
        if kind not in FIELD_TYPES:
            return invalid("type", f"Type: {kind!r} is not one of {', '.join(FIELD_TYPES)}")
        if not isinstance(title, str) or not title.strip():
            return invalid("title", "Title: cannot be blank")
        if kind == "dropdown" and not body.get("custom_field_options"):
            return invalid("custom_field_options", "Field options: a dropdown needs at least one option")
        with self.account.lock:
            if key in self.account.user_fields:
                return invalid("key", "Key is already being used by another user field", code="DuplicateValue")
            now = self.account.clock.now()
            field_id = self.account.new_id("user_fields")
            record: Record = {
                "id": field_id, "key": key, "type": kind, "title": title, "raw_title": title,
                "description": str(body.get("description") or ""), "raw_description": str(body.get("description") or ""),
                "position": int(body.get("position") or len(self.account.user_fields)), "active": bool(body.get("active", True)),
                "system": False, "regexp_for_validation": body.get("regexp_for_validation"), "created_at": now,
                "updated_at": now, "custom_field_options": list(body.get("custom_field_options") or []),
            }  # fmt: skip
            self.account.user_fields[key] = record
        return Response.json(201, {"user_field": self._render("user_fields", record)})

    # -- job statuses and search ---------------------------------------------------------------

    def job_statuses(self, request: Request, rest: list[str]) -> Response:
        """Show one job, several (``show_many?ids=``), or the recent ones; reading a job moves it on."""
        finished = self.account.clock.now().strftime("%Y-%m-%d %H:%M:%S +0000")
        if not rest:
            jobs = [j.render(self.base_url, finished_at=finished) for j in self.jobs.recent()]
            return page_of(request, jobs, key="job_statuses", url=f"{self.base_url}{API_PREFIX}job_statuses.json")
        if rest == ["show_many"]:
            ids = [i for i in (request.param("ids") or "").split(",") if i]
            if not ids or len(ids) > 100:
                return error(400, ErrorCode.INVALID_VALUE, "give 1 to 100 job status ids, comma separated")
            read = [self.jobs.read(i) for i in ids]
            return Response.json(
                200, {"job_statuses": [j.render(self.base_url, finished_at=finished) for j in read if j]}
            )
        job = self.jobs.read(rest[0]) if len(rest) == 1 else None
        if job is None:
            return not_found()
        return Response.json(200, {"job_status": job.render(self.base_url, finished_at=finished)})

    def search(self, request: Request) -> Response:
        """``GET search?query=``: users, organizations and tickets, each with its ``result_type``."""
        query = request.param("query")
        if not query:
            return error(400, ErrorCode.INVALID_VALUE, "query is required")
        found = search_all(self.account, query)
        collection = {"user": "users", "organization": "organizations", "ticket": "tickets"}
        items = [{**self._render(collection[t], r), "result_type": t} for t, r in found]
        return page_of(request, items, key="results", url=f"{self.base_url}{API_PREFIX}search.json")


def archived(record: Record, now: datetime) -> bool:
    """Whether Zendesk has archived a ticket: closed and unchanged for 120 days (lists leave it out; exports do not)."""
    updated = record.get("updated_at")
    return record.get("status") == "closed" and isinstance(updated, datetime) and now - updated > ARCHIVE_AFTER


def _new_record(account: Account, kind: Kind, body: dict[str, Any]) -> Record:
    now = account.clock.now()
    record_id = account.new_id(kind)
    if kind is Kind.ORGANIZATIONS:
        record: Record = {"id": record_id, "name": body["name"], "created_at": now, "updated_at": now,
                          "domain_names": list(body.get("domain_names") or []), "details": body.get("details") or "",
                          "notes": body.get("notes") or "", "external_id": body.get("external_id"), "group_id": None,
                          "shared_tickets": False, "shared_comments": False, "tags": list(body.get("tags") or []),
                          "organization_fields": dict(body.get("organization_fields") or {}), "deleted_at": None}  # fmt: skip
        account.organizations[record_id] = record
        return record
    comment = body.get("comment") or {}
    text = comment.get("body") if isinstance(comment, dict) else str(comment)
    requester = body.get("requester_id") or ADMIN_USER_ID
    record = {"id": record_id, "external_id": body.get("external_id"), "created_at": now, "updated_at": now,
              "type": body.get("type"), "subject": body.get("subject"), "raw_subject": body.get("subject"),
              "description": text or body.get("description") or "", "priority": body.get("priority"),
              "status": body.get("status") or "new", "recipient": None, "requester_id": requester,
              "submitter_id": requester, "assignee_id": body.get("assignee_id"),
              "organization_id": account.users.get(requester, {}).get("organization_id"), "group_id": None,
              "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "problem_id": None,
              "has_incidents": False, "is_public": True, "due_at": None, "tags": list(body.get("tags") or []),
              "custom_fields": [], "fields": [], "sharing_agreement_ids": [], "followup_ids": [],
              "ticket_form_id": None, "brand_id": None, "allow_channelback": False, "allow_attachments": True,
              "from_messaging_channel": False, "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
              "satisfaction_rating": {"score": "unoffered"}}  # fmt: skip
    account.tickets[record_id] = record
    return record
