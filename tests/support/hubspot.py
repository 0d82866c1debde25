"""HubSpot's own client against a running HubSpot sandbox, every exchange checked against the contract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import hubspot

from sandbox.common import RunningSandbox

__all__ = ["checked_portal", "official_client"]


@contextmanager
def checked_portal(portal: RunningSandbox) -> Iterator[RunningSandbox]:
    """``portal`` with limits a client in a hurry never meets; on leaving, its exchanges must follow the contract."""
    from tests.connectors.hubspot.traffic import captured
    from tests.contracts.validator import validate_all

    portal.control.reset()
    portal.control.limits.configure(ten_secondly=10_000, secondly=1000, search_per_second=100)
    with captured(portal) as seen:
        yield portal
    portal.control.reset()
    problems = validate_all("hubspot", seen)
    assert seen and not problems, "\n".join(problems[:10])


def official_client(sb: RunningSandbox) -> hubspot.Client:
    """hubspot-api-client pointed at the sandbox: only the host and the CA file differ."""
    return hubspot.Client.create(
        access_token=sb.credentials["private_app_token"], host=sb.base_url, ssl_ca_cert=str(sb.ca_file)
    )
