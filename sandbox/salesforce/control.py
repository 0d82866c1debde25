"""The Salesforce sandbox's control handle: faults, API usage and request counts.

Fault kinds (``FaultSpec.kind``; ``count`` where it counts)::

    rate_limited            next COUNT API requests answer 429 with Retry-After
    unavailable             next COUNT API requests answer 503 SERVER_UNAVAILABLE with Retry-After
    request_limit_exceeded  next COUNT API requests answer 403 REQUEST_LIMIT_EXCEEDED
    expire_session          every session issued so far answers 401 INVALID_SESSION_ID
    malformed_record        a record gets a broken value (params: sobject, record_id, field, value;
                            default: the first live Contact's Birthdate becomes "1987-02-31")
    fail_records            writes to these IDs fail with FIELD_CUSTOM_VALIDATION_EXCEPTION (params: ids)
    refuse_delete           deletes of these IDs fail with DELETE_FAILED (params: ids); updates still work
    formula_change          every formula value changes; SystemModstamp does not move
"""

from __future__ import annotations

import threading
from enum import StrEnum
from typing import Any

from core.errors import ConfigError
from sandbox.common.control import FaultSpec, RequestLog, TransientFaults
from sandbox.salesforce.auth import SessionStore
from sandbox.salesforce.ids import to18
from sandbox.salesforce.org import Org

__all__ = ["ApiUsage", "SalesforceControl", "SalesforceFault"]


class SalesforceFault(StrEnum):
    """The fault kinds the Salesforce sandbox knows."""

    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    REQUEST_LIMIT_EXCEEDED = "request_limit_exceeded"
    EXPIRE_SESSION = "expire_session"
    MALFORMED_RECORD = "malformed_record"
    FAIL_RECORDS = "fail_records"
    FORMULA_CHANGE = "formula_change"
    REFUSE_DELETE = "refuse_delete"


