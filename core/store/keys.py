"""How the store names one record: ``RecordKey`` values, and ``system/stream/source_id`` keys."""

from __future__ import annotations

from typing import Protocol

__all__ = ["RecordKey", "record_key", "split_record_key"]


class RecordKey(Protocol):
    """Anything naming one record: ``RecordRef``, ``SourceRecord``, a link input..."""

    @property
    def system(self) -> str:
        """The configured system's name."""
        ...

    @property
    def stream(self) -> str:
        """The stream within the system."""
        ...

    @property
    def source_id(self) -> str:
        """The record's ID in that system."""
        ...


def record_key(system: str, stream: str, source_id: str) -> str:
    """Return ``system/stream/source_id``."""
    return f"{system}/{stream}/{source_id}"


def split_record_key(key: str) -> tuple[str, str, str]:
    """Split ``system/stream/source_id`` (the source ID may itself hold slashes)."""
    system, stream, source_id = key.split("/", 2)
    return system, stream, source_id
