"""Organizations, tickets, user fields, job statuses, satisfaction ratings and search.

Routes (``.json`` suffixes optional)::

GET/POST        organizations, tickets          list (cursor or offset), create (201; a ticket with its audit;
                                                a ``requester`` {name, email} is found by email, or made)
GET/PUT/DELETE  organizations/{id}, tickets/{id}   a ticket's update answers ``ticket`` and ``audit``
GET             organizations/show_many, tickets/show_many   ``?ids=``
GET             tickets/{id}/comments, tickets/{id}/audits   oldest first (cursor or offset)
GET/POST/PUT/DELETE  tickets/{id}/tags          list, set (201), add, remove (an update of the ticket)
GET             deleted_tickets                 deleted tickets: ``actor``, ``deleted_at``, ``previous_state``
GET/POST        user_fields                     list, create (a taken key is 422)
GET/DELETE      user_fields/{id}
GET             job_statuses, job_statuses/{id}, job_statuses/show_many?ids=
GET             satisfaction_ratings            the ratings of tickets (``score``, ``start_time``, ``end_time``)
GET             satisfaction_ratings/{id}       one rating
POST            tickets/{id}/satisfaction_rating   the requester rates a solved (or once solved) ticket
GET             search?query=                   results with ``result_type``; offset pages, the first 1,000 only

A deleted ticket or organization is not found (404 ``RecordNotFound``) by show, update,
delete and ``show_many``; the exports still carry it. A ticket's ``group_id`` must name a
live group (``sandbox.zendesk.groups``), else 422 ``RecordInvalid``. Tickets take ``include=users`` and
``include=organizations`` (the records their page names, beside it). An unknown path is
404 ``InvalidEndpoint``; an unknown ID at a known path, ``RecordNotFound``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import ADMIN_USER_ID, Account, Kind, Record, format_time
from sandbox.zendesk.comments import audits_of, comments_of, creation_audit, record_rating, record_update, was_solved
from sandbox.zendesk.groups import live_group
from sandbox.zendesk.jobs import Jobs
from sandbox.zendesk.search import search_all
from sandbox.zendesk.tickets import PRIORITIES, STATUSES, satisfaction_ratings
from sandbox.zendesk.userwrites import Refusal, check_user, new_user
from sandbox.zendesk.wire import (
    API_PREFIX,
    ErrorCode,
    Sideload,
    as_json,
    error,
    forbidden,
    invalid,
    no_endpoint,
    not_found,
    object_body,
    page_of,
    parse_ids,
    render,
)

__all__ = ["ARCHIVE_AFTER", "FIELD_TYPES", "SEARCH_LIMIT", "Resources", "archived", "gone"]

ARCHIVE_AFTER = timedelta(days=120)
SEARCH_LIMIT = 1000
"""Search answers at most this many results of a query, however many match (``count`` says how many)."""

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
_SUBLISTS = {(Kind.TICKETS, "comments"), (Kind.TICKETS, "audits"), (Kind.TICKETS, "tags")}
_READ_ONLY = {"id", "url", "created_at", "updated_at", "comment"}
_SIDELOADS = {
    "users": ("users", ("requester_id", "submitter_id", "assignee_id", "collaborator_ids")),
    "organizations": ("organizations", ("organization_id",)),
}


def _ids(value: Any) -> list[int]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, int)]
    return [value] if isinstance(value, int) else []


class Resources:
    """Answers the organization, ticket, user field, job status and search endpoints."""

    def __init__(self, account: Account, jobs: Jobs, *, base_url: str) -> None:
        self.account = account
        self.jobs = jobs
        self.base_url = base_url

    def _render(self, kind: str, record: Record) -> dict[str, Any]:
        return render(record, base_url=self.base_url, collection=kind)

    # -- organizations and tickets -------------------------------------------------------------

    def _live(self, kind: Kind, record_id: int) -> Record | None:
        """The record, unless it is deleted (a deleted ticket or organization is not found, as in Zendesk)."""
        record = self.account.records(kind).get(record_id)
        return None if record is None or gone(record) else record

    def _sideloads(self, request: Request) -> Sideload | None:
        """``include=users,organizations`` on tickets: the users and organizations a page of tickets names."""
        wanted = {part.strip() for part in (request.param("include") or "").split(",")} & set(_SIDELOADS)
        if not wanted:
            return None

        def sideload(tickets: list[dict[str, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name in sorted(wanted):
                collection, keys = _SIDELOADS[name]
                ids = sorted({i for t in tickets for k in keys for i in _ids(t.get(k))})
                store = self.account.records(Kind(collection))
                out[name] = [self._render(collection, store[i]) for i in ids if i in store]
            return out

        return sideload

    def records(self, request: Request, kind: Kind, rest: list[str]) -> Response:
        """``organizations`` or ``tickets``: list, create, show_many, show, update, delete; a ticket's comments and audits."""
        store = self.account.records(kind)
        extra = self._sideloads(request) if kind is Kind.TICKETS else None
        if not rest:
            if request.method == "POST":
                return self._create(request, kind)
            now = self.account.clock.now()
            live = [r for _, r in sorted(store.items()) if not gone(r) and not archived(r, now)]
            items = [self._render(kind.value, r) for r in live]
            url = f"{self.base_url}{API_PREFIX}{kind.value}.json"
            return page_of(request, items, key=kind.value, url=url, extra=extra)
        if rest == ["show_many"]:
            ids = parse_ids(request.param("ids"))
            if ids is None:
                return error(400, ErrorCode.INVALID_VALUE, "give ids, comma separated")
            found = [self._render(kind.value, r) for i in ids if (r := self._live(kind, i)) is not None]
            return Response.json(200, {kind.value: found, **(extra(found) if extra else {})})
        if not rest[0].isdigit() or len(rest) > 2 or (len(rest) == 2 and (kind, rest[1]) not in _SUBLISTS):
            return no_endpoint()
        record = self._live(kind, int(rest[0]))
        if record is None:
            return not_found()
        if len(rest) == 2:
            return self._sublist(request, record, rest[1])
        if request.method == "PUT":
            return self._update(request, kind, record)
        if request.method == "DELETE":
            return self._delete(kind, record)
        one = self._render(kind.value, record)
        return Response.json(200, {_SINGULAR[kind.value]: one, **(extra([one]) if extra else {})})

    def _sublist(self, request: Request, ticket: Record, name: str) -> Response:
        """``tickets/{id}/comments`` and ``tickets/{id}/audits``, oldest first (``sort_order=desc``: newest)."""
        if name == "tags":
            return self._tags(request, ticket)
        found = comments_of(self.account, ticket) if name == "comments" else audits_of(self.account, ticket)
        if request.param("sort_order") == "desc":
            found = found[::-1]
        url = f"{self.base_url}{API_PREFIX}tickets/{ticket['id']}/{name}.json"
        return page_of(request, as_json(found), key=name, url=url)

    def _tags(self, request: Request, ticket: Record) -> Response:
        """``tickets/{id}/tags``: list (GET), set (POST, 201), add (PUT), remove (DELETE: body or ``?tags=a,b``).

        A change is an update of the ticket (an audit, a new ``updated_at``); ``safe_update`` with an
        ``updated_stamp`` other than the ticket's ``updated_at`` is 409 ``UpdateConflict``, as in Zendesk.
        """
        if request.method == "GET":
            return Response.json(200, {"tags": list(ticket.get("tags") or [])})
        try:
            parsed = request.json() if request.body else {}
        except ValueError:
            parsed = None
        body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
        given = body.get("tags")
        if given is None and request.method == "DELETE" and request.param("tags"):
            given = [t for t in (request.param("tags") or "").split(",") if t.strip()]
        if not isinstance(given, list) or not all(isinstance(t, str) and t.strip() for t in given):
            return invalid("tags", "Tags: give a list of tags")
        safe = str(body.get("safe_update", "")).lower() == "true"
        if safe and body.get("updated_stamp") != format_time(ticket["updated_at"]):
            text = ("Safe Update prevented the update due to outdated ticket data. "
                    "Please fetch the latest ticket data and try again.")  # fmt: skip
            return error(409, "UpdateConflict", text)
        held = list(ticket.get("tags") or [])
        words = [t.strip() for t in given]
        if request.method == "POST":
            new = list(dict.fromkeys(words))
        elif request.method == "PUT":
            new = list(dict.fromkeys([*held, *words]))
        elif request.method == "DELETE":
            removed = set(words)
            new = [t for t in held if t not in removed]
        else:
            return no_endpoint()
        with self.account.lock:
            if new != held:
                record_update(self.account, ticket, {"tags": new}, None)
        return Response.json(201 if request.method == "POST" else 200, {"tags": list(ticket["tags"])})

    def deleted_tickets(self, request: Request) -> Response:
        """``GET deleted_tickets``: tickets deleted and not yet removed for good, with who deleted them and when."""
        rows = []
        for ticket_id, ticket in sorted(self.account.tickets.items()):
            if ticket.get("status") != "deleted":
                continue
            deletion = self.account.ticket_deletions.get(ticket_id, {})
            actor = self.account.users.get(deletion.get("actor_id", ADMIN_USER_ID), {})
            rows.append({"id": ticket_id, "subject": ticket.get("subject"), "actor": {"id": actor.get("id"), "name": actor.get("name")},
                         "deleted_at": as_json(deletion.get("deleted_at", ticket["updated_at"])),
                         "previous_state": deletion.get("previous_state", "open")})  # fmt: skip
        url = f"{self.base_url}{API_PREFIX}deleted_tickets.json"
        return page_of(request, rows, key="deleted_tickets", url=url)

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
        group = body.get("group_id")
        if group is not None and live_group(self.account, group) is None:
            return invalid("group_id", f"Group: {group!r} is invalid")
        return None

    def _create(self, request: Request, kind: Kind) -> Response:
        key = _SINGULAR[kind.value]
        body = object_body(request, key)
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
            if kind is Kind.TICKETS and body.get("requester") is not None and body.get("requester_id") is None:
                requester = self._requester(body["requester"])
                if isinstance(requester, Response):
                    return requester
                body = {**body, "requester_id": requester}
            record = _new_record(self.account, kind, body)
        out: dict[str, Any] = {key: self._render(kind.value, record)}
        if kind is Kind.TICKETS:
            out["audit"] = as_json(creation_audit(record))
        return Response.json(201, out)

    def _requester(self, given: Any) -> int | Response:
        """The user a new ticket's ``requester`` ({name, email}) names: the live user with that email, or a new one.

        Zendesk ("Creating a ticket with a new requester"): a requester given by email is
        looked up, and made (an unverified end user) when there is none. Call with the lock held.
        """
        email = str(given.get("email") or "").strip() if isinstance(given, dict) else ""
        if not email:
            return invalid("requester", "Requester: give the requester's email (and name, for a new user)")
        found = self.account.user_by("email", email)
        if found is not None:
            return int(found["id"])
        changes = check_user(self.account, {"name": given.get("name") or email.split("@")[0], "email": email}, None)
        made = changes if isinstance(changes, Refusal) else new_user(self.account, changes)
        if isinstance(made, Refusal):
            return invalid("requester", f"Requester: {made.details}", code=made.code)
        return int(made["id"])

    def _update(self, request: Request, kind: Kind, record: Record) -> Response:
        """Update an organization (``{organization}``), or a ticket (``{ticket, audit}``; a ``comment`` is added)."""
        key = _SINGULAR[kind.value]
        body = object_body(request, key)
        if isinstance(body, Response):
            return body
        refused = self._check(kind, body)
        if refused is not None:
            return refused
        changes = {k: v for k, v in body.items() if k not in _READ_ONLY}
        with self.account.lock:
            if kind is Kind.TICKETS:
                audit = record_update(self.account, record, changes, body.get("comment"))
                return Response.json(200, {key: self._render(kind.value, record), "audit": as_json(audit)})
            record.update(changes)
            self.account.touch(record)
        return Response.json(200, {key: self._render(kind.value, record)})

    def _delete(self, kind: Kind, record: Record) -> Response:
        with self.account.lock:
            if kind is Kind.TICKETS:
                self.account.delete_ticket(record)
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
        if len(rest) > 1:
            return no_endpoint()
        found = next((f for f in fields if str(f["id"]) == rest[0] or f["key"] == rest[0]), None)
        if found is None:
            return not_found()
        if request.method == "DELETE":
            with self.account.lock:
                self.account.user_fields.pop(found["key"], None)
            return Response.empty(204)
        return Response.json(200, {"user_field": self._render("user_fields", found)})

    def _create_field(self, request: Request) -> Response:
        body = object_body(request, "user_field")
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
        if len(rest) > 1:
            return no_endpoint()
        job = self.jobs.read(rest[0])
        if job is None:
            return not_found()
        return Response.json(200, {"job_status": job.render(self.base_url, finished_at=finished)})

    def search(self, request: Request) -> Response:
        """``GET search?query=``: users, organizations and tickets, each with its ``result_type``.

        Offset pages only (``page``, ``per_page`` up to 100), and no further than the first
        ``SEARCH_LIMIT`` results: a page past them is 422, as Zendesk answers; ``count`` is
        every match all the same. ``page[size]`` is refused as Zendesk refuses it here.
        """
        query = request.param("query")
        if not query:
            return error(400, ErrorCode.INVALID_VALUE, "query is required")
        if any(k.startswith("page[") for k in request.query):
            message = ("You passed an invalid value for the page attribute. "
                       "Invalid parameter: page must be an integer from api/v2/search/index")  # fmt: skip
            return Response.json(400, {"error": {"title": "Invalid attribute", "message": message}})
        page, size = request.param("page") or "1", request.param("per_page") or "100"
        if page.isdigit() and size.isdigit() and int(page) * min(int(size), 100) > SEARCH_LIMIT:
            text = "Invalid search: Requested response size was greater than Search Response Limits"
            return error(422, "invalid", text)
        found = search_all(self.account, query)
        collection = {"user": "users", "organization": "organizations", "ticket": "tickets"}
        items = [{**self._render(collection[t], r), "result_type": t} for t, r in found]
        url = f"{self.base_url}{API_PREFIX}search.json"
        return page_of(request, items, key="results", url=url, extra=lambda _: {"facets": None})

    def satisfaction_ratings(self, request: Request, rating_id: str | None = None) -> Response:
        """``GET satisfaction_ratings`` (``score=``, ``start_time=``, ``end_time=`` filter) and ``satisfaction_ratings/{id}``."""
        ratings = satisfaction_ratings(t for t in self.account.tickets.values() if not gone(t))
        if rating_id is not None:
            found = next((r for r in ratings if str(r["id"]) == rating_id), None)
            if found is None:
                return not_found()
            return Response.json(200, {"satisfaction_rating": self._render("satisfaction_ratings", found)})
        score = request.param("score")
        start, end = request.param("start_time"), request.param("end_time")
        ratings = [r for r in ratings
                   if (not score or r["score"] == score)
                   and (not start or not start.isdigit() or r["created_at"].timestamp() >= int(start))
                   and (not end or not end.isdigit() or r["created_at"].timestamp() < int(end))]  # fmt: skip
        items = [self._render("satisfaction_ratings", r) for r in ratings]
        url = f"{self.base_url}{API_PREFIX}satisfaction_ratings.json"
        return page_of(request, items, key="satisfaction_ratings", url=url)

    def rate(self, request: Request, ticket_id: int, caller: Record) -> Response:
        """``POST tickets/{id}/satisfaction_rating``: only the ticket's requester, only ``good`` or ``bad``.

        Zendesk: "Creates a CSAT rating for a solved ticket, or for a ticket that was
        previously solved and then reopened. Only the end user listed as the ticket requester
        can create a satisfaction rating for the ticket. Only "good" and "bad" are valid values
        for the score when creating a rating."
        """
        ticket = self._live(Kind.TICKETS, ticket_id)
        if ticket is None:
            return not_found()
        if caller.get("id") != ticket.get("requester_id"):
            return forbidden()
        body = object_body(request, "satisfaction_rating")
        if isinstance(body, Response):
            return body
        score, comment = body.get("score"), body.get("comment")
        if score not in {"good", "bad"}:
            return invalid("score", f"Score: {score} is not a valid score when creating a rating")
        if comment is not None and not isinstance(comment, str):
            return invalid("comment", "Comment: must be text")
        with self.account.lock:
            if not was_solved(self.account, ticket):
                return invalid("ticket", "Ticket: must be solved, or solved before, to be rated")
            record_rating(self.account, ticket, score, comment or "")
            rating = next(r for r in satisfaction_ratings([ticket]))
        return Response.json(200, {"satisfaction_rating": self._render("satisfaction_ratings", rating)})


def gone(record: Record) -> bool:
    """Whether a ticket or organization is deleted (lists, shows and updates no longer find it)."""
    return record.get("status") == "deleted" or bool(record.get("deleted_at"))


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
              "organization_id": account.users.get(requester, {}).get("organization_id"), "group_id": body.get("group_id"),
              "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "problem_id": None,
              "has_incidents": False, "is_public": True, "due_at": None, "tags": list(body.get("tags") or []),
              "custom_fields": [], "fields": [], "sharing_agreement_ids": [], "followup_ids": [],
              "ticket_form_id": None, "brand_id": None, "allow_channelback": False, "allow_attachments": True,
              "from_messaging_channel": False, "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
              "satisfaction_rating": {"score": "unoffered"}}  # fmt: skip
    account.tickets[record_id] = record
    return record
