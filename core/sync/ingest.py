"""Pull one stream into the store: the first arrow of every sync run.

For each batch a connector yields: map every record, store the source records
and their canonical models, park what the connector or the mapping rejected, and
only then save the batch's cursor. A crash between two batches resumes from the
last saved cursor; the replayed batch changes nothing because every write is an
idempotent upsert, so a resumed run has neither gaps nor duplicates.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any

import structlog

from connectors.base import Connector, PullBatch, RejectedRecord, SourceRecord
from core.canonical import IdentifierKind
from core.errors import BudgetExhaustedError, RateLimited
from core.failpoints import reach
from core.gcpause import collector_paused
from core.identity.roles import default_role_mailboxes
from core.mapping import CompiledMapping, FieldProblem, Mapped
from core.store import CanonicalInput, Store
from core.sync.clean import clean_record
from core.sync.values import MISSING, found_value, same

__all__ = ["TOMBSTONED_KINDS", "IngestSummary", "erased_records", "ingest_stream"]

TOMBSTONED_KINDS = ("email:", "external_id:")
"""Identifier kinds an erasure keeps tombstones of (phones are left out: a household shares its landline)."""

STORED_AT_ONCE = 1000
"""Records mapped and stored together: a run's memory follows this, not the connector's page size
(a Mixpanel export batch may be set up to 100,000 events); the batch's cursor is saved once all its parts are stored."""

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
    field_problems: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    """Parked records by ``code: field``."""
    examples: dict[str, str] = field(default_factory=dict)
    """One reason of each group, as the first record of the group gave it."""
    problem_fields: Counter[str] = field(default_factory=Counter)
    """Values left out, by canonical field."""
    deleted: int = 0
    """Records the system reported deleted."""
    erased: int = 0
    """Records of people erased before (a tombstone matched): not stored, so they are not re-created."""
    hand_changed: int = 0
    """Records whose write-back fields a person changed by hand in the vendor since Contactpoint wrote them."""
    repeated: int = 0
    """Records read again within one batch (an ID twice in a file): only the newest of each was stored."""
    older: int = 0
    """Records older than their stored version (an earlier export read after a later one): the stored one kept."""
    unparked: int = 0
    """Parked records of this stream that were read again and stored: no longer open."""
    changed: int = 0
    """Canonical rows (a record's models) that changed: the work for identity and policies, which the
    sync reads back from the store (``changed_since``). A record whose pull only brought Contactpoint's
    own write-back (its echo), or other fields no mapping reads, changes no canonical row."""
    cursor: Mapping[str, Any] | None = None
    duration_ms: int = 0
    stopped: str | None = None
    """Why the pull stopped before the stream's end (a rate limit, the API budget); None when it ran through."""

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
            "field_problems": self.field_problems,
            "repeated": self.repeated,
            "older": self.older,
        }


def identifier_keys(models: Iterable[Any]) -> set[tuple[str, str]]:
    """The ``(model, key)`` identifiers of a record's models that name one person (role mailboxes left out)."""
    roles = default_role_mailboxes()
    keys: set[tuple[str, str]] = set()
    for model in models:
        for found in getattr(model, "identifiers", ()):
            value = found.value.strip()
            if found.kind is IdentifierKind.EMAIL:
                local, _, domain = value.lower().partition("@")
                if not domain or roles.is_role(local):
                    continue
                value = f"{local}@{domain}"
            key = f"{found.kind.value}:{found.system}:{value}" if found.system else f"{found.kind.value}:{value}"
            keys.add((type(model).__name__, key))
    return keys


def _hand_changed(
    mapping: CompiledMapping, stream: str, records: Sequence[SourceRecord], store: Store
) -> list[tuple[str, str, str]]:
    """Records whose write-back fields, as pulled, differ from what Contactpoint last wrote there.

    Nothing mapped changed, so no other work would look at them; the planner must, to
    report the hand-made change and set an owned field back.
    """
    if stream not in mapping.streams or not mapping.writeback(stream).fields or not records:
        return []
    writeback = mapping.writeback(stream)
    system = records[0].system
    written = store.writeback.written(system, stream, [r.source_id for r in records])
    drifted = []
    for record in records:
        last = written.get(record.source_id)
        if last and any(
            (found := found_value(record.raw, writeback, name)) is not MISSING and not same(found, value)
            for name, value in last.items()
        ):
            drifted.append((record.system, record.stream, record.source_id))
    return drifted


