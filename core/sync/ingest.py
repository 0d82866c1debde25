"""Pull one stream into the store: the first arrow of every sync run.

For each batch a connector yields: map every record, store the source records
and their canonical models, park what the connector or the mapping rejected, and
only then save the batch's cursor. A crash between two batches resumes from the
last saved cursor; the replayed batch changes nothing because every write is an
idempotent upsert, so a resumed run has neither gaps nor duplicates.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.base import Connector, PullBatch, RejectedRecord
from core.mapping import CompiledMapping, Mapped
from core.store import CanonicalInput, Store

__all__ = ["IngestSummary", "ingest_stream"]

log = structlog.get_logger(__name__)


@dataclass
class IngestSummary:
    """What one stream's ingest did, for the run ledger and the operator."""

    system: str
    stream: str
    resumed_from: Mapping[str, Any] | None = None
    batches: int = 0
    pulled: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    canonical: int = 0
    parked: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    cursor: Mapping[str, Any] | None = None
    duration_ms: int = 0

    def counters(self) -> dict[str, Any]:
        """Counters in the run ledger's vocabulary."""
        return {
            "pulled": self.pulled,
            "stored": self.inserted + self.updated,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "canonical": self.canonical,
            "rejected": self.parked,
        }


_QUOTED = re.compile(r"'[^']*'")


def _reason_kind(reason: str) -> str:
    """Group reasons for the summary: the reason with its quoted values blanked out."""
    return _QUOTED.sub("'…'", reason.split(" (got ", 1)[0])[:160]


def _store_batch(
    batch: PullBatch, mapping: CompiledMapping, store: Store, summary: IngestSummary, *, run_id: str
) -> None:
    canonical: list[CanonicalInput] = []
    parked: list[RejectedRecord] = list(batch.rejected)
    for record in batch.records:
        outcome = mapping.map(record)
        if isinstance(outcome, Mapped):
            canonical.extend(
                (record, type(model).__name__, ordinal, model) for ordinal, model in enumerate(outcome.models)
            )
        else:
            parked.append(outcome.to_rejected_record())
    counts = store.records.upsert_source(batch.records, run_id=run_id)
    canonical_counts = store.records.upsert_canonical(canonical, run_id=run_id)
    store.parked.add(parked, run_id=run_id)
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    summary.canonical += canonical_counts.changed
    summary.parked += len(parked)
    summary.reasons.update(_reason_kind(item.reason) for item in parked)


def ingest_stream(
    connector: Connector,
    stream: str,
    mapping: CompiledMapping,
    store: Store,
    *,
    run_id: str,
    resume: bool = True,
    on_batch: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Pull ``stream`` from ``connector`` into ``store`` through ``mapping``.

    Args:
        connector: Where the records come from.
        stream: The stream to pull; the mapping must map it.
        mapping: The compiled mapping for the connector's system.
        store: Where source records, canonical records, parked records and cursors go.
        run_id: The run this ingest belongs to (``store.runs.start``).
        resume: Start from the stored cursor (default); False pulls everything again.
        on_batch: Called after each stored batch, e.g. to show progress.

    Returns:
        The summary: counts, parked reasons and the last saved cursor.

    Raises:
        ConnectorError: The connector failed; batches stored before stay stored.
        StoreError: The store could not be written.
    """
    started = time.monotonic()
    system = connector.system
    cursor = store.cursors.get(system, stream) if resume else None
    summary = IngestSummary(system=system, stream=stream, resumed_from=cursor)
    bound = log.bind(run_id=run_id, system=system, stream=stream)
    bound.info("stream.pull_started", cursor=cursor)
    for batch in connector.pull(stream, cursor):
        _store_batch(batch, mapping, store, summary, run_id=run_id)
        store.cursors.save(system, stream, batch.cursor, run_id=run_id)
        summary.batches += 1
        summary.pulled += len(batch.records) + len(batch.rejected)
        summary.cursor = batch.cursor
        bound.debug("stream.batch_stored", records=len(batch.records), rejected=len(batch.rejected))
        if on_batch is not None:
            on_batch(summary)
    summary.duration_ms = int((time.monotonic() - started) * 1000)
    bound.info("stream.pull_finished", records=summary.pulled, rejected=summary.parked, duration_ms=summary.duration_ms)
    return summary
