"""Mixpanel's per-request limits on ``/track`` and ``/engage``, and the answers past them.

Mixpanel's pages (read through the stored public copies of docs.mixpanel.com and
developer.mixpanel.com) give the limits; its API description (mixpanel/docs
``openapi/ingestion.openapi.yaml``) gives the answers ``/track`` and ``/engage`` may send::

    limit                          /track                          /engage
    records a request              2,000 events (1)                2,000 updates (4)
    body, uncompressed             10 MiB, as /import (1)(2)(3)    none documented; /import's here
    one record                     < 1 MB of JSON (1)              <= 1 MB (4)   (checked in ingest.py)
    event age                      the last 5 days (1)             -             (checked in ingest.py)

    (1) Track Events, https://docs.mixpanel.com/reference/track-event: "Events per request 2000",
        "Ingesting historical events: Last 5 days only", "The limits for track are the same as /import".
    (2) Import Events, https://docs.mixpanel.com/reference/import-events: "up to 2000 events and 10MB
        uncompressed per request" (older copies of the page at developer.mixpanel.com say 2MB).
    (3) 413 Payload Too Large, https://docs.mixpanel.com/troubleshooting/errors/413-payload-too-large:
        the limit counts the uncompressed body, gzip does not raise it; the answer is 413
        ``{"code": 413, "error": "request exceeds max limit of N bytes", "status": "Request Entity Too
        Large"}`` (the description's ``StrictTooLarge``, which it attaches to /import only).
    (4) User Profile Limits, https://docs.mixpanel.com/reference/user-profile-limits: "2000" profile
        updates a request, each "a maximum of 1 MB"; no limit on the whole request.

``/groups`` (groups.py) takes /engage's limits and answers: no page gives group profiles their own.

The "1 MB" these pages give for /track and /engage is the limit of *one* event or update, not of
a request. A third-party page (mintlify.com/mixpanel/docs, "Rate Limits") gives 2 MB for every
ingestion endpoint, /import included, against Mixpanel's own 10MB: not followed.

Answers here (what no page gives is said so):

- Body over 10 MiB: 413 with /import's body (3), on both endpoints. The 413 page and the error
  index (https://docs.mixpanel.com/troubleshooting/errors: "413 Payload Too Large: The request
  body exceeded the size limit") do not restrict it to /import, and (1) gives /track /import's
  limits. The body for /track and /engage, and /engage's byte limit at all: not found in a public
  document (/import's are used).
- Over 2,000 records: the whole request is refused, nothing is kept. /track, and /engage without
  ``strict``: 200 with ``0``, or ``{"error": ..., "status": 0}`` with ``verbose=1``: the
  description lists only 200 (``Received``: "0 - No data objects in the body are valid"), 401 and
  403 for both, and Update Multiple Profiles (https://docs.mixpanel.com/reference/profile-batch-update)
  says "This API will return a 200 OK even if there are data validation issues". /engage with
  ``strict=1``: 400 ``{"error": ..., "status": 0}``, as its other strict failures (the description
  says only that strict mode returns "per-record error messages"). The error wording: not found in
  a public document.
"""

from __future__ import annotations

from sandbox.common.http import Request, Response
from sandbox.mixpanel.wire import MAX_BODY_BYTES, Payload, coded_error, ingest_error, received

__all__ = ["MAX_RECORDS", "over_limits"]

MAX_RECORDS = 2000
"""Events per /track and /import request, updates per /engage request (Mixpanel's documented maxima)."""


def over_limits(request: Request, payload: Payload, *, records: str, strict: bool) -> Response | None:
    """Mixpanel's answer to a ``/track`` or ``/engage`` request past its request limits; None within them.

    Args:
        request: The request.
        payload: Its records, as ``read_payload`` read them (``size`` uncompressed).
        records: What its records are called in the error (``events``, ``updates``).
        strict: Whether the request asked for strict validation (``/engage`` only).

    Returns:
        413 for a body over ``MAX_BODY_BYTES``; for more than ``MAX_RECORDS`` records the endpoint's
        refusal (``0`` / verbose JSON, or 400 with ``strict=1``); None when the request is within both.
    """
    if payload.size > MAX_BODY_BYTES:
        return coded_error(413, f"request exceeds max limit of {MAX_BODY_BYTES} bytes")
    count = len(payload.items)
    if count <= MAX_RECORDS:
        return None
    message = f"request has {count} {records}; at most {MAX_RECORDS} are allowed"
    if strict:
        return ingest_error(400, message)
    return received(payload, request, valid=0, error=message)
