"""Fault injection and request accounting shared by every sandbox.

A sandbox's control object (see ``sandbox.salesforce.control``) is built from these
parts: ``TransientFaults`` answers the next N requests with 429 or 503 and a
``Retry-After`` header; ``RequestLog`` counts requests by method and path. Faults are
described by ``FaultSpec``, parsed from ``kind[:count]`` strings on the command line
or sent as JSON to the admin endpoint ``POST /__sandbox__/faults``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from core.errors import ConfigError

__all__ = ["FaultSpec", "RequestLog", "TransientFaults"]


@dataclass(frozen=True)
class FaultSpec:
    """One fault to inject.

    Attributes:
        kind: The fault's name; each sandbox lists the kinds it knows.
        count: How many requests it affects (for faults that count).
        retry_after: Seconds sent in ``Retry-After`` (429/503 faults).
        params: Extra, fault-specific settings (record IDs, field names...).
    """

    kind: str
    count: int = 1
    retry_after: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> FaultSpec:
        """Parse ``kind`` or ``kind:count`` (as given to ``--fault``).

        Raises:
            ConfigError: The count is not a positive whole number.
        """
        kind, _, count = text.partition(":")
        if not count:
            return cls(kind=kind.strip())
        if not count.strip().isdigit() or int(count) < 1:
            msg = f"fault {text!r}: count {count!r} is not a positive whole number"
            raise ConfigError(msg, hint="write faults as KIND or KIND:COUNT, e.g. rate_limited:2")
        return cls(kind=kind.strip(), count=int(count))

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> FaultSpec:
        """Build from the admin endpoint's JSON body (``kind``, ``count``, ``retry_after``, rest as params)."""
        rest = {k: v for k, v in value.items() if k not in {"kind", "count", "retry_after"}}
        return cls(
            kind=str(value.get("kind", "")),
            count=int(value.get("count", 1)),
            retry_after=int(value.get("retry_after", 1)),
            params=rest,
        )


@dataclass
class _Pending:
    status: int
    retry_after: int
    remaining: int


class TransientFaults:
    """A thread-safe queue of "answer the next N requests with this status" faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[_Pending] = []

    def add(self, status: int, *, count: int, retry_after: int) -> None:
        """Queue ``count`` answers of ``status`` with ``Retry-After: retry_after``."""
        with self._lock:
            self._pending.append(_Pending(status=status, retry_after=retry_after, remaining=count))

    def take(self) -> tuple[int, int] | None:
        """Consume one queued answer: ``(status, retry_after)``, or None when none is queued."""
        with self._lock:
            while self._pending and self._pending[0].remaining <= 0:
                self._pending.pop(0)
            if not self._pending:
                return None
            head = self._pending[0]
            head.remaining -= 1
            return head.status, head.retry_after

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._pending.clear()

    def pending(self) -> int:
        """How many faulty answers are still queued."""
        with self._lock:
            return sum(p.remaining for p in self._pending)


class RequestLog:
    """Counts requests by ``"METHOD /path"`` (path without the query string)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, method: str, path: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[f"{method} {path}"] += 1

    def count(self, contains: str = "") -> int:
        """How many requests were made whose ``"METHOD /path"`` contains ``contains``."""
        with self._lock:
            return sum(n for key, n in self._counts.items() if contains in key)

    def snapshot(self) -> dict[str, int]:
        """A copy of every count."""
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        """Forget every count."""
        with self._lock:
            self._counts.clear()
