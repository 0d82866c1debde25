"""The sandbox server process: ``python -m sandbox.common.serve SYSTEM [options]``.

Started detached by ``contactpoint sandbox up``; writes ``<state dir>/<system>.json``
once it listens and removes it when stopped with SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from sandbox.common.control import FaultSpec
from sandbox.common.registry import DEFAULT_API_LIMIT, DEFAULT_RECORDS, SandboxOptions
from sandbox.common.runner import start_sandbox

__all__ = ["main"]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.common.serve")
    parser.add_argument("system")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-limit", type=int, default=DEFAULT_API_LIMIT)
    parser.add_argument("--fault", action="append", default=[])
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start the sandbox, write its state file, serve until a signal arrives."""
    args = _parse(argv)
    options = SandboxOptions(
        records=args.records,
        seed=args.seed,
        faults=tuple(FaultSpec.parse(f) for f in args.fault),
        api_limit=args.api_limit,
    )
    running = start_sandbox(args.system, port=args.port, state_dir=args.state_dir, options=options)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    state = running.describe() | {
        "connector_settings": running.connector_settings(),
        "pid": os.getpid(),
        "port": running.server.port,
        "records": args.records,
        "seed": args.seed,
        "started_at": datetime.now(UTC).isoformat(),
    }
    state_file = args.state_dir / f"{running.system}.json"
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.chmod(0o600)  # holds the credentials
    tmp.replace(state_file)
    try:
        stop.wait()
    finally:
        running.server.stop()
        if state_file.exists() and json.loads(state_file.read_text(encoding="utf-8")).get("pid") == os.getpid():
            state_file.unlink()


if __name__ == "__main__":
    main()
