"""TLS for the sandboxes: a throw-away certificate authority made at start.

Each sandbox gets its own CA (made with ``trustme``) and a server certificate for
``127.0.0.1`` and ``localhost``. The CA certificate is written to the state directory
so clients can verify the server (``requests.Session().verify = ca_file`` or
``REQUESTS_CA_BUNDLE``); nothing is ever added to the system trust store.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["TlsMaterial", "make_tls"]


@dataclass(frozen=True)
class TlsMaterial:
    """What a sandbox needs to serve HTTPS and what clients need to trust it.

    Attributes:
        ca_file: PEM file of the CA that signed the server certificate.
        context: Server-side SSL context holding the certificate and its key.
    """

    ca_file: Path
    context: ssl.SSLContext


def make_tls(state_dir: Path, name: str) -> TlsMaterial:
    """Make a CA and a server certificate for 127.0.0.1; write the CA to ``state_dir``.

    Args:
        state_dir: Directory for the CA file (created if missing).
        name: Sandbox name, used in the file name (``<name>-ca.pem``).

    Returns:
        The CA file path and a server SSL context ready to wrap sockets.
    """
    ca = trustme.CA(organization_name="Contactpoint sandbox")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    state_dir.mkdir(parents=True, exist_ok=True)
    ca_file = state_dir / f"{name}-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TlsMaterial(ca_file=ca_file, context=context)
