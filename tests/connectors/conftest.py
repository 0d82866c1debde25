"""Fixtures for connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    """CLI invocations point structlog at the runner's (then closed) stream; undo that after each test."""
    yield
    structlog.reset_defaults()
