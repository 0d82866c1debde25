"""Named points where a test can kill the process, to prove that a crash there loses nothing.

A test sets ``CONTACTPOINT_FAILPOINTS=name[:n][=signal][,...]`` for a child process; the
n-th time (1st by default) the process passes point ``name`` it sends itself the signal:
``kill`` (SIGKILL, the default: exactly as a power cut or ``kill -9``, nothing flushed or
cleaned), ``term`` (SIGTERM, as a service manager stopping it) or ``int`` (Ctrl-C).
Points are chosen from the work's own progress (a batch stored, its cursor saved, a
resolution's profiles written), so kill tests need no wall-clock sleeps. Unset, a point
costs one set look-up.

    reach("ingest.batch_stored")     # after a batch is stored, before its cursor is saved
"""

from __future__ import annotations

import os
import signal
from collections import Counter

__all__ = ["ENV_VAR", "reach"]

ENV_VAR = "CONTACTPOINT_FAILPOINTS"


_SIGNALS = {"kill": signal.SIGKILL, "term": signal.SIGTERM, "int": signal.SIGINT}


def _parse(text: str) -> dict[str, tuple[int, signal.Signals]]:
    points: dict[str, tuple[int, signal.Signals]] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        where, _, how = item.partition("=")
        name, _, count = where.partition(":")
        points[name] = (int(count) if count.isdigit() else 1, _SIGNALS.get(how or "kill", signal.SIGKILL))
    return points


_ARMED = _parse(os.environ.get(ENV_VAR, ""))
_PASSED: Counter[str] = Counter()


def reach(name: str) -> None:
    """Pass point ``name``; signal this process here when a test armed the point for this pass."""
    if name not in _ARMED:
        return
    _PASSED[name] += 1
    count, number = _ARMED[name]
    if _PASSED[name] == count:
        os.kill(os.getpid(), number)
