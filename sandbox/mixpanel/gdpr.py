"""Mixpanel's GDPR and CCPA data-deletion API (v3), as the sandbox answers it.

    POST /api/app/data-deletions/v3.0?token=…        {"distinct_ids": [...], "compliance_type": "GDPR"|"CCPA"}
                                                      ─→ {"status": "ok", "results": {"task_id": "…"}}
    GET  /api/app/data-deletions/v3.0/{task_id}?token=…
                                                      ─→ {"status": "ok", "results": {"status": "PENDING"|
                                                          "STARTED"|"SUCCESS"|"FAILURE", "result": "",
                                                          "distinct_ids": [...]}}

Authentication: ``Authorization: Bearer <GDPR OAuth token>`` or the service account (Basic),
and the project ``token`` in the query. At most 2,000 distinct IDs a task. A task is
``PENDING`` when made, ``STARTED`` at its first status read and ``SUCCESS`` at the next: then
the profiles and every event of its distinct IDs are gone.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.mixpanel.project import Project

__all__ = ["MAX_IDS", "DeletionTasks", "bearer_ok"]

MAX_IDS = 2000


@dataclass
class _Task:
    distinct_ids: list[str]
    compliance_type: str
    status: str = "PENDING"


@dataclass
class DeletionTasks:
    """The deletion tasks of one project."""

    project: Project
    tasks: dict[str, _Task] = field(default_factory=dict)

    def handle(self, request: Request, rest: str, *, token_ok: bool) -> Response:
        """Answer ``/api/app/data-deletions/v3.0[/{task_id}]`` (credentials already checked)."""
        if not token_ok:
            return _error(400, "token is missing or does not name this project")
        if rest and request.method == "GET":
            return self._status(rest)
        if not rest and request.method == "POST":
            return self._create(request)
        return _error(405, f"{request.method} is not allowed here")

    def _create(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "the body is not JSON")
        ids = body.get("distinct_ids") if isinstance(body, dict) else None
        kind = str(body.get("compliance_type") or "GDPR").upper() if isinstance(body, dict) else "GDPR"
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            return _error(400, "distinct_ids must be a non-empty list of strings")
        if len(ids) > MAX_IDS:
            return _error(400, f"at most {MAX_IDS} distinct_ids a request, got {len(ids)}")
        if kind not in ("GDPR", "CCPA"):
            return _error(400, f"compliance_type must be GDPR or CCPA, got {kind!r}")
        task_id = secrets.token_hex(12)
        self.tasks[task_id] = _Task(list(ids), kind)
        return Response.json(200, {"status": "ok", "results": {"task_id": task_id}})

    def _status(self, task_id: str) -> Response:
        task = self.tasks.get(task_id)
        if task is None:
            return _error(404, f"no deletion task {task_id}")
        if task.status == "PENDING":
            task.status = "STARTED"
        elif task.status == "STARTED":
            self._delete(task.distinct_ids)
            task.status = "SUCCESS"
        body: dict[str, Any] = {"status": task.status, "result": "", "distinct_ids": task.distinct_ids}
        return Response.json(200, {"status": "ok", "results": body})

    def _delete(self, ids: list[str]) -> None:
        gone = set(ids)
        with self.project.lock:
            for distinct_id in gone:
                self.project.profiles.pop(distinct_id, None)
            for day, events in self.project.events.items():
                self.project.events[day] = [e for e in events if str(e.properties.get("distinct_id")) not in gone]


def bearer_ok(request: Request, token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>``."""
    scheme, _, value = (request.header("Authorization") or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token)


def _error(status: int, message: str) -> Response:
    return Response.json(status, {"status": "error", "error": message})
