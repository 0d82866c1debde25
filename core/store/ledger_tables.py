"""The tables of the customer's ledger, its sign-in links and sessions, and OAuth grants to systems.

    ledger_entries   the append-only history of statements, one hash chain per person
    ledger_keys      every public key that signed a statement (rotated keys keep verifying)
    ledger_links     sign-in links to the preference centre (hashed; each works once)
    ledger_sessions  preference-centre sessions (hashed), with their CSRF token
    oauth_clients    systems registered to read granted parts through the HTTP API
    oauth_codes      authorization codes waiting to be exchanged (hashed; each works once)
    oauth_tokens     access tokens (hashed), each bound to the grant statement it came from

Secrets (link nonces, session IDs, client secrets, codes, tokens) are stored only as
SHA-256 hashes: a copy of the database signs nobody in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.store.types import json_field, ts_field

__all__ = [
    "LEDGER_TABLES",
    "LedgerEntryRow",
    "LedgerKeyRow",
    "LedgerLinkRow",
    "LedgerSessionRow",
    "OAuthClientRow",
    "OAuthCodeRow",
    "OAuthTokenRow",
]


class LedgerEntryRow(SQLModel, table=True):
    """One statement in a person's chain; never updated or deleted."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        sa.UniqueConstraint("chain", "seq", name="uq_ledger_entries_chain_seq"),
        sa.UniqueConstraint("statement_id", name="uq_ledger_entries_statement_id"),
        sa.Index("ix_ledger_entries_recorded_at", "recorded_at"),  # what was stated since the last run, every run
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(max_length=40)
    seq: int
    statement_id: str = Field(max_length=64)
    type: str = Field(max_length=16)
    source: str = Field(max_length=24)
    system: str | None = Field(default=None, max_length=40)
    stated_at: datetime = ts_field()
    recorded_at: datetime = ts_field()
    body: dict[str, Any] = json_field()
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class LedgerKeyRow(SQLModel, table=True):
    """A public key that signed ledger statements, kept so its signatures verify after rotation."""

    __tablename__ = "ledger_keys"

    key_id: str = Field(primary_key=True, max_length=16)
    public_key: str = Field(max_length=64)
    first_used_at: datetime = ts_field()


class LedgerLinkRow(SQLModel, table=True):
    """A sign-in link given out: its nonce's hash, whose it is, until when, and when it was used."""

    __tablename__ = "ledger_links"

    nonce_hash: str = Field(primary_key=True, max_length=64)
    profile_id: str = Field(max_length=40)
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    used_at: datetime | None = ts_field(nullable=True)


class LedgerSessionRow(SQLModel, table=True):
    """A signed-in preference-centre session."""

    __tablename__ = "ledger_sessions"

    session_hash: str = Field(primary_key=True, max_length=64)
    profile_id: str = Field(max_length=40)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    ended_at: datetime | None = ts_field(nullable=True)


class OAuthClientRow(SQLModel, table=True):
    """A system registered to ask people for scoped read access."""

    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=64)
    secret_hash: str = Field(max_length=64)
    system: str = Field(max_length=40)
    name: str = Field(max_length=200)
    redirect_uris: list[str] = json_field()
    scopes: list[str] = json_field()
    created_at: datetime = ts_field()


class OAuthCodeRow(SQLModel, table=True):
    """An authorization code: the customer approved; the client has not exchanged it yet."""

    __tablename__ = "oauth_codes"

    code_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64)
    profile_id: str = Field(max_length=40)
    redirect_uri: str = Field(sa_type=sa.Text)
    scope: str = Field(sa_type=sa.Text)
    grant_statement_id: str = Field(max_length=64)
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=10)
    expires_at: datetime = ts_field()
    used_at: datetime | None = ts_field(nullable=True)


class OAuthTokenRow(SQLModel, table=True):
    """An access token, bound to the grant statement the customer made when approving."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (sa.Index("ix_oauth_tokens_grant_statement_id", "grant_statement_id"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=64)
    profile_id: str = Field(max_length=40)
    scope: str = Field(sa_type=sa.Text)
    grant_statement_id: str = Field(max_length=64)
    issued_at: datetime = ts_field()
    expires_at: datetime = ts_field()
    revoked_at: datetime | None = ts_field(nullable=True)


LEDGER_TABLES: tuple[type[SQLModel], ...] = (
    LedgerEntryRow,
    LedgerKeyRow,
    LedgerLinkRow,
    LedgerSessionRow,
    OAuthClientRow,
    OAuthCodeRow,
    OAuthTokenRow,
)
"""The ledger's tables, in creation order."""
