"""Capture every exchange a running sandbox answers, to check it against the HubSpot contract.

Whatever the client (the connector, hubspot-api-client, plain requests), the sandbox
app sees each request and the response it gives; wrapping its ``handle`` records
both as ``tests.contracts.validator.Exchange`` values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.contracts.validator import Exchange


@contextmanager
def captured(sandbox: Any) -> Iterator[list[Exchange]]:
    """Record the sandbox's exchanges for the duration of a ``with`` block."""
    seen: list[Exchange] = []
    app = sandbox.app
    original = app.handle

    def handle(request):
        response = original(request)
        headers = dict(response.headers)
        if response.content_type:
            headers["Content-Type"] = response.content_type
        seen.append(
            Exchange(
                method=request.method,
                url=sandbox.base_url + request.target,
                request_headers=dict(request.headers),
                request_body=request.body or None,
                status=response.status,
                response_headers=headers,
                response_body=response.body or None,
            )
        )
        return response

    app.handle = handle
    try:
        yield seen
    finally:
        app.handle = original
