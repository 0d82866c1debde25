"""Data replication: ``sobjects/{obj}/updated/`` and ``sobjects/{obj}/deleted/`` (``?start=&end=``).

As the REST API Developer Guide describes them (resources_getupdated.htm,
resources_getdeleted.htm) and the SOAP guide's getUpdated()/getDeleted() rules:

- ``start`` and ``end`` are ISO 8601 date-times; their seconds are ignored;
- ``updated`` answers ``{"ids": [...], "latestDateCovered"}``: the live records whose
  ``SystemModstamp`` falls in ``[start, end)``;
- ``deleted`` answers ``{"deletedRecords": [{"id", "deletedDate"}], "earliestDateAvailable",
  "latestDateCovered"}``: the records in the recycle bin deleted in that span (``deletedDate``
  is their ``SystemModstamp``);
- ``latestDateCovered`` is ``end``, or now when ``end`` is later, to the minute;
- 400 INVALID_REPLICATION_DATE when ``start`` is not before ``end`` (for ``deleted``, by more
  than a minute), or reaches further back than the log keeps: 30 days for ``updated``,
  15 days for ``deleted``; 400 EXCEEDED_ID_LIMIT past 600,000 IDs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.org import Org, format_datetime
from sandbox.salesforce.schema import ObjectDef
from sandbox.salesforce.wire import ErrorCode, error

__all__ = ["MAX_IDS", "replication"]

MAX_IDS = 600_000
_KEPT = {"updated": timedelta(days=30), "deleted": timedelta(days=15)}


def _instant(raw: str | None) -> datetime | None:
    """An ISO 8601 date-time to the minute (a ``+`` left unencoded arrives as a space)."""
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(second=0, microsecond=0)


def _window(request: Request, kind: str, now: datetime) -> tuple[datetime, datetime] | Response:
    start, end = _instant(request.param("start")), _instant(request.param("end"))
    if start is None or end is None:
        detail = "start and end are required: ISO 8601 date-times such as 2024-05-06T00:00:00+00:00"
        return error(400, ErrorCode.INVALID_REPLICATION_DATE, detail)
    gap = timedelta(minutes=1) if kind == "deleted" else timedelta(0)
    if end - start <= gap:
        qualifier = " by more than one minute" if kind == "deleted" else ""
        return error(
            400, ErrorCode.INVALID_REPLICATION_DATE, f"startDate must chronologically precede endDate{qualifier}"
        )
    if start < now - _KEPT[kind]:
        days = _KEPT[kind].days
        return error(400, ErrorCode.INVALID_REPLICATION_DATE, f"startDate cannot be more than {days} days ago")
    return start, end


def replication(request: Request, org: Org, obj: ObjectDef, kind: str) -> Response:
    """Answer ``GET sobjects/{obj}/updated/`` (``kind`` ``updated``) or ``.../deleted/``."""
    if request.method != "GET":
        return error(405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed. Allowed are GET")
    now = org.clock_now()
    window = _window(request, kind, now)
    if isinstance(window, Response):
        return window
    start, end = window
    covered = format_datetime(min(end, now.replace(second=0, microsecond=0)))
    with org.lock:
        found = [
            r for r in org.live(obj.name, include_deleted=kind == "deleted")
            if bool(r.get("IsDeleted")) == (kind == "deleted") and _stamped_in(r, start, end)
        ]  # fmt: skip
    if len(found) > MAX_IDS:
        msg = f"More than {MAX_IDS} IDs; choose start and end dates closer together"
        return error(400, ErrorCode.EXCEEDED_ID_LIMIT, msg)
    if kind == "updated":
        return Response.json(200, {"ids": [r["Id"] for r in found], "latestDateCovered": covered})
    body: dict[str, Any] = {
        "deletedRecords": [{"id": r["Id"], "deletedDate": format_datetime(r["SystemModstamp"])} for r in found],
        "earliestDateAvailable": format_datetime((now - _KEPT["deleted"]).replace(second=0, microsecond=0)),
        "latestDateCovered": covered,
    }
    return Response.json(200, body)


def _stamped_in(record: dict[str, Any], start: datetime, end: datetime) -> bool:
    stamp = record.get("SystemModstamp")
    return isinstance(stamp, datetime) and start <= stamp < end
