"""OAuth 2.0 for systems the customer granted, and the scoped reading API.

    GET  /oauth/authorize    the person (signed in to the preference centre) sees what a system asks for
    POST /oauth/authorize    approve (a signed grant statement) or deny; back to the system with a code or an error
    POST /oauth/token        the system exchanges the code (client_secret_basic or _post; PKCE S256 when it started one)

The approval form carries the request it shows sealed (signed with the ledger key, bound
to the session, 10 minutes): what is approved is what was shown, whatever the form posts.
    GET  /api/v1/me          the granted parts of the profile and ledger, read with the bearer token

A token reads only its scopes, and only while the ledger grants them: 401 after
revocation or expiry.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ResourceProtector
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from core.api.oauth_server import GRANT_PURPOSE, FormRequest, LedgerAuthorizationServer, LedgerTokenValidator, ReadToken
from core.api.web import AppState, page, require_csrf, require_session, session_of, state_of
from core.ledger.service import record_statements
from core.ledger.signing import b64decode, b64encode
from core.ledger.statements import iso, parse_time
from core.ledger.vocabulary import Part, part_of_source
from core.store.ledger_access import Session, secret_hash
from core.store.types import canonical_json

__all__ = ["router"]

router = APIRouter(tags=["oauth"])
SEAL_MINUTES = 10
"""How long the approval form shown to the person stays good."""
_REQUEST_PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                   "code_challenge_method")  # fmt: skip


def _server(request: Request) -> LedgerAuthorizationServer:
    app = request.app
    if not hasattr(app.state, "oauth_server"):
        app.state.oauth_server = LedgerAuthorizationServer(state_of(request).store)
    server: LedgerAuthorizationServer = app.state.oauth_server
    return server


async def _oauth_request(request: Request) -> FormRequest:
    data = dict(request.query_params)
    if request.method == "POST":
        data.update({k: str(v) for k, v in (await request.form()).items()})
    return FormRequest(request.method, str(request.url), request.headers, data)


def _seal(app: AppState, session: Session, params: dict[str, str]) -> str:
    """The authorization request as shown, signed and bound to the session: the approval form's only copy of it."""
    expires = app.store.database.now() + timedelta(minutes=SEAL_MINUTES)
    claims = {"params": params, "person": session.profile_id, "csrf": secret_hash(session.csrf_token),
              "expires_at": iso(expires)}  # fmt: skip
    signature = app.keyring().require_signing().signature(claims)
    return f"{b64encode(canonical_json(claims).encode())}.{signature['key_id']}.{signature['value']}"


def _unseal(app: AppState, session: Session, sealed: str) -> dict[str, str]:
    """Return the request the person was shown, when its seal holds for this session and has not expired.

    Raises:
        HTTPException: 400 when it was changed, is another session's, or expired.
    """
    refused = HTTPException(
        status_code=400, detail="this approval form was changed or has expired: go back to the site and start again"
    )
    try:
        text, key_id, value = sealed.split(".")
        claims: dict[str, Any] = json.loads(b64decode(text))
    except (ValueError, json.JSONDecodeError):
        raise refused from None
    problem = app.keyring().check({"key_id": key_id, "value": value}, claims)
    if problem or claims.get("person") != session.profile_id or claims.get("csrf") != secret_hash(session.csrf_token):
        raise refused
    if parse_time(str(claims.get("expires_at"))) <= app.store.database.now():
        raise refused
    return {str(k): str(v) for k, v in dict(claims.get("params") or {}).items()}


