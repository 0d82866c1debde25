"""The identity tables: manual pins, the index incremental resolution searches, trained models.

    identity_pins        manual must-link / cannot-link decisions that win over the model
    identity_block_keys  blocking keys of every linked record (incremental resolution)
    identity_wide_keys   how many rows of a key too common to search by were left out of the block keys
    identity_records     every resolved record's profile (its Person: its canonical row), for incremental resolution
    identity_models      trained identity models (parameters + settings hash) per run

Migrations 0002 and 0007 create them (0009-0011 change them); ``tables.TABLES`` lists them with the others.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.store.types import json_field, ts_field

__all__ = [
    "BLOCK_KEY_LENGTH",
    "IDENTITY_TABLES",
    "IdentityBlockKey",
    "IdentityModel",
    "IdentityPin",
    "IdentityRecord",
    "IdentityWideKey",
    "PinKind",
]

BLOCK_KEY_LENGTH = 255
"""Width of a stored blocking key and sub-key; longer ones are cut to it when written and looked up."""


class PinKind(StrEnum):
    """A manual identity decision: two records are one person, or never are."""

    MUST_LINK = "must_link"
    CANNOT_LINK = "cannot_link"


class IdentityPin(SQLModel, table=True):
    """A manual decision about two records (``system/stream/source_id`` keys); it wins over the model."""

    __tablename__ = "identity_pins"
    __table_args__ = (
        sa.Index("ix_identity_pins_left_record", "left_record"),
        sa.Index("ix_identity_pins_right_record", "right_record"),
    )

    pin_id: int | None = Field(default=None, primary_key=True)
    kind: PinKind = Field(sa_type=sa.String(16))
    left_record: str = Field(max_length=700)
    right_record: str = Field(max_length=700)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    created_by: str | None = Field(default=None, max_length=120)
    created_at: datetime = ts_field()
    active: bool = Field(default=True)


class IdentityBlockKey(SQLModel, table=True):
    """One blocking key of one linked record, so a new record finds its candidates by index.

    A row is found by its key (a search) or its record (a replace, an erasure), never on its
    own: the table has no surrogate ID (migration 0011), so a whole batch's rows, about ten a
    record, go in without a sequence step and a primary-key entry each. The mapper names
    its three columns as the identity an ORM object would need.
    """

    __tablename__ = "identity_block_keys"
    __table_args__ = (
        sa.Index("ix_identity_block_keys_key", "key", "sub_key"),
        sa.Index("ix_identity_block_keys_record", "record"),
    )
    __mapper_args__ = {"primary_key": ["key", "sub_key", "record"]}

    key: str = Field(max_length=BLOCK_KEY_LENGTH)
    sub_key: str = Field(default="", max_length=BLOCK_KEY_LENGTH)
    record: str = Field(max_length=700)  # its profile: ``identity_records``


class IdentityWideKey(SQLModel, table=True):
    """A blocking key held by more records than a block may have: how many of its rows were left out.

    Incremental resolution searches such a key only by its sub-key, so its rows without
    one are never read: a batch leaves them out of ``identity_block_keys`` and counts them
    here, so the key's size stays what it was.
    """

    __tablename__ = "identity_wide_keys"

    key: str = Field(primary_key=True, max_length=BLOCK_KEY_LENGTH)
    left_out: int


class IdentityRecord(SQLModel, table=True):
    """A resolved record and its profile (its Person is its canonical row, read with it by ``IdentityIndex``)."""

    __tablename__ = "identity_records"
    __table_args__ = (sa.Index("ix_identity_records_profile_id", "profile_id"),)

    record: str = Field(primary_key=True, max_length=700)
    profile_id: str = Field(max_length=40)


class IdentityModel(SQLModel, table=True):
    """A trained identity model: the parameters incremental resolution scores with."""

    __tablename__ = "identity_models"

    model_id: int | None = Field(default=None, primary_key=True)
    settings_hash: str = Field(max_length=64)
    parameters: dict[str, Any] = json_field()
    created_at: datetime = ts_field()
    run_id: str | None = Field(default=None, max_length=64)


IDENTITY_TABLES: tuple[type[SQLModel], ...] = (
    IdentityPin,
    IdentityBlockKey,
    IdentityWideKey,
    IdentityRecord,
    IdentityModel,
)
"""The identity tables, in creation order."""