def _key(record: SourceRecord) -> tuple[str, str, str]:
    return (record.system, record.stream, record.source_id)


def erased_records(store: Store, mapped: Sequence[tuple[SourceRecord, Any, Any]]) -> set[tuple[str, str, str]]:
    """The records of people erased before: their record key, email or external ID has a tombstone.

    They are neither stored nor parked (parking would keep their data): a pull must not
    bring back someone who asked to be forgotten.
    """
    if not mapped or not store.tombstones.any():
        return set()
    keys_of: dict[tuple[str, str, str], set[str]] = {}
    for record, _, outcome in mapped:
        keys = {f"record:{record.system}/{record.stream}/{record.source_id}"}
        if isinstance(outcome, Mapped):
            keys |= {key for _, key in identifier_keys(outcome.models) if key.startswith(TOMBSTONED_KINDS)}
        keys_of[_key(record)] = keys
    hits = store.tombstones.matches(k for keys in keys_of.values() for k in keys)
    return {ref for ref, keys in keys_of.items() if keys & hits}


def _reason_group(item: RejectedRecord) -> str:
    """The group a parked record is counted under: its reason code and field."""
    return f"{item.code}: {item.field}" if item.field else str(item.code)


_Mapped = tuple[SourceRecord, Any, Any]
"""A record as stored, what cleaning it dropped, and its mapping's outcome (``Mapped`` or ``Rejected``)."""


def _mapped_at(outcome: Any) -> datetime | None:
    """When the system last changed a record, as its mapping read it (the latest of its models' times)."""
    if not isinstance(outcome, Mapped):
        return None
    return max((at for model in outcome.models if (at := getattr(model, "updated_at", None)) is not None), default=None)


def _dated(mapped: list[_Mapped]) -> list[_Mapped]:
    """Each record with its change time: a time only the mapping read is stored with the record too."""
    out = []
    for record, cleaned, outcome in mapped:
        if record.updated_at is None and (at := _mapped_at(outcome)) is not None:
            record = SourceRecord(record.system, record.stream, record.source_id, record.raw, at, record.deleted,
                                  record.merged_into, record.position)  # fmt: skip
        out.append((record, cleaned, outcome))
    return out


def _newest_of_each(mapped: list[_Mapped]) -> list[_Mapped]:
    """One entry per record of the batch: the newest by change time; of equal or unknown times, the one read last.

    A file can hold one ID twice (an export with joined rows, two exports appended): the
    store keeps one version of a record, so which one is chosen here, not by write order.
    """
    chosen: dict[tuple[str, str, str], int] = {}
    for at, (record, _, _) in enumerate(mapped):
        before = chosen.get(key := _key(record))
        if before is not None:
            then, now = mapped[before][0].updated_at, record.updated_at
            if then is not None and now is not None and now < then:
                continue
        chosen[key] = at
    return mapped if len(chosen) == len(mapped) else [mapped[at] for at in sorted(chosen.values())]


def _older_than_stored(store: Store, mapped: list[_Mapped]) -> set[tuple[str, str, str]]:
    """The records whose stored version the system changed later than the one in hand (never overwritten by it).

    A batch is one stream of one system.
    """
    times = {record.source_id: record.updated_at for record, _, _ in mapped if record.updated_at is not None}
    if not times:
        return set()
    system, stream = mapped[0][0].system, mapped[0][0].stream
    return {(system, stream, source_id) for source_id in store.records.newer_stored(system, stream, times)}


