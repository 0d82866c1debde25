"""What every area of the HTTP app shares: templates, the app's state, sessions and CSRF checks.

A preference-centre session is a random ID in an HttpOnly, SameSite=Lax cookie (stored
hashed in ``store.ledger_access``); each session has its own CSRF token, which every
form carries in a hidden ``csrf_token`` field and every POST handler checks with
``require_csrf`` (constant-time), so a form posted from another site is refused (403).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from core.api.wording import plain_time
from core.ledger.service import keyring_for
from core.ledger.settings import LedgerSettings
from core.ledger.signing import Keyring
from core.ledger.statements import parse_time
from core.store import Store
from core.store.ledger_access import Session

__all__ = [
    "COOKIE",
    "AppState",
    "page",
    "require_csrf",
    "require_session",
    "session_of",
    "state_of",
    "templates",
]

COOKIE = "cp_ledger_session"
templates = Jinja2Templates(directory=str(files("core.api").joinpath("templates")))


def _plain_time(value: str | datetime) -> str:
    return plain_time(value if isinstance(value, datetime) else parse_time(value))


templates.env.filters["plain_time"] = _plain_time


@dataclass
class AppState:
    """What the handlers need: the store and the ledger settings."""

    store: Store
    settings: LedgerSettings

    def keyring(self) -> Keyring:
        """The signing key and every public key known to this installation."""
        return keyring_for(self.store, self.settings)


def state_of(request: Request) -> AppState:
    """Return the app's state."""
    found: AppState = request.app.state.contactpoint
    return found


def session_of(request: Request) -> Session | None:
    """Return the signed-in session the request's cookie names, or None."""
    token = request.cookies.get(COOKIE)
    return state_of(request).store.ledger_access.session(token) if token else None


def require_session(request: Request) -> Session:
    """Return the signed-in session.

    Raises:
        HTTPException: 401 when nobody is signed in (the page says how to sign in).
    """
    session = session_of(request)
    if session is None:
        raise HTTPException(status_code=401, detail="not signed in: open the sign-in link you were sent")
    return session


def require_csrf(session: Session, token: str | None) -> None:
    """Check a form's CSRF token against the session's.

    Raises:
        HTTPException: 403 when it is missing or does not match.
    """
    if not token or not hmac.compare_digest(token.encode(), session.csrf_token.encode()):
        raise HTTPException(
            status_code=403, detail="the form's CSRF token is missing or wrong: reload the page and try again"
        )


def page(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200, form_to: str | None = None
) -> HTMLResponse:
    """Render a template into an HTML response (no caching: pages hold personal data).

    Forms post only to this site (CSP ``form-action 'self'``); ``form_to`` adds one origin
    a form's answer may redirect to (the OAuth approval goes back to the site that asked).
    """
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    form_action = "'self'" + (f" {form_to}" if form_to else "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action {form_action}; frame-ancestors 'none'"
    )
    return response
