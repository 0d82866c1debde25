"""``create_app(store, settings)``: the one ASGI application of ``contactpoint serve``.

Areas are routers, one module each (``preference_centre``, ``oauth``); an HTTP error
on a page renders the message page, on the API a JSON body. ``/openapi.json`` is the
OpenAPI document of every route.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response

from core import __version__
from core.api import oauth, preference_centre
from core.api.web import AppState, page
from core.ledger.settings import LedgerSettings
from core.store import Store

__all__ = ["create_app"]


def create_app(store: Store, settings: LedgerSettings) -> FastAPI:
    """Return the HTTP app over ``store``.

    Args:
        store: An open store (shared by every request; SQLAlchemy pools connections).
        settings: The ledger settings (signing key, link and session lifetimes, public URL).
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

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ledger/", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/oauth/token")):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        context = {"title": "Not possible", "message": str(exc.detail), "signed_in": False}
        return page(request, "message.html", context, status_code=exc.status_code)

    return app