class ApiUsage:
    """The daily API request count against its limit (``Sforce-Limit-Info: api-usage=used/limit``)."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self.used = 0
        self.limit = limit

    def take(self) -> bool:
        """Count one request; False (and nothing counted) when the limit is already reached."""
        with self._lock:
            if self.used >= self.limit:
                return False
            self.used += 1
            return True

    def set(self, used: int, *, limit: int | None = None) -> None:
        """Set the used count (and optionally the limit)."""
        with self._lock:
            self.used = used
            if limit is not None:
                self.limit = limit

    def header(self) -> str:
        """The ``Sforce-Limit-Info`` value."""
        with self._lock:
            return f"api-usage={self.used}/{self.limit}"


class SalesforceControl:
    """Inject faults and read counters of a running Salesforce sandbox.

    Attributes:
        requests: Request counts by ``"METHOD /path"``.
        transient: Queued 429/503 answers.
        limit_exceeded: Queued 403 REQUEST_LIMIT_EXCEEDED answers (only their count matters).
        usage: API usage against the daily limit.
    """

    def __init__(self, org: Org, sessions: SessionStore, usage: ApiUsage) -> None:
        self.org = org
        self.sessions = sessions
        self.usage = usage
        self.requests = RequestLog()
        self.transient = TransientFaults()
        self.limit_exceeded = TransientFaults()
        self.failing_ids: set[str] = set()
        self.undeletable_ids: set[str] = set()
        self._lock = threading.Lock()

    def inject(self, spec: FaultSpec) -> None:
        """Inject one fault.

        Raises:
            ConfigError: Unknown fault kind or bad parameters.
        """
        try:
            kind = SalesforceFault(spec.kind)
        except ValueError:
            known = ", ".join(f.value for f in SalesforceFault)
            msg = f"unknown Salesforce sandbox fault {spec.kind!r}"
            raise ConfigError(msg, hint=f"known faults: {known}") from None
        if kind in {SalesforceFault.RATE_LIMITED, SalesforceFault.UNAVAILABLE}:
            status = 429 if kind == SalesforceFault.RATE_LIMITED else 503
            self.fail_next(spec.count, status=status, retry_after=spec.retry_after)
        elif kind == SalesforceFault.REQUEST_LIMIT_EXCEEDED:
            self.exceed_request_limit(spec.count)
        elif kind == SalesforceFault.EXPIRE_SESSION:
            self.expire_sessions()
        elif kind == SalesforceFault.MALFORMED_RECORD:
            self.corrupt_record(**spec.params)
        elif kind == SalesforceFault.FAIL_RECORDS:
            self.fail_records(list(spec.params.get("ids", [])))
        elif kind == SalesforceFault.REFUSE_DELETE:
            self.refuse_delete(list(spec.params.get("ids", [])))
        else:
            self.change_formula()

    def fail_next(self, count: int = 1, *, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status`` (429 or 503) and ``Retry-After``."""
        self.transient.add(status, count=count, retry_after=retry_after)

    def exceed_request_limit(self, count: int = 1) -> None:
        """Answer the next ``count`` API requests with 403 REQUEST_LIMIT_EXCEEDED."""
        self.limit_exceeded.add(403, count=count, retry_after=0)

    def expire_sessions(self) -> int:
        """Expire every session issued so far; returns how many were live."""
        return self.sessions.expire_all()

    def corrupt_record(
        self,
        sobject: str = "Contact",
        record_id: str | None = None,
        field: str = "Birthdate",
        value: str = "1987-02-31",
    ) -> str:
        """Store a broken ``value`` in ``field`` of a record (the first live one by default); returns its ID.

        Raises:
            ConfigError: Unknown object, field or record.
        """
        with self.org.lock:
            obj = self.org.object(sobject)
            definition = obj.field(field) if obj else None
            if obj is None or definition is None:
                msg = f"malformed_record: no field {sobject}.{field}"
                raise ConfigError(msg, hint="name an existing object and field")
            record = self.org.get(obj.name, record_id) if record_id else next(self.org.live(obj.name), None)
            if record is None:
                msg = f"malformed_record: no {obj.name} record {record_id!r}"
                raise ConfigError(msg, hint="name an existing record ID, or none for the first one")
            record[definition.name] = value
            return str(record["Id"])

    def fail_records(self, ids: list[str]) -> None:
        """Make writes to these record IDs fail with FIELD_CUSTOM_VALIDATION_EXCEPTION."""
        with self._lock:
            self.failing_ids |= {to18(i) for i in ids}

    def refuse_delete(self, ids: list[str]) -> None:
        """Make deletes of these record IDs fail with DELETE_FAILED (a contact tied to open cases, as in Salesforce)."""
        with self._lock:
            self.undeletable_ids |= {to18(i) for i in ids}

    def change_formula(self) -> None:
        """Change every formula field's value without moving SystemModstamp."""
        with self.org.lock:
            self.org.formula_epoch += 1

    def set_api_usage(self, used: int, *, limit: int | None = None) -> None:
        """Set the API usage counter (and optionally the limit); at the limit every API call gets 403."""
        self.usage.set(used, limit=limit)

    def stats(self) -> dict[str, Any]:
        """Request counts, API usage and the faults still pending."""
        return {
            "requests": self.requests.snapshot(),
            "api_usage": {"used": self.usage.used, "limit": self.usage.limit},
            "pending": {"transient": self.transient.pending(), "request_limit_exceeded": self.limit_exceeded.pending()},
            "failing_ids": sorted(self.failing_ids),
            "undeletable_ids": sorted(self.undeletable_ids),
            "formula_epoch": self.org.formula_epoch,
        }

    def reset(self) -> None:
        """Clear faults, counts and usage (data and sessions stay)."""
        self.transient.clear()
        self.limit_exceeded.clear()
        self.requests.clear()
        with self._lock:
            self.failing_ids.clear()
            self.undeletable_ids.clear()
        self.usage.set(0)