def _store_batch(
    batch: PullBatch,
    mapping: CompiledMapping,
    store: Store,
    summary: IngestSummary,
    *,
    run_id: str,
    fresh: bool,
    parked_open: bool = False,
) -> None:
    """Store one batch.

    ``fresh``: the stream had no stored record when the run began: no hashes to compare and
    no stored versions to look up (an ID repeated in a later batch of a stream's first load
    keeps the row read last; from its next run on, an older version never replaces a newer
    one). ``parked_open``: the stream has open parked records; those of the batch's records
    stored now are closed.
    """
    canonical: list[CanonicalInput] = []
    parked: list[RejectedRecord] = list(batch.rejected)
    problems: list[tuple[SourceRecord, Sequence[FieldProblem]]] = []
    identifiers: list[tuple[SourceRecord, set[tuple[str, str]]]] = []
    kept: dict[tuple[str, str, str], list[tuple[str, int]]] = {}
    read = _dated([(record, cleaned, mapping.map(record)) for record, cleaned in map(clean_record, batch.records)])
    mapped = _newest_of_each(read)
    summary.repeated += len(read) - len(mapped)
    if not fresh:  # a first load has no stored version to be older than, but its own rows of earlier batches
        older = _older_than_stored(store, mapped)
        if older:
            mapped = [entry for entry in mapped if _key(entry[0]) not in older]
            summary.older += len(older)
    erased = erased_records(store, mapped)
    records = [(record, cleaned) for record, cleaned, _ in mapped if _key(record) not in erased]
    for record, cleaned, outcome in mapped:
        if _key(record) in erased:
            continue
        if isinstance(outcome, Mapped):
            rows = [(record, type(model).__name__, ordinal, model) for ordinal, model in enumerate(outcome.models)]
            canonical.extend(rows)
            kept[(record.system, record.stream, record.source_id)] = [(name, n) for _, name, n, _ in rows]
            problems.append((record, [*cleaned, *outcome.problems]))
            identifiers.append((record, identifier_keys(outcome.models)))
        else:
            parked.append(outcome.to_rejected_record())
    stored = [record for record, _ in records]
    counts = store.records.upsert_source(stored, run_id=run_id, fresh=fresh)
    new = fresh and counts.inserted == counts.total  # no record of the batch was stored before it
    changed: list[tuple[Any, ...]] = []
    canonical_counts = store.records.upsert_canonical(canonical, run_id=run_id, changed=changed, fresh=new)
    dropped = 0 if new else store.records.drop_stale_canonical(kept)
    summary.changed += len(changed) + (len(kept) if dropped else 0)  # a record mapping to fewer models changed too
    store.identifiers.replace(identifiers, fresh=new)
    drifted = _hand_changed(mapping, batch.stream, [record for record, _ in records], store)
    if drifted:
        store.records.touch(drifted)
        summary.hand_changed += len(drifted)
    if parked_open and kept:
        summary.unparked += store.parked.close_stored(kept)
    store.parked.add(parked, run_id=run_id)
    summary.field_problems += store.field_problems.replace(problems, run_id=run_id, fresh=new)
    summary.deleted += sum(1 for record, _ in records if record.deleted)
    summary.erased += len(erased)
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    summary.canonical += canonical_counts.changed
    summary.parked += len(parked)
    for item in parked:
        group = _reason_group(item)
        summary.reasons[group] += 1
        summary.examples.setdefault(group, item.reason)
    summary.problem_fields.update(p.field for _, found in problems for p in found)


def _parts(batch: PullBatch) -> Iterator[PullBatch]:
    """The batch in parts of ``STORED_AT_ONCE`` records (the connector's rejects with the first)."""
    for start in range(0, max(len(batch.records), 1), STORED_AT_ONCE):
        part = batch.records[start : start + STORED_AT_ONCE]
        yield PullBatch(batch.stream, part, batch.cursor, batch.rejected if start == 0 else [])


