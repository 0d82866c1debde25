"""A Mixpanel sandbox whose exchanges are checked against the contract, and the checks a test makes by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from sandbox.common import RunningSandbox, running_sandbox
from tests.contracts.validator import Exchange, exchange_of, validate_all

__all__ = ["checked_sandbox", "conforms", "not_checked"]


@contextmanager
def checked_sandbox(*, records: int, seed: int) -> Iterator[RunningSandbox]:
    """A running Mixpanel sandbox keeping every exchange; on leaving, all of them must follow the contract."""
    with running_sandbox("mixpanel", records=records, seed=seed) as sb:
        sb.control.capturing = True
        yield sb
        problems = validate_all("mixpanel", [Exchange(*vars(c).values()) for c in sb.control.captured])
        assert not problems, "\n".join(problems[:10])


@contextmanager
def not_checked(sb: RunningSandbox) -> Iterator[None]:
    """Requests sent wrong on purpose, or too large to keep, are left out of the sandbox's contract check."""
    sb.control.capturing = False
    try:
        yield
    finally:
        sb.control.capturing = True


def conforms(response: Any, *, sent: list[Any] | None = None) -> None:
    """Check one live exchange against the contract; ``sent`` stands for its (large) request body."""
    exchange = exchange_of(response)
    if sent is not None:
        exchange = replace(exchange, request_body=json.dumps(sent).encode())
    problems = validate_all("mixpanel", [exchange])
    assert not problems, "\n".join(problems)
