"""The Zendesk sandbox's control handle: faults, rate limits, the clock and request counts.

Fault kinds (``FaultSpec.kind``; ``count`` where it counts)::

    rate_limited        next COUNT API requests answer 429 APIRateLimitExceeded with Retry-After
    unavailable         next COUNT API requests answer 503 with Retry-After
    malformed_record    a record gets a broken value (params: stream, record_id, field, value; default:
                        the first end user's updated_at becomes "2024-13-45T99:00:00Z")
    fail_records        bulk updates of these user IDs fail in the job results (params: ids)
    job_fails           the next COUNT bulk jobs end "failed", writing nothing
    job_stalls          the next COUNT bulk jobs stay "working" for ever, writing nothing
    revoke_tokens       the API token and the OAuth token are refused from now on (401)

Limits, as Zendesk's: ``account_limit`` requests a minute for the account (700),
``export_limit`` a minute for the incremental exports (10) and ``search_export_limit`` a
minute for ``search/export`` (100; each also counts against the account's), each
answered 429 with ``Retry-After`` when spent. Tests that export a lot raise ``export_limit``.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.errors import ConfigError
from sandbox.common.control import FaultSpec, RequestLog, TransientFaults
from sandbox.zendesk.account import Account, Kind
from sandbox.zendesk.jobs import JobFate, Jobs
from sandbox.zendesk.users import merge_users

__all__ = [
    "DEFAULT_ACCOUNT_LIMIT",
    "DEFAULT_EXPORT_LIMIT",
    "DEFAULT_SEARCH_EXPORT_LIMIT",
    "Limits",
    "Window",
    "ZendeskControl",
    "ZendeskFault",
]

DEFAULT_ACCOUNT_LIMIT = 700
DEFAULT_EXPORT_LIMIT = 10
DEFAULT_SEARCH_EXPORT_LIMIT = 100
"""Zendesk: search export "is rate-limited to 100 requests per minute per account"."""


class ZendeskFault(StrEnum):
    """The fault kinds the Zendesk sandbox knows."""

    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    MALFORMED_RECORD = "malformed_record"
    FAIL_RECORDS = "fail_records"
    JOB_FAILS = "job_fails"
    JOB_STALLS = "job_stalls"
    REVOKE_TOKENS = "revoke_tokens"


@dataclass
class Window:
    """Requests counted in fixed one-minute windows (of the monotonic clock), against a limit."""

    limit: int
    used: int = 0
    started: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[bool, int, int]:
        """Count one request: (allowed, remaining, seconds until the window resets)."""
        with self._lock:
            now = time.monotonic()
            if now - self.started >= 60:
                self.started, self.used = now - (now % 60), 0
            resets = max(1, math.ceil(self.started + 60 - now))
            if self.used >= self.limit:
                return False, 0, resets
            self.used += 1
            return True, self.limit - self.used, resets

    def reset(self) -> None:
        """Start a fresh window."""
        with self._lock:
            self.used, self.started = 0, 0.0


@dataclass
class Limits:
    """The account's per-minute limit, the incremental exports' own and search export's own."""

    account: Window = field(default_factory=lambda: Window(DEFAULT_ACCOUNT_LIMIT))
    exports: Window = field(default_factory=lambda: Window(DEFAULT_EXPORT_LIMIT))
    search_export: Window = field(default_factory=lambda: Window(DEFAULT_SEARCH_EXPORT_LIMIT))


