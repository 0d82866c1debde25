"""A local HTTPS stand-in of Mixpanel: raw export, engage query, track, import, engage and groups.

Start it with ``contactpoint sandbox up mixpanel`` or, in tests,
``sandbox.common.running_sandbox("mixpanel", records=..., seed=..., today=...)``. See
docs/sandbox.md for the endpoints, credentials and faults.
"""

from __future__ import annotations

from sandbox.mixpanel.app import MixpanelSandbox, build
from sandbox.mixpanel.control import MixpanelControl, MixpanelFault
from sandbox.mixpanel.seed import story_ids

__all__ = ["MixpanelControl", "MixpanelFault", "MixpanelSandbox", "build", "story_ids"]