def _gone(store: Store, system: str, batch: PullBatch) -> Iterator[PullBatch]:
    """The stored live records a complete pass did not list (``PullBatch.listed``), as deleted records to store.

    Each is its stored version marked deleted (its raw as last pulled), in parts of
    ``STORED_AT_ONCE``: it is unlinked from its profile and never written to again, as a
    deletion the system reports is. Found before any is stored, so a part stored does
    not change what the next part reads.
    """
    if batch.listed is None:
        return
    absent = [sid for sid in store.records.live_ids(system, batch.stream) if sid not in batch.listed]
    for start in range(0, len(absent), STORED_AT_ONCE):
        part = absent[start : start + STORED_AT_ONCE]
        raws = store.records.raw_of(system, batch.stream, part)
        gone = [SourceRecord(system, batch.stream, sid, raws[sid], deleted=True, position="absent from a complete pass")
                for sid in part if sid in raws]  # fmt: skip
        log.info("stream.records_gone", system=system, stream=batch.stream, records=len(gone))
        yield PullBatch(batch.stream, gone, batch.cursor)


def _pull_batches(
    connector: Connector,
    stream: str,
    cursor: Mapping[str, Any] | None,
    mapping: CompiledMapping,
    store: Store,
    summary: IngestSummary,
    *,
    run_id: str,
    on_batch: Callable[[IngestSummary], None] | None,
    check_stop: Callable[[], None] | None,
) -> None:
    """Store each batch the connector yields, then its cursor (the order that makes a crash lose nothing)."""
    fresh = store.records.stream_is_empty(connector.system, stream)
    parked_open = store.parked.count(connector.system, stream) > 0
    for batch in connector.pull(stream, cursor):
        for part in chain(_parts(batch), _gone(store, connector.system, batch)):
            with collector_paused():
                _store_batch(part, mapping, store, summary, run_id=run_id, fresh=fresh, parked_open=parked_open)
            parked_open = parked_open or summary.parked > 0
        reach("ingest.batch_stored")
        store.cursors.save(connector.system, stream, batch.cursor, run_id=run_id)
        reach("ingest.cursor_saved")
        summary.batches += 1
        summary.pulled += len(batch.records) + len(batch.rejected)
        summary.cursor = batch.cursor
        log.debug("stream.batch_stored", records=len(batch.records), rejected=len(batch.rejected))
        if on_batch is not None:
            on_batch(summary)
        if check_stop is not None:
            check_stop()


def ingest_stream(
    connector: Connector,
    stream: str,
    mapping: CompiledMapping,
    store: Store,
    *,
    run_id: str,
    resume: bool = True,
    on_batch: Callable[[IngestSummary], None] | None = None,
    check_stop: Callable[[], None] | None = None,
    into: IngestSummary | None = None,
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
        check_stop: Called after each stored batch and its cursor; raises to stop there
            (``RunContext.check_stop``: a signal stops the run between batches, never inside one).
        into: The summary to fill (one is made when not given): a caller that must keep the
            counts of a stream that stopped halfway (``RunContext.count_from``) gives its own.

    Returns:
        The summary (``into`` when given): counts, parked reasons and the last saved cursor.

    Raises:
        ConnectorError: The connector failed; batches stored before stay stored.
        StoreError: The store could not be written.
    """
    started = time.monotonic()
    system = connector.system
    cursor = store.cursors.get(system, stream) if resume else None
    summary = into if into is not None else IngestSummary(system=system, stream=stream)
    summary.resumed_from = cursor
    bound = log.bind(run_id=run_id, system=system, stream=stream)
    bound.info("stream.pull_started", cursor=cursor)
    try:
        _pull_batches(connector, stream, cursor, mapping, store, summary, run_id=run_id, on_batch=on_batch,
                      check_stop=check_stop)  # fmt: skip
    except (RateLimited, BudgetExhaustedError) as err:
        # what was stored stands, with its cursor; the next run carries on from there
        summary.stopped = err.message
        bound.warning("stream.pull_stopped", reason=err.message, records=summary.pulled)
    summary.duration_ms = int((time.monotonic() - started) * 1000)
    bound.info("stream.pull_finished", records=summary.pulled, rejected=summary.parked, duration_ms=summary.duration_ms)
    return summary
