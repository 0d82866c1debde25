"""``contactpoint serve``: the HTTP app (preference centre, OAuth, scoped API) on 127.0.0.1.

Prints ``listening on http://HOST:PORT`` once the socket is bound and the app started
(``--port 0`` picks a free port), then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from core.api import create_app
from core.commands.common import console, errors_to_exit
from core.commands.ledger_cmd import ConfigOption, load_ledger_settings
from core.commands.store_cmd import UrlOption
from core.store import open_store

__all__ = ["serve"]


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that says where it listens once it is ready."""

    async def startup(self, sockets: list[object] | None = None) -> None:  # type: ignore[override]
        await super().startup(sockets=sockets)  # type: ignore[arg-type]
        if self.should_exit:
            return
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                console.print(f"listening on http://{host}:{port}", markup=False)


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback unless you put a proxy in front).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")] = 8765,
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Serve the preference centre, OAuth and the scoped reading API; /openapi.json describes it."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        store = open_store(url)
    try:
        app = create_app(store, settings)
        config_ = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, server_header=False)
        _AnnouncingServer(config_).run()
    finally:
        store.close()
