"""A local HTTPS stand-in of HubSpot: CRM objects and search, properties, subscriptions, email events, OAuth.

Start it with ``contactpoint sandbox up hubspot`` or, in tests,
``sandbox.common.running_sandbox("hubspot", records=..., seed=...)``. See
docs/sandbox.md for the endpoints, credentials, limits and faults.
"""

from __future__ import annotations

from sandbox.hubspot.app import HubSpotSandbox, build
from sandbox.hubspot.control import HubSpotControl, HubSpotFault

__all__ = ["HubSpotControl", "HubSpotFault", "HubSpotSandbox", "build"]
