"""The store's tables, as SQLModel classes (``table=True``).

    source_records     one row per (system, stream, source_id): raw JSON + content hash
    canonical_records  mapped canonical rows: (system, stream, source_id, model, ordinal)
    cursors            one bookmark per (system, stream)
    runs               the run ledger: kind, status, counters, API usage, error
    parked_records     rejected records with reason code, field and reason, deduplicated by content
    field_problems     values left out of stored records (the record kept), one row per record and field
    job_locks          the jobs running now, so two runs of one job never overlap
    record_identifiers the identifiers each canonical record carries (who an interaction is about)
    profiles           unified profiles and their golden record
    profile_aliases    merged-away profile IDs → the profile they now resolve to
    links              source record → profile, with method, rule, score, explanation
    writeback_ledger   last value written to each field of each system record
    writeback_failures writes a vendor refused or never confirmed, with their retry state
    writeback_owed     profiles whose writes to a system waited because it failed during a run
    profile_decisions  what the policies decided for each profile (values, reasons, when to look again)
    alerts             alerts raised once per occurrence, and where they went
    scheduler_jobs     APScheduler's job store for ``contactpoint schedule run``
    identity_*         pins, the index incremental resolution searches, trained models (identity_tables.py)
    ledger_* / oauth_* the customer's ledger, sign-in links, sessions, OAuth grants (ledger_tables.py)
    run_streams, identity_reviews, report_snapshots, erasures, tombstones...  (report_tables.py)

Every timestamp is timezone-aware UTC (``UtcDateTime``); JSON columns are JSONB on
PostgreSQL. The schema is created by the Alembic migrations in ``migrations/``;
``tests/core/store/test_migrations.py`` proves the two agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.store.golden_codec import GoldenJSON
from core.store.identity_tables import IDENTITY_TABLES
from core.store.ledger_tables import LEDGER_TABLES
from core.store.report_tables import REPORT_TABLES
from core.store.types import json_field, ts_field

__all__ = [
    "Alert",
    "TABLES",
    "CanonicalRecord",
    "Cursor",
    "FieldProblemRow",
    "JobLock",
    "LinkMethod",
    "Link",
    "ParkedRecord",
    "Profile",
    "ProfileAlias",
    "ProfileDecision",
    "ProfileStatus",
    "RecordIdentifier",
    "Run",
    "RunStatus",
    "SchedulerJob",
    "SourceRecordRow",
    "WritebackEntry",
    "WritebackFailure",
    "WritebackOwed",
    "metadata",
]

metadata = SQLModel.metadata
"""The metadata every store table is registered in (Alembic's ``target_metadata``)."""


class RunStatus(StrEnum):
    """Where a run is: started, then how it ended.

    ``partial``: it ran to the end but some records were parked or some parts failed;
    ``interrupted``: stopped on request (SIGTERM, Ctrl-C) after finishing its batch;
    ``abandoned``: its process is gone without a word (killed), found by a later run;
    ``refused``: another run held its job, so it did nothing (a scheduled run skipped too).
    """

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PARTIAL = "partial"
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"
    REFUSED = "refused"


class ProfileStatus(StrEnum):
    """An active profile, one merged into another (see ``merged_into``), or one retired.

    A profile is retired when its last record went away (deleted at the source, or moved
    out by a split or a later resolution): its ID stays known, holding no records.
    """

    ACTIVE = "active"
    MERGED = "merged"
    RETIRED = "retired"


class LinkMethod(StrEnum):
    """How a record was linked: a deterministic rule, a fuzzy score, or by hand."""

    RULE = "rule"
    SCORE = "score"
    MANUAL = "manual"


def _enum() -> Any:
    return Field(sa_type=sa.String(16))


class SourceRecordRow(SQLModel, table=True):
    """A record as a system gave it; ``content_hash`` covers raw, deleted and merged_into."""

    __tablename__ = "source_records"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "source_id", name="uq_source_records_key"),
        sa.Index("ix_source_records_last_run_id", "last_run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    updated_at: datetime | None = ts_field(nullable=True)
    deleted: bool = Field(default=False)
    merged_into: str | None = Field(default=None, max_length=512)
    raw: dict[str, Any] = json_field()
    content_hash: str = Field(max_length=64)
    first_seen_at: datetime = ts_field()
    last_seen_at: datetime = ts_field()
    last_run_id: str | None = Field(default=None, max_length=64)


class CanonicalRecord(SQLModel, table=True):
    """One canonical model instance mapped from a source record (``ordinal`` numbers several)."""

    __tablename__ = "canonical_records"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "source_id", "model", "ordinal", name="uq_canonical_records_key"),
        sa.Index("ix_canonical_records_model", "model"),
        sa.Index("ix_canonical_records_updated_at", "updated_at"),  # a run's work: the rows changed since the last
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    model: str = Field(max_length=64)
    ordinal: int = Field(default=0)
    data: dict[str, Any] = json_field()
    content_hash: str = Field(max_length=64)
    updated_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class Cursor(SQLModel, table=True):
    """The bookmark of one stream, saved after each stored batch."""

    __tablename__ = "cursors"
    __table_args__ = (sa.UniqueConstraint("system", "stream", name="uq_cursors_key"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    cursor: dict[str, Any] = json_field()
    updated_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class Run(SQLModel, table=True):
    """One run of a job: what it was, how it ended, what it counted and spent."""

    __tablename__ = "runs"
    __table_args__ = (
        sa.Index("ix_runs_started_at", "started_at"),
        sa.Index("ix_runs_status", "status"),  # the runs still going, looked for by every run that starts
    )

    run_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=40)
    status: RunStatus = _enum()
    started_at: datetime = ts_field()
    finished_at: datetime | None = ts_field(nullable=True)
    counters: dict[str, Any] = json_field()
    api_usage: dict[str, Any] = json_field()
    error: str | None = Field(default=None, sa_type=sa.Text)
    error_type: str | None = Field(default=None, max_length=120)
    job: str | None = Field(default=None, max_length=100)
    """What started it: a schedule's name, or None when a person ran the command."""
    heartbeat_at: datetime | None = ts_field(nullable=True)
    pid: int | None = Field(default=None)
    host: str | None = Field(default=None, max_length=255)


class ParkedRecord(SQLModel, table=True):
    """A rejected record with its reason; parking it again counts instead of duplicating."""

    __tablename__ = "parked_records"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "content_hash", name="uq_parked_records_key"),
        sa.Index("ix_parked_records_run_id", "run_id"),
        sa.Index("ix_parked_records_record", "system", "stream", "source_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str | None = Field(default=None, max_length=512)
    reason: str = Field(sa_type=sa.Text)
    raw: Any = json_field(nullable=True)
    position: str | None = Field(default=None, max_length=255)
    code: str | None = Field(default=None, max_length=24)
    field: str | None = Field(default=None, max_length=200)
    run_id: str | None = Field(default=None, max_length=64)
    content_hash: str = Field(max_length=64)
    first_parked_at: datetime = ts_field()
    last_parked_at: datetime = ts_field()
    times_seen: int = Field(default=1)
    resolved: bool = Field(default=False)


class FieldProblemRow(SQLModel, table=True):
    """A value left out of a stored record because its field refused it; the record itself was kept."""

    __tablename__ = "field_problems"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "source_id", "field", name="uq_field_problems_key"),
        sa.Index("ix_field_problems_run_id", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    field: str = Field(max_length=200)
    code: str = Field(max_length=24)
    message: str = Field(sa_type=sa.Text)
    run_id: str | None = Field(default=None, max_length=64)
    seen_at: datetime = ts_field()


class RecordIdentifier(SQLModel, table=True):
    """An identifier a stored canonical record carries: how interactions and consents find their person."""

    __tablename__ = "record_identifiers"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "source_id", "model", "key", name="uq_record_identifiers_key"),
        sa.Index("ix_record_identifiers_lookup", "key", "model"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    model: str = Field(max_length=64)
    key: str = Field(max_length=600)
    """``Identifier.key``: kind, issuing system (external IDs) and value, e.g. ``email:ann@example.com``."""


class JobLock(SQLModel, table=True):
    """A job a run holds, so two runs of one job never overlap; released at the run's end."""

    __tablename__ = "job_locks"

    name: str = Field(primary_key=True, max_length=200)
    run_id: str = Field(max_length=64)
    pid: int
    host: str = Field(max_length=255)
    acquired_at: datetime = ts_field()
    heartbeat_at: datetime = ts_field()


class Profile(SQLModel, table=True):
    """A unified profile: its golden record, and where it went if merged."""

    __tablename__ = "profiles"
    __table_args__ = (sa.Index("ix_profiles_merged_into", "merged_into"),)

    profile_id: str = Field(primary_key=True, max_length=40)
    status: ProfileStatus = _enum()
    golden: dict[str, Any] = Field(sa_column=sa.Column(GoldenJSON(), nullable=False))  # stored packed
    content_hash: str = Field(max_length=64)
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()
    merged_into: str | None = Field(default=None, max_length=40)
    run_id: str | None = Field(default=None, max_length=64)


class ProfileAlias(SQLModel, table=True):
    """A profile ID that was merged away and now resolves to ``profile_id``."""

    __tablename__ = "profile_aliases"
    __table_args__ = (sa.Index("ix_profile_aliases_profile_id", "profile_id"),)

    alias: str = Field(primary_key=True, max_length=40)
    profile_id: str = Field(max_length=40)
    created_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class Link(SQLModel, table=True):
    """Which profile a source record belongs to, how it was decided, and why."""

    __tablename__ = "links"
    __table_args__ = (
        sa.UniqueConstraint("system", "stream", "source_id", name="uq_links_key"),
        sa.Index("ix_links_profile_id", "profile_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    profile_id: str = Field(max_length=40)
    method: LinkMethod = _enum()
    rule: str | None = Field(default=None, max_length=120)
    score: float | None = Field(default=None)
    explanation: dict[str, Any] = json_field()
    content_hash: str = Field(max_length=64)
    linked_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class WritebackEntry(SQLModel, table=True):
    """The value last written to one field of one system record."""

    __tablename__ = "writeback_ledger"
    __table_args__ = (sa.UniqueConstraint("system", "stream", "source_id", "field", name="uq_writeback_ledger_key"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    field: str = Field(max_length=255)
    value: Any = json_field(nullable=True)
    value_hash: str = Field(max_length=64)
    written_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class WritebackFailure(SQLModel, table=True):
    """A write the vendor refused or never confirmed: its error and retry state, kept apart from the batch."""

    __tablename__ = "writeback_failures"
    __table_args__ = (sa.UniqueConstraint("system", "stream", "source_id", name="uq_writeback_failures_key"),)

    id: int | None = Field(default=None, primary_key=True)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    fields: dict[str, Any] = json_field()
    code: str | None = Field(default=None, max_length=120)
    message: str | None = Field(default=None, sa_type=sa.Text)
    retryable: bool = Field(default=False)
    attempts: int = Field(default=1)
    first_failed_at: datetime = ts_field()
    last_failed_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class WritebackOwed(SQLModel, table=True):
    """A profile whose writes to a system were not sent because the system failed during a run.

    The next runs decide and plan it again until a run in which the system answers throughout.
    """

    __tablename__ = "writeback_owed"

    system: str = Field(primary_key=True, max_length=40)
    profile_id: str = Field(primary_key=True, max_length=40)
    owed_since: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


class ProfileDecision(SQLModel, table=True):
    """What the policies decided for a profile: the values write-back sends, with their reasons."""

    __tablename__ = "profile_decisions"
    __table_args__ = (sa.Index("ix_profile_decisions_review_at", "review_at"),)  # those due, every run

    profile_id: str = Field(primary_key=True, max_length=40)
    values: dict[str, Any] = json_field()
    explanation: dict[str, Any] = json_field()
    content_hash: str = Field(max_length=64)
    review_at: datetime | None = ts_field(nullable=True)
    """When a decision runs out by itself (a suppression window, a decaying score): evaluate it again then."""
    updated_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


ALERTS_UNSENT = "status != 'sent'"
"""The condition of the partial index ``ix_alerts_unsent``: a query that names it word for word is answered by it."""


class Alert(SQLModel, table=True):
    """An alert a policy raised once per occurrence (a complaint), and where it went."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.Index("ix_alerts_profile_id", "profile_id"),
        sa.Index(  # those not yet sent, every run: only they are in it, in the order they go out
            "ix_alerts_unsent",
            "raised_at",
            "key",
            sqlite_where=sa.text(ALERTS_UNSENT),
            postgresql_where=sa.text(ALERTS_UNSENT),
        ),
    )

    key: str = Field(primary_key=True, max_length=300)
    """The occurrence's idempotency key (``zendesk/tickets/4711:complaint``): never raised twice."""
    profile_id: str = Field(max_length=40)
    kind: str = Field(max_length=60)
    title: str = Field(max_length=500)
    detail: dict[str, Any] = json_field()
    raised_at: datetime = ts_field()
    system: str | None = Field(default=None, max_length=40)
    vendor_id: str | None = Field(default=None, max_length=512)
    status: str = Field(default="pending", max_length=16)
    """``pending`` until its target system confirms it (``sent``), or ``failed`` with the error."""
    error: str | None = Field(default=None, sa_type=sa.Text)
    run_id: str | None = Field(default=None, max_length=64)


class SchedulerJob(SQLModel, table=True):
    """APScheduler's job store (``contactpoint schedule run``): each scheduled job and its next run time."""

    __tablename__ = "scheduler_jobs"

    id: str = Field(primary_key=True, max_length=191)
    next_run_time: float | None = Field(default=None, sa_type=sa.Float(25), index=True)
    job_state: bytes = Field(sa_type=sa.LargeBinary)


TABLES: tuple[type[SQLModel], ...] = (
    SourceRecordRow,
    CanonicalRecord,
    Cursor,
    Run,
    ParkedRecord,
    FieldProblemRow,
    RecordIdentifier,
    JobLock,
    Profile,
    ProfileAlias,
    Link,
    WritebackEntry,
    WritebackFailure,
    WritebackOwed,
    ProfileDecision,
    Alert,
    SchedulerJob,
    *IDENTITY_TABLES,
    *LEDGER_TABLES,
    *REPORT_TABLES,
)
"""Every table of the store, in creation order."""
