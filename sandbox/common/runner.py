"""Run a sandbox: in this process (tests, benchmarks) or as the detached server process.

In-process use::

    from sandbox.common import running_sandbox

    with running_sandbox("salesforce", records=200, seed=7) as sb:
        sb.base_url, sb.ca_file, sb.credentials
        sb.control.inject(FaultSpec("rate_limited", count=2))
        sb.control.requests.count("/query")
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import requests

from sandbox.common.control import FaultSpec
from sandbox.common.http import SandboxApp, SandboxServer
from sandbox.common.registry import DEFAULT_API_LIMIT, DEFAULT_RECORDS, SandboxOptions, check_system, load_builder
from sandbox.common.tls import make_tls

__all__ = ["RunningSandbox", "running_sandbox", "start_sandbox"]


@dataclass
class RunningSandbox:
    """A started sandbox and what a client needs to talk to it.

    Attributes:
        system: The sandbox's name.
        base_url: ``https://127.0.0.1:PORT`` (no trailing slash).
        ca_file: PEM file of the CA that verifies the server certificate.
        credentials: What the sandbox accepts (see the vendor sandbox's docs).
        admin_token: Token for ``/__sandbox__/`` admin requests.
        app: The sandbox app itself.
        server: The HTTPS server.
    """

    system: str
    base_url: str
    ca_file: Path
    credentials: dict[str, str]
    admin_token: str
    app: SandboxApp
    server: SandboxServer

    @property
    def control(self) -> Any:
        """The sandbox's control handle (typed by the vendor, e.g. ``SalesforceControl``)."""
        return self.app.control

    def requests_session(self) -> requests.Session:
        """A ``requests.Session`` that verifies the sandbox's certificate.

        ``trust_env`` is off: otherwise a ``REQUESTS_CA_BUNDLE`` set in the environment
        would override ``session.verify`` on every request (a requests behaviour).
        """
        session = requests.Session()
        session.verify = str(self.ca_file)
        session.trust_env = False
        return session

    def connector_settings(self) -> dict[str, Any]:
        """Settings of the system's connector (``kind`` = ``system``) that reach this sandbox."""
        return self.app.connector_settings(self)

    def describe(self) -> dict[str, Any]:
        """The JSON object ``sandbox up --json`` prints."""
        return {
            "system": self.system,
            "base_url": self.base_url,
            "ca_file": str(self.ca_file),
            "credentials": self.credentials,
            "admin_url": f"{self.base_url}/__sandbox__/",
            "admin_token": self.admin_token,
        }


def start_sandbox(system: str, *, port: int, state_dir: Path, options: SandboxOptions) -> RunningSandbox:
    """Build and start sandbox ``system`` on 127.0.0.1, serving in a background thread.

    Args:
        system: A known sandbox name.
        port: Port to bind; 0 picks a free one.
        state_dir: Where the CA file and other generated files go.
        options: Seed, record count, faults, API limit.

    Returns:
        The running sandbox; call ``.server.stop()`` when done.

    Raises:
        ConfigError: Unknown system or fault.
    """
    name = check_system(system)
    builder = load_builder(name)
    tls = make_tls(state_dir, name)
    admin_token = secrets.token_urlsafe(24)
    server = SandboxServer(port=port, context=tls.context, admin_token=admin_token)
    base_url = f"https://127.0.0.1:{server.port}"
    try:
        app = builder(base_url=base_url, state_dir=state_dir, options=options)
        for spec in options.faults:
            app.control.inject(spec)
    except BaseException:
        server.server_close()
        raise
    server.app = app
    server.start_background()
    return RunningSandbox(
        system=name,
        base_url=base_url,
        ca_file=tls.ca_file,
        credentials=app.credentials(),
        admin_token=admin_token,
        app=app,
        server=server,
    )


@contextmanager
def running_sandbox(
    system: str = "salesforce",
    *,
    records: int = DEFAULT_RECORDS,
    seed: int = 0,
    faults: Iterable[FaultSpec | str] = (),
    api_limit: int = DEFAULT_API_LIMIT,
    today: date | None = None,
) -> Iterator[RunningSandbox]:
    """Run a sandbox in this process for the duration of a ``with`` block.

    Args:
        system: A known sandbox name.
        records: How many main customer records to seed.
        seed: Seed of the synthetic data.
        faults: Faults injected at start (``FaultSpec`` or ``"kind[:count]"``).
        api_limit: The daily API request limit.
        today: The sandbox's current day (None: the real one); see ``SandboxOptions``.

    Yields:
        The running sandbox, stopped and its files removed on exit.
    """
    specs = tuple(f if isinstance(f, FaultSpec) else FaultSpec.parse(f) for f in faults)
    opts = SandboxOptions(records=records, seed=seed, faults=specs, api_limit=api_limit, today=today)
    with tempfile.TemporaryDirectory(prefix=f"contactpoint-sandbox-{system}-") as tmp:
        running = start_sandbox(system, port=0, state_dir=Path(tmp), options=opts)
        try:
            yield running
        finally:
            running.server.stop()
