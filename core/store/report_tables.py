"""The tables of what admins see and what people ask: run details, identity reviews, reports, erasures.

    run_streams        what each run did per system and stream (pulled, parked, deleted, written, held back...)
    identity_reviews   the pairs identity was unsure of (the review band), until a steward decides them
    report_snapshots   the headline figures of each reconciliation report, for the drift of the next one
    erasures           who asked to erase whom (by profile ID only), when, and what each system answered
    erasure_targets    each system record an erasure must delete there, with its outcome and retry state
    tombstones         keyed hashes of an erased person's identifiers, so a later pull does not re-create them
    tombstone_keys     the key those hashes are made with, when none is configured (``CONTACTPOINT_ERASURE_KEY``)

Migration 0006 creates them (self-contained: only its own tables).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.store.types import json_field, ts_field

__all__ = [
    "REPORT_TABLES",
    "ErasureRow",
    "ErasureTargetRow",
    "IdentityReviewRow",
    "ReportSnapshotRow",
    "RunStreamRow",
    "TombstoneKeyRow",
    "TombstoneRow",
]


class RunStreamRow(SQLModel, table=True):
    """What one run did to one stream of one system, in one step (``pull``, ``writeback``, ``erase``)."""

    __tablename__ = "run_streams"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "system", "stream", "step", name="uq_run_streams_key"),
        sa.Index("ix_run_streams_system", "system"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    step: str = Field(max_length=16)
    counters: dict[str, Any] = json_field()
    """Counts of the step; ``reasons`` ({code: count}) for parked and refused records."""
    recorded_at: datetime = ts_field()


class IdentityReviewRow(SQLModel, table=True):
    """A pair of records identity scored between its thresholds (or refused to link), awaiting a steward."""

    __tablename__ = "identity_reviews"
    __table_args__ = (
        sa.UniqueConstraint("left_record", "right_record", name="uq_identity_reviews_pair"),
        sa.Index("ix_identity_reviews_status", "status"),
        sa.Index("ix_identity_reviews_right_record", "right_record"),  # the unique index finds left_record
    )

    id: int | None = Field(default=None, primary_key=True)
    left_record: str = Field(max_length=700)
    right_record: str = Field(max_length=700)
    probability: float
    match_weight: float
    reason: str | None = Field(default=None, sa_type=sa.Text)
    explanation: dict[str, Any] = json_field()
    status: str = Field(default="open", max_length=16)
    """``open``; ``accepted`` (one person: a merge pin) or ``rejected`` (two people: a split pin); ``gone``."""
    found_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)
    decided_by: str | None = Field(default=None, max_length=120)
    decided_at: datetime | None = ts_field(nullable=True)
    note: str | None = Field(default=None, sa_type=sa.Text)


class ReportSnapshotRow(SQLModel, table=True):
    """The headline figures of one reconciliation report, so the next report can say what drifted."""

    __tablename__ = "report_snapshots"

    report_id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = ts_field()
    since_run: str | None = Field(default=None, max_length=64)
    figures: dict[str, Any] = json_field()


class ErasureRow(SQLModel, table=True):
    """One request to forget a person: who asked, when, what was removed (counts only) and how it ended."""

    __tablename__ = "erasures"

    erasure_id: str = Field(primary_key=True, max_length=64)
    profile_id: str = Field(max_length=40)
    requested_by: str | None = Field(default=None, max_length=120)
    requested_at: datetime = ts_field()
    reason: str | None = Field(default=None, sa_type=sa.Text)
    removed: dict[str, Any] = json_field()
    """Rows removed from the store per table, and tombstones kept: counts, never the data."""
    status: str = Field(default="pending", max_length=16)
    """``pending`` while a system still has to confirm, ``done`` when every system answered for good."""
    finished_at: datetime | None = ts_field(nullable=True)


class ErasureTargetRow(SQLModel, table=True):
    """One system record an erasure deletes there: the system's answer and the retry state."""

    __tablename__ = "erasure_targets"
    __table_args__ = (
        sa.UniqueConstraint("erasure_id", "system", "stream", "source_id", name="uq_erasure_targets_key"),
        sa.Index("ix_erasure_targets_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    erasure_id: str = Field(max_length=64)
    system: str = Field(max_length=40)
    stream: str = Field(max_length=120)
    source_id: str = Field(max_length=512)
    status: str = Field(default="pending", max_length=16)
    """``pending``, ``deleted``, ``anonymised``, ``not_found``, ``unsupported``, ``failed`` (for good)."""
    answer: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = Field(default=0)
    last_attempt_at: datetime | None = ts_field(nullable=True)
    run_id: str | None = Field(default=None, max_length=64)


class TombstoneRow(SQLModel, table=True):
    """A keyed hash of an erased person's identifier or record key: it names nobody, but recognises them."""

    __tablename__ = "tombstones"

    key_hash: str = Field(primary_key=True, max_length=64)
    key_id: str = Field(max_length=16)
    erasure_id: str = Field(max_length=64)
    created_at: datetime = ts_field()


class TombstoneKeyRow(SQLModel, table=True):
    """The tombstone key this installation made itself (used when ``CONTACTPOINT_ERASURE_KEY`` is not set)."""

    __tablename__ = "tombstone_keys"

    key_id: str = Field(primary_key=True, max_length=16)
    secret: str = Field(max_length=128)
    created_at: datetime = ts_field()


REPORT_TABLES: tuple[type[SQLModel], ...] = (
    RunStreamRow,
    IdentityReviewRow,
    ReportSnapshotRow,
    ErasureRow,
    ErasureTargetRow,
    TombstoneRow,
    TombstoneKeyRow,
)
"""The tables of migration 0006, in creation order."""
