"""Which sandboxes exist, and how to build one.

A sandbox is named by its system (``salesforce``); ``KNOWN_SANDBOXES`` maps the name
to the ``module:function`` that builds it, imported only when asked for. A builder is
called as ``build(base_url=..., state_dir=..., options=SandboxOptions(...))`` and
returns a ``SandboxApp``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from core.errors import ConfigError
from core.problems import suggest
from sandbox.common.control import FaultSpec
from sandbox.common.http import SandboxApp

__all__ = [
    "DEFAULT_API_LIMIT",
    "DEFAULT_RECORDS",
    "KNOWN_SANDBOXES",
    "SandboxBuilder",
    "SandboxOptions",
    "load_builder",
    "check_system",
]

DEFAULT_RECORDS = 500
DEFAULT_API_LIMIT = 100_000

KNOWN_SANDBOXES: dict[str, str] = {
    "salesforce": "sandbox.salesforce.app:build",
    "hubspot": "sandbox.hubspot.app:build",
    "mixpanel": "sandbox.mixpanel.app:build",
    "zendesk": "sandbox.zendesk.app:build",
}


@dataclass(frozen=True)
class SandboxOptions:
    """How to seed and configure a sandbox.

    Attributes:
        records: How many main customer records to seed (for Salesforce: Contacts).
        seed: Seed of the synthetic data; the same seed gives the same data.
        faults: Faults injected at start.
        api_limit: The daily API request limit the sandbox reports and enforces.
        today: The sandbox's current day, for data dated relative to it (events of the
            last weeks); None follows the real clock. Tests fix it so recordings replay.
    """

    records: int = DEFAULT_RECORDS
    seed: int = 0
    faults: tuple[FaultSpec, ...] = ()
    api_limit: int = DEFAULT_API_LIMIT
    today: date | None = None


class SandboxBuilder(Protocol):
    """The signature of a sandbox's ``build`` function."""

    def __call__(self, *, base_url: str, state_dir: Path, options: SandboxOptions) -> SandboxApp:
        """Build the sandbox app answering at ``base_url``, writing files under ``state_dir``."""


def check_system(name: str) -> str:
    """Return ``name`` normalised if it is a known sandbox.

    Raises:
        ConfigError: Unknown name; the hint names the nearest known one.
    """
    key = name.strip().lower()
    if key in KNOWN_SANDBOXES:
        return key
    msg = f"unknown sandbox {name!r}"
    raise ConfigError(msg, hint=suggest(key, KNOWN_SANDBOXES, noun="known sandboxes"), system=name)


def load_builder(name: str) -> SandboxBuilder:
    """Import and return the builder of sandbox ``name`` (checked with ``check_system``)."""
    module_name, _, attr = KNOWN_SANDBOXES[check_system(name)].partition(":")
    builder: SandboxBuilder = getattr(importlib.import_module(module_name), attr)
    return builder
