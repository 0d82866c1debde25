"""The Users API: list, show, search, create, update, delete, merge, and the bulk jobs.

Routes (``.json`` suffixes optional)::

GET    users[.json]                    list (live users; ``role``, ``external_id`` filters)
GET    users/{id}                      show (a deleted user shows with ``active: false``)
GET    users/show_many?ids=|external_ids=
GET    users/search?query=|external_id=
GET    users/me                        the signed-in admin
GET    deleted_users[/{id}]
POST   users                           create (201); a taken email is 422
PUT    users/{id}                      update
DELETE users/{id}                      soft delete (``active: false``)
DELETE deleted_users/{id}              permanently delete a soft-deleted user (GDPR): gone, with its tickets
PUT    users/{id}/merge                merge into ``{"user": {"id": target}}``; tickets move
POST   users/create_or_update          one user, 201 created or 200 updated
POST   users/create_many, users/create_or_update_many     job (at most 100 users)
PUT    users/update_many               job: ``?ids=`` with ``{"user": {...}}``, or ``{"users": [{"id", ...}]}``
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Account, Record
from sandbox.zendesk.jobs import Jobs
from sandbox.zendesk.search import user_matches
from sandbox.zendesk.userwrites import Refusal, apply_changes, check_user, find_for_upsert, new_user, upsert
from sandbox.zendesk.wire import (
    API_PREFIX,
    ErrorCode,
    error,
    invalid,
    no_endpoint,
    not_found,
    page_of,
    parse_ids,
    render,
)

__all__ = ["BULK_LIMIT", "UsersApi"]

BULK_LIMIT = 100


class UsersApi:
    """Answers ``/api/v2/users...`` and ``/api/v2/deleted_users...``."""

    def __init__(self, account: Account, jobs: Jobs, *, base_url: str, failing: set[int]) -> None:
        """Serve ``account``'s users; bulk updates of the user IDs in ``failing`` (the control's set) fail."""
        self.account = account
        self.jobs = jobs
        self.base_url = base_url
        self._failing = failing

    def _one(self, user: Record, status: int = 200) -> Response:
        return Response.json(status, {"user": render(user, base_url=self.base_url, collection="users")})

    def _many(self, users: list[Record]) -> list[dict[str, Any]]:
        return [render(u, base_url=self.base_url, collection="users") for u in users]

    def handle(self, request: Request, rest: list[str]) -> Response:
        """Route one request under ``users``."""
        method = request.method
        if not rest:
            return self.list_users(request) if method == "GET" else self.create(request) if method == "POST" else _no()
        head = rest[0]
        if head in _COLLECTION_ROUTES and len(rest) == 1:
            name, verb = _COLLECTION_ROUTES[head]
            return getattr(self, name)(request) if method == verb else _no()
        if not head.isdigit() or rest[1:] not in _USER_ROUTES:
            return no_endpoint()
        user = self.account.users.get(int(head))
        if user is None:
            return not_found()
        if rest[1:] == ["merge"] and method == "PUT":
            return self.merge(request, user)
        if rest[1:] == ["tickets", "requested"] and method == "GET":
            tickets = [t for _, t in sorted(self.account.tickets.items())
                       if t["requester_id"] == user["id"] and t.get("status") != "deleted"]  # fmt: skip
            items = [render(t, base_url=self.base_url, collection="tickets") for t in tickets]
            return page_of(request, items, key="tickets", url=f"{self.base_url}{request.path}")
        if rest[1:]:
            return _no()
        return {"GET": lambda: self._one(user), "PUT": lambda: self.update(request, user),
                "DELETE": lambda: self.delete(user)}.get(method, _no)()  # fmt: skip

    # -- reads ---------------------------------------------------------------------------------

    def list_users(self, request: Request) -> Response:
        """List live users, by ID, filtered by ``role``/``role[]`` and ``external_id``."""
        roles = set(request.query.get("role[]", [])) | set(request.query.get("role", []))
        external = request.param("external_id")
        users = [u for u in self.account.live_users() if (not roles or u["role"] in roles)]
        if external:
            users = [u for u in users if str(u.get("external_id") or "").lower() == external.lower()]
        return page_of(request, self._many(users), key="users", url=f"{self.base_url}{API_PREFIX}users.json")

    def show_many(self, request: Request) -> Response:
        """``?ids=1,2`` or ``?external_ids=a,b`` (at most 100)."""
        ids = parse_ids(request.param("ids"))
        externals = [e for e in (request.param("external_ids") or "").split(",") if e]
        if ids is None and not externals:
            return error(400, ErrorCode.INVALID_VALUE, "give ids or external_ids, comma separated")
        if len(ids or externals) > BULK_LIMIT:
            return error(400, ErrorCode.TOO_MANY_VALUES, f"at most {BULK_LIMIT} values may be given")
        found = [self.account.users[i] for i in ids or [] if i in self.account.users]
        found += [u for e in externals if (u := self.account.user_by("external_id", e)) is not None]
        return Response.json(200, {"users": self._many(found)})

    def search(self, request: Request) -> Response:
        """``?query=`` (Zendesk search syntax, simplified) or ``?external_id=``."""
        query, external = request.param("query"), request.param("external_id")
        if not query and not external:
            return error(400, ErrorCode.INVALID_VALUE, "give query or external_id")
        live = list(self.account.live_users())
        found = [u for u in live if (user_matches(u, query) if query else
                 str(u.get("external_id") or "").lower() == str(external).lower())]  # fmt: skip
        url = f"{self.base_url}{API_PREFIX}users/search.json"
        return page_of(request, self._many(found), key="users", url=url)

    def one(self, user: Record) -> Response:
        """``{"user": ...}`` for one user (``users/me``: the one the credentials sign in as)."""
        return self._one(user)

    def deleted(self, request: Request, rest: list[str]) -> Response:
        """``GET deleted_users`` and ``GET deleted_users/{id}``."""
        gone = [u for _, u in sorted(self.account.users.items()) if not u.get("active")]
        if len(rest) > 1:
            return no_endpoint()
        if rest:
            match = next((u for u in gone if str(u["id"]) == rest[0]), None)
            if match is None:
                return not_found()
            return Response.json(
                200, {"deleted_user": render(match, base_url=self.base_url, collection="deleted_users")}
            )
        items = [render(u, base_url=self.base_url, collection="deleted_users") for u in gone]
        return page_of(request, items, key="deleted_users", url=f"{self.base_url}{API_PREFIX}deleted_users.json")

    # -- single writes -------------------------------------------------------------------------

    def create(self, request: Request) -> Response:
        """``POST users`` with ``{"user": {...}}``."""
        body = _body(request, "user")
        if isinstance(body, Response):
            return body
        with self.account.lock:
            changes = check_user(self.account, body, None)
            created = changes if isinstance(changes, Refusal) else new_user(self.account, changes)
        return _refused(created) if isinstance(created, Refusal) else self._one(created, 201)

    def update(self, request: Request, user: Record) -> Response:
        """``PUT users/{id}`` with ``{"user": {...}}``."""
        body = _body(request, "user")
        if isinstance(body, Response):
            return body
        with self.account.lock:
            changes = check_user(self.account, body, user)
            if isinstance(changes, Refusal):
                return _refused(changes)
            apply_changes(self.account, user, changes)
        return self._one(user)

    def delete(self, user: Record) -> Response:
        """Soft-delete: the user stays, inactive, and appears in exports as a change."""
        with self.account.lock:
            user["active"] = False
            self.account.touch(user)
        return self._one(user)

    def purge(self, user_id: str) -> Response:
        """``DELETE deleted_users/{id}``: a soft-deleted user removed for good, with the tickets it requested."""
        with self.account.lock:
            user = next((u for k, u in self.account.users.items() if str(k) == user_id), None)
            if user is None or user.get("active"):
                return not_found()
            rendered = render(user, base_url=self.base_url, collection="deleted_users")
            self.account.users.pop(user["id"], None)
            tickets = getattr(self.account, "tickets", {})
            for key in [k for k, t in tickets.items() if t.get("requester_id") == user["id"]]:
                tickets.pop(key)
        return Response.json(200, {"deleted_user": rendered})

    def merge(self, request: Request, source: Record) -> Response:
        """Merge ``source`` into the user named by ``{"user": {"id": target}}``; the source is deleted."""
        body = _body(request, "user")
        if isinstance(body, Response):
            return body
        target = self.account.users.get(body.get("id")) if isinstance(body.get("id"), int) else None
        if target is None or not target.get("active") or target is source:
            return invalid("id", "the user to merge into must be another live user")
        merge_users(self.account, source, target)
        return self._one(target)

    def create_or_update(self, request: Request) -> Response:
        """``POST users/create_or_update``: 201 when created, 200 when updated."""
        body = _body(request, "user")
        if isinstance(body, Response):
            return body
        outcome = upsert(self.account, body)
        if isinstance(outcome, Refusal):
            return _refused(outcome)
        user, created = outcome
        return self._one(user, 201 if created else 200)

    # -- bulk jobs -----------------------------------------------------------------------------

    def create_many(self, request: Request) -> Response:
        """``POST users/create_many``: a job creating each user."""
        return self._bulk(request, "create_many", create_only=True)

    def create_or_update_many(self, request: Request) -> Response:
        """``POST users/create_or_update_many``: a job creating or updating each user."""
        return self._bulk(request, "create_or_update_many", create_only=False)

    def _bulk(self, request: Request, job_type: str, *, create_only: bool) -> Response:
        users = _body(request, "users")
        if isinstance(users, Response):
            return users
        if not isinstance(users, list) or len(users) > BULK_LIMIT:
            return error(400, ErrorCode.TOO_MANY_VALUES, f"users must be a list of at most {BULK_LIMIT} users")
        work = _upsert_work(self.account, users, create_only=create_only)
        return self._job(job_type, len(users), work)

    def update_many(self, request: Request) -> Response:
        """``PUT users/update_many``: one change for ``?ids=``, or ``{"users": [{"id": ...}]}``."""
        ids = parse_ids(request.param("ids"))
        key = "user" if ids is not None else "users"
        body = _body(request, key)
        if isinstance(body, Response):
            return body
        items = [{**body, "id": i} for i in ids] if ids is not None and isinstance(body, dict) else body
        if not isinstance(items, list) or len(items) > BULK_LIMIT:
            return error(400, ErrorCode.TOO_MANY_VALUES, f"update at most {BULK_LIMIT} users a request")
        work = _update_work(self.account, items, self._failing)
        return self._job("bulk_update", len(items), work)

    def _job(self, job_type: str, total: int, work: Callable[[], list[dict[str, Any]]]) -> Response:
        job = self.jobs.start(job_type, total, work)
        if job is None:
            return error(429, ErrorCode.TOO_MANY_JOBS, "Number of allowed queued or running jobs exceeded",
                         headers={"Retry-After": "10"})  # fmt: skip
        return Response.json(200, {"job_status": job.render(self.base_url, finished_at="")})


_USER_ROUTES: tuple[list[str], ...] = ([], ["merge"], ["tickets", "requested"])
_COLLECTION_ROUTES = {
    "show_many": ("show_many", "GET"),
    "search": ("search", "GET"),
    "create_or_update": ("create_or_update", "POST"),
    "create_many": ("create_many", "POST"),
    "create_or_update_many": ("create_or_update_many", "POST"),
    "update_many": ("update_many", "PUT"),
}


def merge_users(account: Account, source: Record, target: Record) -> None:
    """Move ``source``'s tickets to ``target``, fill ``target``'s gaps from ``source``, delete ``source``."""
    with account.lock:
        for ticket in account.tickets.values():
            if ticket["requester_id"] == source["id"]:
                ticket["requester_id"] = target["id"]
                account.touch(ticket)
        for key in ("phone", "organization_id", "external_id"):
            if not target.get(key) and source.get(key):
                target[key] = source[key]
                source[key] = None if key == "external_id" else source[key]
        source["active"] = False
        account.touch(source)
        account.touch(target)
        account.remember(target)


def _no() -> Response:
    return error(405, ErrorCode.INVALID_ENDPOINT, "method not allowed on this resource")


def _body(request: Request, key: str) -> Any:
    try:
        data = request.json()
    except ValueError:
        return error(400, ErrorCode.INVALID_VALUE, "the body is not JSON")
    if not isinstance(data, dict) or key not in data:
        return error(400, ErrorCode.INVALID_VALUE, f"the body must be a JSON object with {key!r}")
    return data[key]


def _refused(refusal: Refusal) -> Response:
    if refusal.error == "RecordNotFound":
        return not_found()
    return invalid(refusal.field, refusal.details, code=refusal.code)


def _failed(refusal: Refusal, **keys: Any) -> dict[str, Any]:
    return {**keys, "success": False, "status": "Failed", "error": refusal.error, "details": refusal.details}


def _upsert_work(account: Account, users: list[Any], *, create_only: bool) -> Callable[[], list[dict[str, Any]]]:
    def work() -> list[dict[str, Any]]:
        results = []
        for index, body in enumerate(users):
            keys = {
                "index": index,
                **{k: body[k] for k in ("email", "external_id") if isinstance(body, dict) and body.get(k)},
            }
            if create_only and isinstance(body, dict):
                with account.lock:
                    changes = check_user(account, body, None)
                    outcome: Any = changes if isinstance(changes, Refusal) else new_user(account, changes)
                outcome = outcome if isinstance(outcome, Refusal) else (outcome, True)
            else:
                outcome = upsert(account, body)
            if isinstance(outcome, Refusal):
                attempted = (
                    "create"
                    if create_only or not isinstance(body, dict) or find_for_upsert(account, body) is None
                    else "update"
                )
                results.append(_failed(outcome, action=attempted, **keys))
                continue
            user, created = outcome
            results.append({"id": user["id"], **keys, "action": "create" if created else "update", "success": True,
                            "status": "Created" if created else "Updated"})  # fmt: skip
        return results

    return work


def _update_work(account: Account, items: list[Any], failing: set[int]) -> Callable[[], list[dict[str, Any]]]:
    def work() -> list[dict[str, Any]]:
        results = []
        for item in items:
            user_id = item.get("id") if isinstance(item, dict) else None
            user = account.users.get(user_id) if isinstance(user_id, int) else None
            if user is None:
                results.append(_failed(Refusal("RecordNotFound", f"user {user_id} not found"), id=user_id or 0,
                                       action="update"))  # fmt: skip
                continue
            if user_id in failing:
                refusal = Refusal("RecordInvalid", "Contactpoint sandbox validation: this user does not accept changes")
                results.append(_failed(refusal, id=user_id, action="update"))
                continue
            with account.lock:
                changes = check_user(account, {k: v for k, v in item.items() if k != "id"}, user)
                if isinstance(changes, Refusal):
                    results.append(_failed(changes, id=user_id, action="update"))
                    continue
                apply_changes(account, user, changes)
            results.append({"id": user_id, "action": "update", "success": True, "status": "Updated"})
        return results

    return work
