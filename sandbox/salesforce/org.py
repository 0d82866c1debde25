"""The sandbox org's data: objects, records, the clock and the formula epoch.

Records are stored as dicts of typed values (``datetime`` for datetime fields,
``date`` for dates, ``bool``, numbers, ``str``). A corrupted value (a fault) is
stored as a plain string and rendered as it is, as a broken record would look.
Derived fields (``Name``, compound addresses, the formula field) are computed when
read; the formula's value depends on ``formula_epoch`` and never moves
``SystemModstamp``.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox.salesforce.ids import make_id, to18
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef, build_objects

__all__ = ["INTEGRATION_USERNAME", "INTEGRATION_USER_ID", "Org", "Record", "format_datetime"]

Record = dict[str, Any]
INTEGRATION_USER_ID = make_id("005", 100_001)
INTEGRATION_USERNAME = "integration@contactpoint.sandbox"
"""The user every session of the sandbox acts as."""


def format_datetime(value: datetime) -> str:
    """Salesforce's datetime format: ``2024-01-15T10:00:00.000+0000``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


class Org:
    """All objects and records of one sandbox org, guarded by one lock."""

    def __init__(
        self, *, clock: Callable[[], datetime] | None = None, objects: dict[str, ObjectDef] | None = None
    ) -> None:
        self.objects: dict[str, ObjectDef] = build_objects() if objects is None else objects
        self.records: dict[str, dict[str, Record]] = {name: {} for name in self.objects}
        self.lock = threading.RLock()
        self.formula_epoch = 0
        self.org_id = make_id("00D", 1)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._counters: dict[str, int] = {}
        self._last_now = datetime(2000, 1, 1, tzinfo=UTC)

    def object(self, name: str) -> ObjectDef | None:
        """The object called ``name`` (any case), or None."""
        lower = name.lower()
        return next((o for n, o in self.objects.items() if n.lower() == lower), None)

    def add_object(self, obj: ObjectDef) -> None:
        """Register a new object with no records."""
        self.objects[obj.name] = obj
        self.records.setdefault(obj.name, {})

    def new_id(self, prefix: str) -> str:
        """A fresh 18-character ID with key prefix ``prefix``."""
        self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return make_id(prefix, 100_000 + self._counters[prefix])

    def now(self) -> datetime:
        """The org's clock, strictly increasing by at least a millisecond between calls."""
        raw = self._clock().astimezone(UTC)
        now = raw.replace(microsecond=raw.microsecond // 1000 * 1000)
        if now <= self._last_now:
            now = self._last_now + timedelta(milliseconds=1)
        self._last_now = now
        return now

    def snapshot(self) -> tuple[dict[str, dict[str, Record]], dict[str, int]]:
        """A copy of every record and ID counter, for ``restore`` (an all-or-none request's rollback)."""
        with self.lock:
            return copy.deepcopy(self.records), dict(self._counters)

    def restore(self, saved: tuple[dict[str, dict[str, Record]], dict[str, int]]) -> None:
        """Put back the records and counters of a ``snapshot``; objects added since keep no records."""
        records, counters = saved
        with self.lock:
            for name in self.records:
                self.records[name] = records.get(name, {})
            self._counters = dict(counters)

    def clock_now(self) -> datetime:
        """The org's clock as it reads now, in UTC (without moving the stamps ``now()`` hands out)."""
        return self._clock().astimezone(UTC)

    def reserve_clock(self, moment: datetime) -> None:
        """Make every later ``now()`` come after ``moment`` (seeded data must stay in the past)."""
        self._last_now = max(self._last_now, moment)

    def get(self, sobject: str, record_id: str) -> Record | None:
        """The record of ``sobject`` with ``record_id`` (15 or 18 characters), deleted or not."""
        return self.records.get(sobject, {}).get(to18(record_id)) if len(record_id) in (15, 18) else None

    def object_for_id(self, record_id: str) -> str | None:
        """The name of the object whose key prefix starts ``record_id``."""
        return next((o.name for o in self.objects.values() if record_id.startswith(o.key_prefix)), None)

    def live(self, sobject: str, *, include_deleted: bool = False) -> Iterator[Record]:
        """The records of ``sobject`` in ID order; deleted ones only when asked."""
        for record in self.records.get(sobject, {}).values():
            if include_deleted or not record.get("IsDeleted"):
                yield record

    def find_by(self, sobject: str, field: str, value: str) -> list[Record]:
        """The live records of ``sobject`` whose ``field`` equals ``value``, ignoring case (external ID lookups)."""
        wanted = value.lower()
        return [r for r in self.live(sobject) if str(r.get(field) or "").lower() == wanted]

    def insert(self, sobject: str, values: Record) -> Record:
        """Store a new record with system fields set; returns it."""
        obj = self.objects[sobject]
        now = self.now()
        record: Record = {"Id": self.new_id(obj.key_prefix), "IsDeleted": False, "OwnerId": INTEGRATION_USER_ID}
        for definition in obj.fields.values():
            if definition.type == FieldType.BOOLEAN:
                record.setdefault(definition.name, False)
            elif definition.default is not None:
                record.setdefault(definition.name, definition.default)
        record |= {"CreatedDate": now, "LastModifiedDate": now, "SystemModstamp": now} | values
        self.records[sobject][record["Id"]] = record
        return record

    def update(self, record: Record, values: Record) -> None:
        """Apply ``values`` to ``record`` and move its modification stamps."""
        now = self.now()
        record.update(values)
        record["LastModifiedDate"] = now
        record["SystemModstamp"] = now

    def value(self, sobject: str, record: Record, definition: FieldDef) -> Any:
        """The typed value of ``definition`` on ``record``, computing derived fields."""
        name = definition.name
        obj = self.objects.get(sobject)
        derive = obj.derived.get(name) if obj is not None and obj.derived else None
        if derive is not None:
            return derive(record)
        if definition.calculated:
            return self._formula(record)
        if definition.type == FieldType.ADDRESS:
            prefix = name.removesuffix("Address")
            return {
                "city": record.get(f"{prefix}City"),
                "country": record.get(f"{prefix}Country"),
                "geocodeAccuracy": None,
                "latitude": None,
                "longitude": None,
                "postalCode": record.get(f"{prefix}PostalCode"),
                "state": None,
                "street": record.get(f"{prefix}Street"),
            }
        if name == "Name" and sobject in {"Contact", "Lead", "User"} and "LastName" in record:
            first = record.get("FirstName")
            return f"{first} {record['LastName']}" if first else record["LastName"]
        return record.get(name)

    def _formula(self, record: Record) -> float:
        if record.get("HasOptedOutOfEmail"):
            return 0.0
        digest = hashlib.sha256(f"{record['Id']}:{self.formula_epoch}".encode()).digest()
        return round(int.from_bytes(digest[:2], "big") / 655.35, 2)

    def json_value(self, sobject: str, record: Record, definition: FieldDef) -> Any:
        """The value of ``definition`` as Salesforce writes it in JSON."""
        return to_wire(self.value(sobject, record, definition))


def to_wire(value: Any) -> Any:
    """A typed value in Salesforce's JSON form (datetimes and dates as strings)."""
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
