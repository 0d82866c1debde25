"""The peak memory of this process's own image, for benchmarks that run each contender in a child process.

``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is no measure of a child started with
``subprocess``: on Linux the high-water mark survives fork and exec, so a child started by
a parent holding gigabytes (a benchmark that hosts sandboxes or generated data) reports the
parent's size. ``VmHWM`` in ``/proc/self/status`` belongs to the memory image exec made, so
it is the child's alone; other systems fall back on ``ru_maxrss``.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

__all__ = ["peak_rss_mib"]

_STATUS = Path("/proc/self/status")


def peak_rss_mib() -> float:
    """This process's peak resident set size since it started its program, in MiB."""
    if _STATUS.exists():
        for line in _STATUS.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB elsewhere
