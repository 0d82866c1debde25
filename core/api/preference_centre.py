"""The preference centre: the customer sees what each system holds, sets preferences, grants and revokes.

    GET  /ledger/sign-in?token=…   check the link, ask to continue (a mail scanner's GET uses nothing up)
    POST /ledger/sign-in           use the link (once) and open a session
    GET  /ledger/                  the person's page
    POST /ledger/preferences | /ledger/consents | /ledger/interests | /ledger/grants | /ledger/revoke
    GET  /ledger/export            download the signed ledger
    POST /ledger/sign-out

Every POST carries the session's CSRF token. Every change is a signed statement from
the ``preference_centre`` source, appended to the person's ledger; nothing is edited.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.api.forms import (
    GRANTABLE,
    FormRefused,
    check_topic,
    read_consents,
    read_grant,
    read_preferences,
    read_system,
)
from core.api.web import COOKIE, AppState, page, require_csrf, require_session, session_of, state_of
from core.api.wording import history_rows, plain_time
from core.ledger.errors import StatementRejected
from core.ledger.links import LinkRefused, read_link_token
from core.ledger.service import export_person, record_statements
from core.ledger.statements import iso
from core.ledger.vocabulary import LedgerChannel, Purpose, Stance
from core.store.ledger_access import LinkUse, Session

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["preference centre"])
Csrf = Annotated[str | None, Form()]
_REFUSED = {
    LinkUse.USED: "This sign-in link has already been used. Ask for a new one.",
    LinkUse.EXPIRED: "This sign-in link has expired. Ask for a new one.",
    LinkUse.UNKNOWN: "This sign-in link is not known here. Ask for a new one.",
}


def _record(app: AppState, session: Session, items: list[dict[str, Any]]) -> None:
    if not items:
        return
    source = {"kind": "preference_centre"}
    bodies = [{"person": session.profile_id, "source": source, **item} for item in items]
    try:
        record_statements(app.store, bodies, keyring=app.keyring(), sign=True)
    except StatementRejected as err:  # the forms are read first; this is the ledger's last word
        raise FormRefused([problem.split(": ", 1)[-1] for problem in err.problems]) from None


def _done(what: str) -> RedirectResponse:
    return RedirectResponse(f"/ledger/?saved={what}", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse, summary="Check a sign-in link and ask to continue")
def sign_in_page(request: Request, token: str = "") -> HTMLResponse:
    """Show the sign-in page for a link's token (refusing a forged or expired one at once)."""
    app = state_of(request)
    try:
        read_link_token(token, app.keyring(), now=app.store.database.now())
    except LinkRefused as err:
        raise HTTPException(
            status_code=403, detail=f"{err.reason[0].upper()}{err.reason[1:]}. Ask for a new one."
        ) from None
    return page(request, "sign_in.html", {"token": token, "signed_in": False})


