"""Connectors: one package per system, each satisfying ``connectors.base.Connector``.

Connectors are found through the ``contactpoint.connectors`` entry-point group, so a
company can ship its own as a separate package.
"""

from connectors.base import (
    CheckResult,
    Connector,
    ConnectorFactory,
    Cursor,
    PullBatch,
    RejectedRecord,
    RejectionCode,
    SourceRecord,
    StreamSpec,
    WriteBatch,
    WriteOp,
    WriteOutcome,
    WriteResult,
)

__all__ = [
    "CheckResult",
    "Connector",
    "ConnectorFactory",
    "Cursor",
    "PullBatch",
    "RejectedRecord",
    "RejectionCode",
    "SourceRecord",
    "StreamSpec",
    "WriteBatch",
    "WriteOp",
    "WriteOutcome",
    "WriteResult",
]
