"""A local HTTPS stand-in of Zendesk Support: users, organizations, tickets, exports and bulk jobs.

Start it with ``contactpoint sandbox up zendesk`` or, in tests,
``sandbox.common.running_sandbox("zendesk", records=..., seed=...)``. See docs/sandbox.md
for the endpoints, credentials and faults.
"""

from __future__ import annotations

from sandbox.zendesk.app import ZendeskSandbox, build
from sandbox.zendesk.control import ZendeskControl, ZendeskFault

__all__ = ["ZendeskControl", "ZendeskFault", "ZendeskSandbox", "build"]
