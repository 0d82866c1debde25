"""The ledger's errors, each on its branch of ``core.errors``' tree.

RecordRejected
└── StatementRejected      a statement is invalid: every problem named, nothing recorded (exit 4)
ContactpointError
└── LedgerIntegrityError   a signature or chain does not check out: refused (exit 4)
ConfigError
└── LedgerKeyError         the signing key is missing or unreadable (exit 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import ConfigError, ContactpointError, RecordRejected

__all__ = ["LedgerIntegrityError", "LedgerKeyError", "StatementRejected"]


class StatementRejected(RecordRejected):
    """One or more statements are invalid; ``problems`` lists each as ``where: field: reason``."""

    def __init__(self, problems: Sequence[str], *, hint: str | None = None, **context: Any) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the ledger statements; nothing was recorded"
        super().__init__(
            heading + "\n" + "\n".join(f"  {p}" for p in self.problems),
            hint=hint or "fix the fields named above (schema: docs/ledger.md#statements), then record again",
            **context,
        )


class LedgerIntegrityError(ContactpointError):
    """A signature, a document or a chain does not check out; nothing was changed."""

    exit_code = 4


class LedgerKeyError(ConfigError):
    """The ledger's signing key is missing or cannot be read."""