def _answer(status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
    found = dict(headers)
    if "Location" in found:
        return RedirectResponse(found["Location"], status_code=302)
    return JSONResponse(
        body, status_code=status, headers={k: v for k, v in found.items() if k.lower() != "content-type"}
    )


@router.get("/oauth/authorize", response_class=HTMLResponse, summary="Ask the person to approve a system's scopes")
async def authorize_page(request: Request) -> Response:
    """Show what the system asks for, to the signed-in person; refuse a bad request with the reason."""
    session = session_of(request)
    if session is None:
        context = {"title": "Sign in first", "signed_in": False,
                   "message": "A site asks to read parts of your profile. Open your sign-in link first, then try again."}  # fmt: skip
        return page(request, "message.html", context, status_code=401)
    oauth_request = await _oauth_request(request)
    try:
        grant = _server(request).get_consent_grant(oauth_request, end_user=session.profile_id)
    except OAuth2Error as err:
        raise HTTPException(
            status_code=400, detail=f"the site's request is invalid: {err.error}: {err.description or ''}"
        ) from None
    client = grant.client.info
    scopes = _requested_parts(grant, oauth_request)
    params = {k: v for k in _REQUEST_PARAMS if (v := request.query_params.get(k))}
    context = {"signed_in": True, "csrf": session.csrf_token, "client": client, "scopes": scopes,
               "oauth_request": _seal(state_of(request), session, params),
               "days": state_of(request).settings.grant_days}  # fmt: skip
    redirect = urlsplit(params.get("redirect_uri") or client.redirect_uris[0])
    # The approval answers with a redirect to the site: a browser checks form-action against it too.
    return page(request, "consent.html", context, form_to=f"{redirect.scheme}://{redirect.netloc}")


def client_scopes(scope: str) -> list[str]:
    """The parts a scope string names, in the order of ``Part``."""
    named = set(scope.split())
    return [p.value for p in Part if p.value in named]


def _requested_parts(grant: Any, oauth_request: FormRequest) -> list[str]:
    """The parts of the profile the site asks for and may be granted.

    Raises:
        HTTPException: 400 when it asks for none (an empty or missing ``scope``).
    """
    parts = client_scopes(grant.client.get_allowed_scope(oauth_request.payload.scope or ""))
    if not parts:
        allowed = ", ".join(client_scopes(" ".join(grant.client.info.scopes))) or "none"
        detail = (
            f"the site's request is invalid: scope names no part of the profile; scope takes one or more of: {allowed}"
        )
        raise HTTPException(status_code=400, detail=detail)
    return parts


@router.post("/oauth/authorize", summary="Approve or deny a system's request")
async def authorize(request: Request) -> Response:
    """Record the grant (approve) and send the person back with a code, or back with access_denied."""
    session = require_session(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    require_csrf(session, form.get("csrf_token"))
    shown = _unseal(state_of(request), session, form.get("oauth_request", ""))  # never the form's own fields
    data = {**shown, "csrf_token": form.get("csrf_token", ""), "decision": form.get("decision", "")}
    oauth_request = FormRequest("POST", str(request.url.replace(query="")), request.headers, data)
    server = _server(request)
    try:
        grant = server.get_consent_grant(oauth_request, end_user=session.profile_id)
    except OAuth2Error as err:
        raise HTTPException(status_code=400, detail=f"the site's request is invalid: {err.error}") from None
    if oauth_request.payload.data.get("decision") != "approve":
        return _answer(*server.create_authorization_response(oauth_request, grant_user=None, grant=grant))
    app = state_of(request)
    parts = _requested_parts(grant, oauth_request)
    expires = app.store.database.now() + timedelta(days=app.settings.grant_days)
    statement = {"person": session.profile_id, "type": "grant", "source": {"kind": "preference_centre"},
                 "system": grant.client.info.system, "parts": parts, "purposes": [GRANT_PURPOSE.value],
                 "expires_at": iso(expires)}  # fmt: skip
    recorded = record_statements(app.store, statement, keyring=app.keyring(), sign=True)
    oauth_request.ledger_grant_id = recorded.entries[0].statement.statement_id
    return _answer(*server.create_authorization_response(oauth_request, grant_user=session.profile_id, grant=grant))


@router.post("/oauth/token", summary="Exchange an authorization code for an access token")
async def token(request: Request) -> Response:
    """OAuth 2.0 token endpoint (RFC 6749 §4.1.3)."""
    oauth_request = await _oauth_request(request)
    return _answer(*_server(request).create_token_response(oauth_request))


def _read_token(request: Request) -> ReadToken:
    protector = ResourceProtector()
    protector.register_token_validator(LedgerTokenValidator(state_of(request).store))
    oauth_request = FormRequest(request.method, str(request.url), request.headers, {})
    try:
        found: ReadToken = protector.validate_request(None, oauth_request)
    except OAuth2Error as err:
        raise HTTPException(
            status_code=401,
            detail=f"{err.error}: the token is unknown, expired or no longer granted",
            headers={"WWW-Authenticate": 'Bearer realm="contactpoint", error="invalid_token"'},
        ) from None
    return found


@router.get("/api/v1/me", summary="Read the granted parts of the person's profile and ledger")
def read_me(request: Request) -> dict[str, Any]:
    """Return only what the token's scopes grant: golden values of granted parts, and granted ledger parts."""
    found = _read_token(request)
    app = state_of(request)
    scopes = set(found.info.scope.split())
    profile = app.store.profiles.get(found.info.profile_id)
    golden = profile.golden if profile is not None else {}
    values = {
        name: (value.get("value") if isinstance(value, dict) else value)
        for name, value in sorted(golden.items())
        if part_of_source(f"golden.{name}").value in scopes
    }
    state = app.store.ledger.state_in_force(found.info.profile_id).to_json()
    result: dict[str, Any] = {"scopes": sorted(scopes), "profile": values}
    if Part.IDENTITY.value in scopes:
        result["profile_id"] = found.info.profile_id
    if Part.CONSENTS.value in scopes:
        result["consents"] = state["consents"]
    if Part.PREFERENCES.value in scopes:
        result["preferences"] = {"preferred_channel": state["preferences"]["preferred_channel"]}
    if Part.INTERESTS.value in scopes:
        result["interests"] = state["interests"]
    return result
