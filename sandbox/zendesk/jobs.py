"""Background jobs and their ``job_status``: how bulk user writes report back.

A bulk request (``update_many``, ``create_many``, ``create_or_update_many``) answers
at once with a ``queued`` job status; its work is done when the job is created, and
its per-record ``results`` appear when the job is read as ``completed``. By default a
job is complete the first time it is read; the control can make jobs need more reads
(``working`` until then, with ``progress``), end ``failed`` (nothing written), or never
finish (``working`` for ever). At most ``JOB_LIMIT`` unfinished jobs may exist; one more
is refused with 429 ``TooManyJobs``, as Zendesk does.

Results, one per input record: an update ``{"id", "action": "update", "success": true,
"status": "Updated"}``; a create-or-update adds ``"index"`` (the record's place in the
request) and ``email``/``external_id``; a refused record ``{"success": false, "status":
"Failed", "error", "details"}`` with its ``id`` when it has one.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["JOB_LIMIT", "Job", "JobFate", "Jobs"]

JOB_LIMIT = 30


class JobFate(StrEnum):
    """How a job ends."""

    COMPLETE = "complete"
    FAIL = "fail"
    STALL = "stall"


@dataclass
class Job:
    """One background job."""

    id: str
    job_type: str
    total: int
    fate: JobFate
    reads_needed: int
    work: Callable[[], list[dict[str, Any]]] | None = None
    results: list[dict[str, Any]] | None = None
    reads: int = 0
    status: str = "queued"

    @property
    def unfinished(self) -> bool:
        """Whether the job still counts against the job limit."""
        return self.fate is JobFate.STALL or (self.status in {"queued", "working"} and self.reads < self.reads_needed)

    def advance(self) -> None:
        """One more read: move to ``working``, then to the job's end."""
        self.reads += 1
        if self.fate is JobFate.STALL or self.reads <= self.reads_needed:
            self.status = "working"
        elif self.fate is JobFate.FAIL:
            self.status = "failed"
        else:
            self.status = "completed"

    def render(self, base_url: str, *, finished_at: str) -> dict[str, Any]:
        """The ``job_status`` JSON object."""
        done = self.status == "completed"
        progress = self.total if done else (min(self.reads, self.total) if self.status == "working" else 0)
        message = {"completed": f"Completed at {finished_at}", "failed": "Job failed: the sandbox was asked to fail it"}
        return {
            "id": self.id,
            "job_type": self.job_type,
            "url": f"{base_url}/api/v2/job_statuses/{self.id}.json",
            "total": self.total,
            "progress": progress,
            "status": self.status,
            "message": message.get(self.status),
            "results": self.results if done else None,
        }


@dataclass
class Jobs:
    """Every job of the account, and the faults waiting for the next ones."""

    reads_needed: int = 0
    _jobs: dict[str, Job] = field(default_factory=dict)
    _fates: list[JobFate] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, fate: JobFate, count: int) -> None:
        """Make the next ``count`` jobs end with ``fate``."""
        with self._lock:
            self._fates.extend([fate] * count)

    def start(self, job_type: str, total: int, work: Callable[[], list[dict[str, Any]]]) -> Job | None:
        """Queue a job that runs ``work`` (unless it is to fail or stall); None when the job limit is reached."""
        with self._lock:
            if sum(job.unfinished for job in self._jobs.values()) >= JOB_LIMIT:
                return None
            fate = self._fates.pop(0) if self._fates else JobFate.COMPLETE
            job = Job(secrets.token_hex(16), job_type, total, fate, self.reads_needed)
            self._jobs[job.id] = job
        if fate is JobFate.COMPLETE:
            job.results = work()
        return job

    def read(self, job_id: str) -> Job | None:
        """Read one job (which moves it on), or None when unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                job.advance()
            return job

    def recent(self) -> list[Job]:
        """Every job, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def pending_faults(self) -> int:
        """How many planned failures or stalls wait for a job."""
        with self._lock:
            return len(self._fates)

    def clear_faults(self) -> None:
        """Forget planned failures and stalls, and make jobs complete on their first read."""
        with self._lock:
            self._fates.clear()
            self.reads_needed = 0
