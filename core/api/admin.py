"""Admin pages: the reconciliation report and the identity review queue, for the company's admins and stewards.

    GET  /admin/sign-in?token=…      the admin token (printed by ``contactpoint serve``) opens an admin session
    GET  /admin/report               the reconciliation report (masked personal values; ``?reveal=1`` is logged)
    GET  /admin/review               the open review pairs, each field's contribution, accept / reject
    POST /admin/review/{id}          accept (merge pins) or reject (split pins) one pair; CSRF checked
    POST /admin/sign-out             end the admin session (CSRF checked) and clear the cookie

The admin token comes from ``CONTACTPOINT_ADMIN_TOKEN`` or is made at start. Each sign-in
makes its own session cookie, ``issued.nonce.mac`` (HMAC of the admin token), HttpOnly,
SameSite=Strict, Secure over https, good for 12 hours (Max-Age, and checked here too);
every form carries a CSRF token derived from the session, checked in constant time.
Signing out forgets the session until the server restarts (its cookie is refused), and
its 12 hours end it anyway.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated

import structlog
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from core.api.web import page, state_of
from core.errors import IdentityError, UsageError
from core.identity.review import accept_review, reject_review
from core.identity.review_pairs import review_explanations
from core.reports.reconcile import ReportOptions, build_report
from core.reports.render import html_chunks, html_csp
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind

__all__ = ["ADMIN_COOKIE", "ADMIN_TOKEN_ENV", "router"]

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/admin", tags=["admin"])
ADMIN_COOKIE = "cp_admin"
ADMIN_TOKEN_ENV = "CONTACTPOINT_ADMIN_TOKEN"
ADMIN_SESSION = timedelta(hours=12)


def _digest(token: str, purpose: str) -> str:
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def _token(request: Request) -> str:
    token: str | None = getattr(request.app.state, "admin_token", None)
    if not token:
        raise HTTPException(status_code=403, detail=f"admin pages are off: set {ADMIN_TOKEN_ENV} and start serve again")
    return token


def _signed_out(request: Request) -> set[str]:
    if not hasattr(request.app.state, "admin_signed_out"):
        request.app.state.admin_signed_out = set()
    found: set[str] = request.app.state.admin_signed_out
    return found


def _session_nonce(request: Request, token: str) -> str | None:
    """The nonce of a valid, unexpired, not signed-out admin session cookie, or None."""
    issued, _, rest = request.cookies.get(ADMIN_COOKIE, "").partition(".")
    nonce, _, mac = rest.partition(".")
    if not issued.isdigit() or not nonce or not hmac.compare_digest(mac, _digest(token, f"session:{issued}:{nonce}")):
        return None
    now = state_of(request).store.database.now().timestamp()
    if not 0 <= now - int(issued) < ADMIN_SESSION.total_seconds() or nonce in _signed_out(request):
        return None
    return nonce


def _require_admin(request: Request) -> str:
    token = _token(request)
    nonce = _session_nonce(request, token)
    if nonce is None:
        raise HTTPException(status_code=401, detail="not signed in: open the admin link `contactpoint serve` printed")
    return _digest(token, f"csrf:{nonce}")


@router.get("/sign-in", summary="Open an admin session with the admin token")
def sign_in(request: Request, token: str = "") -> Response:
    """Set the admin session cookie when the token matches; refuse otherwise."""
    expected = _token(request)
    if not token or not hmac.compare_digest(token, expected):
        raise HTTPException(status_code=403, detail="this admin link is not valid here")
    issued, nonce = int(state_of(request).store.database.now().timestamp()), secrets.token_urlsafe(16)
    value = f"{issued}.{nonce}.{_digest(expected, f'session:{issued}:{nonce}')}"
    response = RedirectResponse("/admin/report", status_code=303)
    response.set_cookie(
        ADMIN_COOKIE, value, max_age=int(ADMIN_SESSION.total_seconds()), httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/admin",
    )  # fmt: skip
    return response


@router.post("/sign-out", summary="End the admin session")
def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> RedirectResponse:
    """Forget the session (its cookie is refused from now on) and clear the cookie."""
    csrf = _require_admin(request)
    if not csrf_token or not hmac.compare_digest(csrf_token, csrf):
        raise HTTPException(status_code=403, detail="the form's CSRF token is missing or wrong: reload the page")
    nonce = _session_nonce(request, _token(request))
    if nonce is not None:
        _signed_out(request).add(nonce)
    response = RedirectResponse("/ledger/", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/admin", secure=request.url.scheme == "https", httponly=True,
                           samesite="strict")  # fmt: skip
    return response


@router.get("/report", summary="The reconciliation report", response_class=HTMLResponse)
def report(request: Request, since: str | None = None, *, reveal: bool = False) -> Response:
    """Render the reconciliation report (not kept as a snapshot: only the CLI's reports make drift).

    Raises:
        HTTPException: 400 when ``since`` names no run.
    """
    _require_admin(request)
    app = state_of(request)
    since = (since or "").strip() or None
    options: ReportOptions = getattr(request.app.state, "report_options", ReportOptions())
    options = ReportOptions(
        since_run=since, targets=options.targets, budgets=options.budgets, reveal=reveal, keep=False
    )
    if reveal:
        log.warning("report.revealed", user="admin page", run_id=since)
    try:
        built = build_report(app.store, options)
    except UsageError as err:
        detail = f"since={since!r} is not a run in the run ledger: since takes a run ID, or leave it out for the runs since the last report"
        raise HTTPException(status_code=400, detail=f"{detail}; {err.hint}" if err.hint else detail) from None

    def body() -> object:
        try:
            yield from html_chunks(built)
        finally:
            built.close()

    headers = {"Content-Security-Policy": html_csp(), "Cache-Control": "no-store", "X-Frame-Options": "DENY",
               "Referrer-Policy": "no-referrer"}  # fmt: skip
    return StreamingResponse(body(), media_type="text/html; charset=utf-8", headers=headers)  # type: ignore[arg-type]


@router.get("/review", summary="The identity review queue", response_class=HTMLResponse)
def review(request: Request, done: str | None = None) -> HTMLResponse:
    """List the open pairs with each field's contribution, and a form to accept or reject each."""
    csrf = _require_admin(request)
    store = state_of(request).store
    pairs = store.reviews.list(limit=200)
    context = {"signed_in": False, "pairs": pairs, "explained": review_explanations(store, pairs), "csrf": csrf,
               "counts": store.reviews.count(), "done": done}  # fmt: skip
    return page(request, "review.html", context)


@router.post("/review/{review_id}", summary="Accept or reject one review pair")
def decide(
    request: Request,
    review_id: int,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Accept (one person: merge pins) or reject (two people: split pins) the pair."""
    csrf = _require_admin(request)
    if not csrf_token or not hmac.compare_digest(csrf_token, csrf):
        raise HTTPException(status_code=403, detail="the form's CSRF token is missing or wrong: reload the page")
    if decision not in ("accept", "reject"):
        raise HTTPException(status_code=400, detail=f"decision {decision!r} is not accept or reject")
    store = state_of(request).store
    kind = RunKind.IDENTITY_MERGE if decision == "accept" else RunKind.IDENTITY_SPLIT
    decide_pair = accept_review if decision == "accept" else reject_review
    try:
        with RunContext(store, kind, jobs=[IDENTITY_JOB], catch_signals=False) as run:
            result = decide_pair(store, review_id, by="admin page", note=note or None, run_id=run.run_id)
    except IdentityError as err:
        raise HTTPException(status_code=409, detail=err.message) from None
    return RedirectResponse(f"/admin/review?done={result.review_id}:{result.status}", status_code=303)
