"""The HTTP application ``contactpoint serve`` runs (FastAPI on uvicorn, 127.0.0.1 by default).

    app.py                 create_app(store, settings): one ASGI app; /openapi.json describes it
    web.py                 what every area shares: templates, the app's state, sessions and CSRF
    preference_centre.py   /ledger/...: the customer's preference centre (server-rendered, no JavaScript)
    oauth_server.py        the OAuth 2.0 authorization server (Authlib), bound to ledger grants
    oauth.py               /oauth/authorize, /oauth/token, and the scoped reading API /api/v1/me/...
    templates/             Jinja2 templates

One router (module) per area; later areas (report pages, webhooks) add theirs in ``app.py``.
"""

from __future__ import annotations

from core.api.app import create_app

__all__ = ["create_app"]
