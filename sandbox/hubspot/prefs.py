"""Communication preferences: email subscription types and each person's status.

    GET  /communication-preferences/v3/definitions
    GET  /communication-preferences/v3/status/email/{emailAddress}
    POST /communication-preferences/v3/subscribe | /unsubscribe     {emailAddress, subscriptionId, ...}
    POST /communication-preferences/v4/statuses/batch/read?channel=EMAIL                {inputs: [emails]}
    POST /communication-preferences/v4/statuses/batch/unsubscribe-all/read?channel=EMAIL {inputs: [emails]}

v3 says subscribed or not; v4 also says when it was stated (``timestamp``). A person
unsubscribed from all email is NOT_SUBSCRIBED to every type (``PORTAL_WIDE_STATUS``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import SUBSCRIPTION_TYPES, EmailEvent, Portal, SubscriptionStatus
from sandbox.hubspot.wire import Category, error, iso

__all__ = ["preferences_api"]

_CREATED = datetime(2019, 8, 6, tzinfo=UTC)
MAX_INPUTS = 100


def _definitions() -> dict[str, Any]:
    return {"subscriptionDefinitions": [
        {"id": sid, "name": name, "description": text, "isActive": True, "isDefault": sid == "1001",
         "isInternal": False, "createdAt": iso(_CREATED), "updatedAt": iso(_CREATED), "purpose": "Marketing",
         "communicationMethod": "Email"}
        for sid, (name, text) in SUBSCRIPTION_TYPES.items()]}  # fmt: skip


def _v3_status(portal: Portal, email: str) -> dict[str, Any]:
    statuses = portal.statuses(email)
    wide = statuses.get("portal")
    out = []
    for sid, (name, text) in SUBSCRIPTION_TYPES.items():
        own = statuses.get(sid)
        subscribed = own is not None and own.subscribed and (wide is None or wide.subscribed)
        source = "PORTAL_WIDE_STATUS" if wide is not None and not wide.subscribed else "SUBSCRIPTION_STATUS"
        out.append({"id": sid, "name": name, "description": text, "status": "SUBSCRIBED" if subscribed else "NOT_SUBSCRIBED",
                    "sourceOfStatus": source, "legalBasis": own.legal_basis if own else None,
                    "legalBasisExplanation": None, "preferenceGroupName": None, "brandId": None})  # fmt: skip
    return {"recipient": email, "subscriptionStatuses": out}


def _v4_status(status: SubscriptionStatus) -> dict[str, Any]:
    return {"channel": "EMAIL", "subscriberIdString": status.email, "subscriptionId": int(status.subscription_id),
            "subscriptionName": SUBSCRIPTION_TYPES[status.subscription_id][0],
            "status": "SUBSCRIBED" if status.subscribed else "NOT_SUBSCRIBED", "source": status.source,
            "legalBasis": status.legal_basis, "legalBasisExplanation": None, "timestamp": iso(status.at)}  # fmt: skip


def _v4_wide(status: SubscriptionStatus) -> dict[str, Any]:
    return {"channel": "EMAIL", "subscriberIdString": status.email, "wideStatusType": "PORTAL_WIDE",
            "status": "SUBSCRIBED" if status.subscribed else "NOT_SUBSCRIBED", "timestamp": iso(status.at)}  # fmt: skip


def _batch(portal: Portal, request: Request, *, wide: bool) -> Response:
    if (request.param("channel") or "").upper() != "EMAIL":
        return error(400, Category.VALIDATION_ERROR, "channel is required and must be EMAIL")
    body = request.json()
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or len(inputs) > MAX_INPUTS:
        return error(400, Category.VALIDATION_ERROR, f"inputs must be a list of at most {MAX_INPUTS} email addresses")
    started = datetime.now(UTC)
    results = []
    for email in (str(i).strip().lower() for i in inputs):
        statuses = portal.statuses(email)
        if wide:
            found = [_v4_wide(s) for k, s in statuses.items() if k == "portal"]
            results.append({"subscriberIdString": email, "wideStatuses": found})
        else:
            found = [_v4_status(s) for k, s in sorted(statuses.items()) if k != "portal"]
            results.append({"subscriberIdString": email, "statuses": found})
    return Response.json(200, {"status": "COMPLETE", "results": results, "requestedAt": iso(started),
                               "startedAt": iso(started), "completedAt": iso(datetime.now(UTC)), "links": {}})  # fmt: skip


def _change(portal: Portal, request: Request, *, subscribe: bool) -> Response:
    body = request.json()
    email, sid = str(body.get("emailAddress", "")).lower(), str(body.get("subscriptionId", ""))
    if sid not in SUBSCRIPTION_TYPES or "@" not in email:
        return error(400, Category.VALIDATION_ERROR, "emailAddress and a known subscriptionId are required")
    current = portal.statuses(email).get(sid)
    if current is not None and current.subscribed == subscribe:
        word = "subscribed to" if subscribe else "unsubscribed from"
        return error(400, Category.VALIDATION_ERROR, f"{email} is already {word} subscription {sid}")
    status = SubscriptionStatus(email, sid, subscribed=subscribe, at=portal.now(),
                                legal_basis=body.get("legalBasis") or "LEGITIMATE_INTEREST_CLIENT")  # fmt: skip
    portal.set_status(status)
    word = "SUBSCRIBED" if subscribe else "UNSUBSCRIBED"
    extra = {
        "source": "SOURCE_RECIPIENT",
        "changeType": "SUBSCRIPTION_STATUS",
        "subscriptions": [{"id": int(sid), "status": word}],
    }
    portal.add_event(EmailEvent(str(uuid.uuid4()), int(status.at.timestamp() * 1000), "STATUSCHANGE", email, extra))
    name, text = SUBSCRIPTION_TYPES[sid]
    return Response.json(200, {"id": sid, "name": name, "description": text,
                               "status": "SUBSCRIBED" if subscribe else "NOT_SUBSCRIBED",
                               "sourceOfStatus": "SUBSCRIPTION_STATUS", "legalBasis": status.legal_basis,
                               "legalBasisExplanation": body.get("legalBasisExplanation")})  # fmt: skip


def preferences_api(portal: Portal, request: Request, rest: list[str]) -> Response:
    """Answer one ``/communication-preferences/...`` request (``rest`` starts at the version)."""
    try:
        with portal.lock:
            if rest == ["v3", "definitions"] and request.method == "GET":
                return Response.json(200, _definitions())
            if rest[:3] == ["v3", "status", "email"] and len(rest) == 4 and request.method == "GET":
                return Response.json(200, _v3_status(portal, unquote(rest[3]).strip().lower()))
            if rest in (["v3", "subscribe"], ["v3", "unsubscribe"]) and request.method == "POST":
                return _change(portal, request, subscribe=rest[1] == "subscribe")
            if rest == ["v4", "statuses", "batch", "read"] and request.method == "POST":
                return _batch(portal, request, wide=False)
            if rest == ["v4", "statuses", "batch", "unsubscribe-all", "read"] and request.method == "POST":
                return _batch(portal, request, wide=True)
    except (ValueError, AttributeError, TypeError):
        return error(400, Category.VALIDATION_ERROR, "Invalid input JSON: expected an object")
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")
