"""Parts every vendor sandbox shares: TLS, the HTTPS server, faults, process management.

Public API::

    running_sandbox(system, *, records, seed, faults, api_limit) -> ContextManager[RunningSandbox]
    start_sandbox(system, *, port, state_dir, options) -> RunningSandbox
    up(system, *, port, options) -> (state, already_running)      # detached process
    down(system=None) -> [stopped names]
"""

from __future__ import annotations

from sandbox.common.control import FaultSpec, RequestLog, TransientFaults
from sandbox.common.http import Request, Response, SandboxApp, SandboxControl, SandboxServer
from sandbox.common.process import down, read_state, state_dir, up
from sandbox.common.registry import KNOWN_SANDBOXES, SandboxOptions, check_system
from sandbox.common.runner import RunningSandbox, running_sandbox, start_sandbox

__all__ = [
    "KNOWN_SANDBOXES",
    "FaultSpec",
    "Request",
    "RequestLog",
    "Response",
    "RunningSandbox",
    "SandboxApp",
    "SandboxControl",
    "SandboxOptions",
    "SandboxServer",
    "TransientFaults",
    "check_system",
    "down",
    "read_state",
    "running_sandbox",
    "start_sandbox",
    "state_dir",
    "up",
]