@router.post("/sign-in", summary="Use a sign-in link (once) and open a session")
def sign_in(request: Request, token: Annotated[str, Form()] = "") -> Response:
    """Use the link: a session cookie and a redirect to the person's page, or a refusal."""
    app = state_of(request)
    try:
        claims = read_link_token(token, app.keyring(), now=app.store.database.now())
    except LinkRefused as err:
        raise HTTPException(status_code=403, detail=err.reason) from None
    outcome, profile_id = app.store.ledger_access.use_link(claims.nonce)
    if outcome is not LinkUse.SIGNED_IN or profile_id != claims.profile_id:
        raise HTTPException(status_code=403, detail=_REFUSED.get(outcome, _REFUSED[LinkUse.UNKNOWN]))
    session_id, _session = app.store.ledger_access.start_session(profile_id, minutes=app.settings.session_minutes)
    response = RedirectResponse("/ledger/", status_code=303)
    secure = app.settings.public_url.startswith("https://")
    max_age = int(timedelta(minutes=app.settings.session_minutes).total_seconds())
    response.set_cookie(COOKIE, session_id, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/")
    return response


def _holdings(app: AppState, profile_id: str) -> dict[str, dict[str, Any]]:
    """What each system holds about the person: its records, and the golden values it supplied."""
    systems: dict[str, dict[str, Any]] = defaultdict(lambda: {"records": [], "values": []})
    for link in app.store.links.of_profile(profile_id):
        systems[link.system]["records"].append(f"{link.stream}/{link.source_id}")
    profile = app.store.profiles.get(profile_id)
    for field, golden in sorted((profile.golden if profile else {}).items()):
        source = golden.get("source") or {} if isinstance(golden, dict) else {}
        value = golden.get("value") if isinstance(golden, dict) else golden
        systems[str(source.get("system") or "contactpoint")]["values"].append((field, value))
    return dict(sorted(systems.items()))


def _systems(app: AppState, holdings: dict[str, Any], grants: list[dict[str, Any]]) -> list[str]:
    """The systems the page lists: those holding a record or value, those granted, and registered clients."""
    known = set(holdings) | {g["system"] for g in grants} | {c.system for c in app.store.oauth.clients()}
    return sorted(known - {"contactpoint"})


def _listed_systems(app: AppState, profile_id: str) -> list[str]:
    """The systems the person's page lists (the only ones its forms offer)."""
    grants = app.store.ledger.state_in_force(profile_id, mode=app.settings.mode).to_json()["grants"]
    return _systems(app, _holdings(app, profile_id), grants)


@router.get("/", response_class=HTMLResponse, summary="The person's preference centre")
def centre(request: Request, saved: str | None = None) -> HTMLResponse:
    """Show what each system holds, the preferences, consents, interests and grants in force, and the history."""
    app, session = state_of(request), session_of(request)
    if session is None:
        context = {"title": "Sign in", "signed_in": False,
                   "message": "Open the sign-in link you were sent to see and change your preferences."}  # fmt: skip
        return page(request, "message.html", context, status_code=401)
    state = app.store.ledger.state_in_force(session.profile_id, mode=app.settings.mode)
    holdings = _holdings(app, session.profile_id)
    data = state.to_json()
    history = history_rows(app.store.ledger.history(session.profile_id))
    context = {
        "signed_in": True, "saved": saved, "csrf": session.csrf_token, "profile_id": session.profile_id,
        "holdings": holdings, "state": data, "prefs": state.preferences, "systems": _systems(app, holdings, data["grants"]),
        "channels": list(LedgerChannel), "purposes": list(Purpose), "parts": GRANTABLE,
        "consents": {f"{c['channel']}/{c['purpose']}": c for c in data["consents"]}, "history": history,
        "session_ends": plain_time(session.expires_at),
    }  # fmt: skip
    return page(request, "centre.html", context)


@router.post("/preferences", summary="Set communication preferences")
async def set_preferences(request: Request) -> RedirectResponse:
    """Record a statement for each preference that changed; a value the form never offers is refused (400)."""
    form = await request.form()
    app, session = state_of(request), require_session(request)
    require_csrf(session, str(form.get("csrf_token") or ""))
    current = app.store.ledger.state_in_force(session.profile_id).preferences.writeback_values()
    held = {
        "preferred_channel": current["ledger.preferred_channel"],
        "quiet_hours": None if current["ledger.quiet_hours"] is None else {
            "start": current["ledger.quiet_hours_start"], "end": current["ledger.quiet_hours_end"],
            "timezone": current["ledger.timezone"]},
        "weekly_cap": current["ledger.weekly_cap"],
        "never_call": current["ledger.never_call"],
    }  # fmt: skip
    wanted = read_preferences({k: str(v) for k, v in form.items()}, held)
    changed = [{"type": "preference", "name": k, "value": v} for k, v in wanted.items() if held[k] != v]
    _record(app, session, changed)
    return _done("preferences")


@router.post("/consents", summary="Give or withdraw consents")
async def set_consents(request: Request) -> RedirectResponse:
    """Record a consent statement for each channel and purpose whose answer changed."""
    form = await request.form()
    app, session = state_of(request), require_session(request)
    require_csrf(session, str(form.get("csrf_token") or ""))
    answers = read_consents({k: str(v) for k, v in form.multi_items()})
    state = app.store.ledger.state_in_force(session.profile_id)
    items = [
        {"type": "consent", "channel": channel, "purpose": purpose, "status": status}
        for channel, purpose, status in answers
        if state.consent(LedgerChannel(channel), Purpose(purpose)) != status
    ]
    _record(app, session, items)
    return _done("consents")


@router.post("/interests", summary="Add an interest or a topic to avoid, or clear one")
def set_interest(
    request: Request, csrf_token: Csrf = None, topic: Annotated[str, Form()] = "", stance: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Record the person's stance on one topic."""
    app, session = state_of(request), require_session(request)
    require_csrf(session, csrf_token)
    if stance not in Stance.__members__.values():
        raise FormRefused(["stance: takes interested, avoid or no longer either (neutral)"])
    _record(app, session, [{"type": "interest", "topic": check_topic(topic), "stance": stance}])
    return _done("interests")


@router.post("/grants", summary="Grant a system named parts of the profile for named purposes")
async def grant(request: Request) -> RedirectResponse:
    """Record a grant to a system the page lists, expiring after the configured number of days."""
    form = await request.form()
    app, session = state_of(request), require_session(request)
    require_csrf(session, str(form.get("csrf_token") or ""))
    system, parts, purposes = read_grant(
        str(form.get("system") or ""), [str(p) for p in form.getlist("parts")],
        [str(p) for p in form.getlist("purposes")], systems=_listed_systems(app, session.profile_id),
    )  # fmt: skip
    expires = app.store.database.now() + timedelta(days=app.settings.grant_days)
    item = {"type": "grant", "system": system, "parts": parts, "purposes": purposes, "expires_at": iso(expires)}
    _record(app, session, [item])
    return _done("grants")


@router.post("/revoke", summary="Revoke everything granted to a system")
def revoke(request: Request, csrf_token: Csrf = None, system: Annotated[str, Form()] = "") -> RedirectResponse:
    """Record a revocation of the system's grants; its access tokens stop working at once."""
    app, session = state_of(request), require_session(request)
    require_csrf(session, csrf_token)
    system = read_system(system, systems=_listed_systems(app, session.profile_id))
    _record(app, session, [{"type": "revoke", "system": system}])
    clients = [c.client_id for c in app.store.oauth.clients() if c.system == system]
    if clients:
        app.store.oauth.revoke_tokens(profile_id=session.profile_id, client_ids=clients)
    return _done("revoked")


@router.get("/export", summary="Download the person's signed ledger")
def export(request: Request) -> Response:
    """The signed, portable JSON document of the signed-in person's whole ledger."""
    app, session = state_of(request), require_session(request)
    document = export_person(app.store, app.settings, session.profile_id)
    name = f"contactpoint-ledger-{session.profile_id}.json"
    return Response(
        json.dumps(document, indent=2, sort_keys=True),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/sign-out", summary="End the session")
def sign_out(request: Request, csrf_token: Csrf = None) -> RedirectResponse:
    """End the session and forget the cookie."""
    session = require_session(request)
    require_csrf(session, csrf_token)
    state_of(request).store.ledger_access.end_session(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/ledger/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
