"""Durations as a policy file writes them (``7d``, ``36h``), and as a person reads them.

A policy speaks in spans of time: a score's half-life, a frequency cap's window, the
days a nurture stays paused after a ticket is solved. They are written as a number and
one unit, ``s``, ``m``, ``h``, ``d`` or ``w`` (``90m``, ``1.5d``), so a reader never has
to guess whether ``7`` means days or seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["Duration", "describe_duration", "describe_time", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_NAMES = {"w": "week", "d": "day", "h": "hour", "m": "minute", "s": "second"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")


def parse_duration(value: Any) -> timedelta:
    """Read ``7d``, ``36h``, ``90m``, ``45s``, ``2w`` or ``1.5d`` as a ``timedelta``.

    A ``timedelta`` is returned as it is, so a model built in code may pass one.

    Raises:
        ValueError: When the value is not a number followed by one of the units; the
            message shows the value and examples.

    Examples:
        >>> parse_duration("36h")
        datetime.timedelta(days=1, seconds=43200)
    """
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        shown = f"{value!r}" + (" (a number needs a unit)" if isinstance(value, int | float) else "")
        msg = f"{shown} is not a duration; write a number and a unit: 30m, 12h, 7d, 2w"
        raise ValueError(msg)
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
"""A span of time written as ``7d``, ``36h``, ``90m``, ``45s`` or ``2w``."""


def describe_duration(span: timedelta) -> str:
    """Say a duration in words with its largest whole unit: ``3 days``, ``36 hours``, ``0 seconds``.

    Examples:
        >>> describe_duration(timedelta(days=14))
        '2 weeks'
        >>> describe_duration(timedelta(hours=36))
        '36 hours'
    """
    seconds = span.total_seconds()
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {_NAMES[unit]}{'s' if count != 1 else ''}"
    if seconds > 0:
        return f"{seconds:g} seconds"
    return "0 seconds"


def describe_time(at: datetime) -> str:
    """Render a moment for a sentence: UTC, to the minute (``2026-10-01 09:15 UTC``)."""
    return at.astimezone(UTC).isoformat(" ", "minutes")[:16] + " UTC"  # half the cost of strftime