class ZendeskControl:
    """Inject faults into, and read counters of, a running Zendesk sandbox.

    Attributes:
        requests: Request counts by ``"METHOD /path"``.
        transient: Queued 429/503 answers.
        limits: The per-minute request windows.
        failing_ids: User IDs whose bulk updates fail.
        revoked: Whether the API and OAuth tokens are refused.
    """

    def __init__(self, account: Account, jobs: Jobs) -> None:
        self.account = account
        self.jobs = jobs
        self.requests = RequestLog()
        self.transient = TransientFaults()
        self.limits = Limits()
        self.failing_ids: set[int] = set()  # shared with the users API, so only ever changed in place
        self.revoked = False
        self._lock = threading.Lock()

    def inject(self, spec: FaultSpec) -> None:
        """Inject one fault.

        Raises:
            ConfigError: Unknown fault kind or bad parameters.
        """
        try:
            kind = ZendeskFault(spec.kind)
        except ValueError:
            known = ", ".join(f.value for f in ZendeskFault)
            msg = f"unknown Zendesk sandbox fault {spec.kind!r}; known faults: {known}"
            raise ConfigError(msg, hint="write faults as KIND or KIND:COUNT, e.g. rate_limited:2") from None
        if kind in {ZendeskFault.RATE_LIMITED, ZendeskFault.UNAVAILABLE}:
            status = 429 if kind is ZendeskFault.RATE_LIMITED else 503
            self.fail_next(spec.count, status=status, retry_after=spec.retry_after)
        elif kind is ZendeskFault.MALFORMED_RECORD:
            self.corrupt_record(**spec.params)
        elif kind is ZendeskFault.FAIL_RECORDS:
            self.fail_records([int(i) for i in spec.params.get("ids", [])])
        elif kind is ZendeskFault.JOB_FAILS:
            self.jobs.plan(JobFate.FAIL, spec.count)
        elif kind is ZendeskFault.JOB_STALLS:
            self.jobs.plan(JobFate.STALL, spec.count)
        else:
            self.revoked = True

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status`` (429 or 503) and ``Retry-After``."""
        self.transient.add(status, count=count, retry_after=retry_after)

    def corrupt_record(
        self,
        stream: str = "users",
        record_id: int | None = None,
        field: str = "updated_at",
        value: Any = "2024-13-45T99:00:00Z",
    ) -> int:
        """Store a broken ``value`` in ``field`` of a record (the first end user by default); return its ID.

        Raises:
            ConfigError: Unknown stream or record.
        """
        try:
            records = self.account.records(Kind(stream))
        except ValueError:
            msg = f"malformed_record: no stream {stream!r}"
            raise ConfigError(msg, hint="use users, organizations or tickets") from None
        with self.account.lock:
            candidates = [r for _, r in sorted(records.items()) if r.get("role", "end-user") == "end-user"]
            record = records.get(int(record_id)) if record_id is not None else (candidates[0] if candidates else None)
            if record is None:
                msg = f"malformed_record: no {stream} record {record_id!r}"
                raise ConfigError(msg, hint="name an existing record ID, or none for the first one")
            record[field] = value
            return int(record["id"])

    def fail_records(self, ids: list[int]) -> None:
        """Make bulk updates of these user IDs fail in the job results."""
        with self._lock:
            self.failing_ids |= set(ids)

    def job_reads(self, reads: int) -> None:
        """Make every later job answer ``working`` for ``reads`` reads before it completes."""
        self.jobs.reads_needed = max(0, reads)

    def set_limits(
        self, *, account: int | None = None, exports: int | None = None, search_export: int | None = None
    ) -> None:
        """Set the per-minute request limits (the account's, the incremental exports' and search export's)."""
        if account is not None:
            self.limits.account.limit = account
        if exports is not None:
            self.limits.exports.limit = exports
        if search_export is not None:
            self.limits.search_export.limit = search_export

    def advance_clock(self, seconds: float = 61) -> None:
        """Move the account's clock on (exports leave out the last minute of changes)."""
        self.account.clock.advance(seconds)

    def merge_users(self, source_id: int, target_id: int) -> None:
        """Merge one user into another, as an agent would: tickets move, the source is deleted."""
        merge_users(self.account, self.account.users[source_id], self.account.users[target_id])

    def delete(self, stream: str, record_id: int) -> None:
        """Delete one record as Zendesk does: an inactive user, a ``deleted`` ticket, an organization's ``deleted_at``."""
        with self.account.lock:
            record = self.account.records(Kind(stream))[record_id]
            if stream == Kind.TICKETS:
                self.account.delete_ticket(record)
                return
            if stream == Kind.USERS:
                record["active"] = False
            else:
                record["deleted_at"] = self.account.clock.now()
            self.account.touch(record)

    def stats(self) -> dict[str, Any]:
        """Request counts, limits and the faults still pending."""
        return {
            "requests": self.requests.snapshot(),
            "limits": {
                "account": self.limits.account.limit,
                "exports": self.limits.exports.limit,
                "search_export": self.limits.search_export.limit,
            },
            "pending": {"transient": self.transient.pending(), "jobs": self.jobs.pending_faults()},
            "failing_ids": sorted(self.failing_ids),
            "revoked": self.revoked,
        }

    def reset(self) -> None:
        """Clear faults, counts and used limits (data, limits' sizes and the clock stay)."""
        self.transient.clear()
        self.requests.clear()
        self.jobs.clear_faults()
        self.limits.account.reset()
        self.limits.exports.reset()
        self.limits.search_export.reset()
        with self._lock:
            self.failing_ids.clear()
        self.revoked = False
