"""``create_app(store, settings)``: the one ASGI application of ``contactpoint serve``.

Areas are routers, one module each (``preference_centre``, ``oauth``); an HTTP error
on a page renders the message page, on the API a JSON body. ``/openapi.json`` is the
OpenAPI document of every route.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from core import __version__
from core.api import admin, oauth, preference_centre
from core.api.web import AppState, page
from core.ledger.settings import LedgerSettings
from core.reports.reconcile import ReportOptions
from core.store import Store

__all__ = ["create_app", "invalid_input_message"]

_TAKES = {
    "bool_parsing": "takes 1 or 0 (true or false)",
    "int_parsing": "takes a whole number",
    "int_from_float": "takes a whole number",
    "float_parsing": "takes a number",
    "missing": "is required",
    "enum": "takes one of the listed values",
}


def invalid_input_message(errors: Sequence[Mapping[str, Any]]) -> str:
    """Say, for each request value FastAPI could not read, which one and what it takes.

    A query or path value is shown (cut to 40 characters); a form or body value never is.
    """
    parts = []
    for error in errors:
        where, *names = [str(part) for part in error.get("loc", ())] or ["request"]
        name = ".".join(names) or where
        takes = _TAKES.get(str(error.get("type")), str(error.get("msg", "is not valid")).lower())
        given = error.get("input")
        shown = f"={str(given)[:40]!r}" if where in ("query", "path") and isinstance(given, str) else ""
        parts.append(f"{where} parameter {name}{shown} {takes}")
    return "; ".join(parts) or "the request is not valid"


def create_app(
    store: Store,
    settings: LedgerSettings,
    *,
    admin_token: str | None = None,
    report_options: ReportOptions | None = None,
) -> FastAPI:
    """Return the HTTP app over ``store``.

    Args:
        store: An open store (shared by every request; SQLAlchemy pools connections).
        settings: The ledger settings (signing key, link and session lifetimes, public URL).
        admin_token: Opens the admin pages (report, review); they are off without one.
        report_options: The project's write-back sections and budgets, for the report page.
    """
    app = FastAPI(
        title="Contactpoint",
        version=__version__,
        description="The customer's preference centre and the scoped reading API for systems the customer granted.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.contactpoint = AppState(store, settings)
    app.include_router(preference_centre.router)
    app.include_router(oauth.router)
    app.include_router(admin.router)
    app.state.admin_token = admin_token
    app.state.report_options = report_options or ReportOptions()

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ledger/", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error_response(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> Response:
        # A value that cannot be read is the caller's mistake: 400 saying what it takes, not 422's raw list.
        return _error_response(request, 400, invalid_input_message(exc.errors()), None)

    return app


def _error_response(request: Request, status: int, detail: str, headers: Mapping[str, str] | None) -> Response:
    """A JSON body on the API, the message page everywhere else."""
    if request.url.path.startswith(("/api/", "/oauth/token")):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    context = {"title": "Not possible", "message": detail, "signed_in": False}
    return page(request, "message.html", context, status_code=status)
