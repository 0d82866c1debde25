"""Start a sandbox as a detached process (``sandbox up``) and stop it (``sandbox down``).

The server process (``python -m sandbox.common.serve``) writes a state file,
``<state dir>/<system>.json``, once it listens; ``up`` returns after that file appears
and a TLS health check (``GET /__sandbox__/health``, verified with the sandbox's CA)
succeeds. The state directory is ``$CONTACTPOINT_HOME/sandbox`` when that variable
is set, else ``./.contactpoint/sandbox``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from core.errors import ConfigError, ConnectorError
from sandbox.common.registry import KNOWN_SANDBOXES, SandboxOptions, check_system

__all__ = ["down", "read_state", "running_states", "state_dir", "up", "up_many"]

_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
_SERVE_MODULE = "sandbox.common.serve"


def state_dir() -> Path:
    """Where sandbox state files, CA files and logs live."""
    home = os.environ.get("CONTACTPOINT_HOME")
    base = Path(home) if home else Path.cwd() / ".contactpoint"
    return base / "sandbox"


def _state_file(system: str) -> Path:
    return state_dir() / f"{system}.json"


def read_state(system: str) -> dict[str, Any] | None:
    """The state of running sandbox ``system``, or None when it is not running (stale files are removed)."""
    path = _state_file(system)
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not _is_ours(int(state.get("pid", 0))) or not _healthy(state):
        path.unlink(missing_ok=True)
        return None
    return state


def running_states() -> dict[str, dict[str, Any]]:
    """The state of every sandbox running from this state directory, by system."""
    states = {name: read_state(name) for name in sorted(KNOWN_SANDBOXES)}
    return {name: state for name, state in states.items() if state is not None}


def up(system: str, *, port: int = 0, options: SandboxOptions | None = None) -> tuple[dict[str, Any], bool]:
    """Start sandbox ``system`` in the background unless it already runs.

    Args:
        system: A known sandbox name.
        port: Port to bind; 0 picks a free one.
        options: Records, seed and faults for a new sandbox.

    Returns:
        The sandbox's state (base_url, ca_file, credentials, connector_settings,
        admin_token, pid...) and whether it was already running.

    Raises:
        ConfigError: Unknown system.
        ConnectorError: The server process did not become ready.
    """
    return up_many([system], port=port, options=options)[check_system(system)]


def up_many(
    systems: list[str], *, port: int = 0, options: SandboxOptions | None = None
) -> dict[str, tuple[dict[str, Any], bool]]:
    """Start several sandboxes at once (each not yet running), and wait until every one answers.

    Args:
        systems: Known sandbox names; ``["all"]`` means every known sandbox.
        port: Port for a single sandbox; with several, each picks a free one (a fixed port is refused).
        options: Records, seed and faults for the new sandboxes.

    Returns:
        Per system, in the order given: its state and whether it was already running.

    Raises:
        ConfigError: Unknown system, or a fixed port with several systems.
        ConnectorError: A server process did not become ready (the others started are stopped).
    """
    names = sorted(KNOWN_SANDBOXES) if systems == ["all"] else [check_system(s) for s in systems]
    if port and len(names) > 1:
        msg = f"--port {port} names one port, and {len(names)} sandboxes cannot share it"
        raise ConfigError(msg, hint="leave --port out (each sandbox picks a free port) or start one system")
    opts = options or SandboxOptions()
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    found: dict[str, tuple[dict[str, Any], bool]] = {}
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for name in names:
        running = read_state(name)
        if running is not None:
            found[name] = (running, True)
        else:
            started[name] = _spawn(name, port, opts, directory)
    try:
        for name, (proc, log_path) in started.items():
            found[name] = (_wait_ready(name, proc, log_path), False)
    except ConnectorError:
        for name, (proc, _) in started.items():
            if proc.poll() is None:
                _terminate(proc.pid)
            _state_file(name).unlink(missing_ok=True)
        raise
    return {name: found[name] for name in names}


def _spawn(name: str, port: int, opts: SandboxOptions, directory: Path) -> tuple[subprocess.Popen[bytes], Path]:
    args = [sys.executable, "-m", _SERVE_MODULE, name, "--port", str(port), "--state-dir", str(directory)]
    args += ["--records", str(opts.records), "--seed", str(opts.seed), "--api-limit", str(opts.api_limit)]
    for fault in opts.faults:
        args += ["--fault", f"{fault.kind}:{fault.count}"]
    log_path = directory / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    return proc, log_path


def _wait_ready(name: str, proc: subprocess.Popen[bytes], log_path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + _READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
            msg = f"sandbox {name} exited during start (code {proc.returncode}): {tail.strip()}"
            raise ConnectorError(msg, hint=f"see {log_path}", system=name)
        state = read_state(name)
        if state is not None and int(state["pid"]) == proc.pid:
            return state
        time.sleep(0.1)  # waiting on another process; nothing to be notified by
    proc.terminate()
    msg = f"sandbox {name} did not become ready within {_READY_TIMEOUT_S:.0f}s"
    raise ConnectorError(msg, hint=f"see {log_path}", system=name)


def down(system: str | None = None) -> list[str]:
    """Stop sandbox ``system``, or every running sandbox when None.

    Returns:
        The names of the sandboxes that were stopped.

    Raises:
        ConfigError: Unknown system.
    """
    names = [check_system(system)] if system else sorted(KNOWN_SANDBOXES)
    stopped = []
    for name in names:
        path = _state_file(name)
        try:
            pid = int(json.loads(path.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError):
            continue
        if _is_ours(pid):
            _terminate(pid)
            stopped.append(name)
        path.unlink(missing_ok=True)
    return stopped


def _terminate(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)  # waiting on another process to exit
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie has exited, even if not yet reaped
        return stat.read_text(encoding="utf-8", errors="replace").split(") ")[-1][:1] != "Z"
    return True


def _is_ours(pid: int) -> bool:
    """Whether ``pid`` is alive and (where /proc tells) runs the sandbox server, not a reused pid."""
    if pid <= 0 or not _alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True
    return _SERVE_MODULE in cmdline.read_bytes().decode(errors="replace")


def _healthy(state: dict[str, Any]) -> bool:
    try:
        response = requests.get(f"{state['base_url']}/__sandbox__/health", verify=state["ca_file"], timeout=2)
    except (requests.RequestException, KeyError, OSError):
        return False
    return response.status_code == 200
