"""``store.oauth``: systems registered to read granted parts of a profile, their codes and tokens.

    add_client / client          register a system (client ID and secret, redirect URIs, scopes) / look one up
    save_code / take_code        an authorization code after the customer approved; exchanged once
    save_token / token           an access token bound to the grant statement the customer made
    revoke_tokens                tokens of a person and system (or a grant) stop working at once
    revoke_tokens_of_used_code   a code presented again: the tokens it gave stop working (RFC 6749 §4.1.2)

Client secrets, codes and tokens are stored as SHA-256 hashes only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.store.database import Repository
from core.store.ledger_access import secret_hash
from core.store.ledger_tables import OAuthClientRow, OAuthCodeRow, OAuthTokenRow

__all__ = ["ClientInfo", "CodeInfo", "OAuthGrants", "TokenInfo"]

_CLIENTS = OAuthClientRow.__table__  # type: ignore[attr-defined]
_CODES = OAuthCodeRow.__table__  # type: ignore[attr-defined]
_TOKENS = OAuthTokenRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """A registered client: the system it is, where it may be sent back to, what it may ask for."""

    client_id: str
    secret_hash: str
    system: str
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """An authorization code's grant: whose, for which client, scope and grant statement."""

    client_id: str
    profile_id: str
    redirect_uri: str
    scope: str
    grant_statement_id: str
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An access token's grant."""

    client_id: str
    profile_id: str
    scope: str
    grant_statement_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class OAuthGrants(Repository):
    """OAuth 2.0 clients, authorization codes and access tokens."""

    def add_client(
        self, *, system: str, name: str, redirect_uris: Sequence[str], scopes: Sequence[str]
    ) -> tuple[str, str]:
        """Register a client; return ``(client_id, client_secret)`` (the secret is shown only here)."""
        client_id, secret = f"cpc_{secrets.token_hex(12)}", secrets.token_urlsafe(32)
        row = {"client_id": client_id, "secret_hash": secret_hash(secret), "system": system, "name": name,
               "redirect_uris": list(redirect_uris), "scopes": list(scopes), "created_at": self._db.now()}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_CLIENTS), [row])
        return client_id, secret

    def client(self, client_id: str) -> ClientInfo | None:
        """Return the client registered as ``client_id``, or None."""
        with self._db.connection() as conn:
            row = conn.execute(sa.select(_CLIENTS).where(_CLIENTS.c.client_id == client_id)).mappings().first()
        if row is None:
            return None
        return ClientInfo(
            row["client_id"], row["secret_hash"], row["system"], row["name"],
            tuple(row["redirect_uris"]), tuple(row["scopes"]),
        )  # fmt: skip

    def clients(self) -> list[ClientInfo]:
        """Return every registered client, by system then name."""
        with self._db.connection() as conn:
            ids = list(
                conn.execute(sa.select(_CLIENTS.c.client_id).order_by(_CLIENTS.c.system, _CLIENTS.c.name)).scalars()
            )
        return [c for c in (self.client(i) for i in ids) if c is not None]

    def save_code(self, code: str, info: CodeInfo) -> None:
        """Remember an authorization code (hashed) with its grant."""
        row: dict[str, Any] = {"code_hash": secret_hash(code), "used_at": None, **_fields(info)}
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_CODES), [row])

    def take_code(self, code: str, client_id: str) -> CodeInfo | None:
        """Use an authorization code once: its grant, or None when unknown, used, expired or another client's."""
        hashed, now = secret_hash(code), self._db.now()
        with self._db.transaction() as conn:
            row = conn.execute(sa.select(_CODES).where(_CODES.c.code_hash == hashed)).mappings().first()
            if row is None or row["used_at"] is not None or row["expires_at"] <= now or row["client_id"] != client_id:
                return None
            update = sa.update(_CODES).where(_CODES.c.code_hash == hashed, _CODES.c.used_at.is_(None))
            if conn.execute(update.values(used_at=now)).rowcount != 1:
                return None
        return CodeInfo(**{name: row[name] for name in CodeInfo.__slots__})

    def peek_code(self, code: str) -> CodeInfo | None:
        """Return an unused, unexpired code's grant without using it."""
        with self._db.connection() as conn:
            row = conn.execute(sa.select(_CODES).where(_CODES.c.code_hash == secret_hash(code))).mappings().first()
        if row is None or row["used_at"] is not None or row["expires_at"] <= self._db.now():
            return None
        return CodeInfo(**{name: row[name] for name in CodeInfo.__slots__})

    def save_token(self, token: str, info: TokenInfo) -> None:
        """Remember an access token (hashed) with its grant."""
        row: dict[str, Any] = {"token_hash": secret_hash(token), **_fields(info)}
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_TOKENS), [row])

    def token(self, token: str) -> TokenInfo | None:
        """Return the grant of an access token, or None when unknown (expiry and revocation are the caller's to check)."""
        with self._db.connection() as conn:
            row = conn.execute(sa.select(_TOKENS).where(_TOKENS.c.token_hash == secret_hash(token))).mappings().first()
        return None if row is None else TokenInfo(**{name: row[name] for name in TokenInfo.__slots__})

    def revoke_tokens(self, *, profile_id: str, client_ids: Sequence[str] | None = None) -> int:
        """Revoke a person's tokens (of the given clients only, when named); return how many were live."""
        query = sa.update(_TOKENS).where(_TOKENS.c.profile_id == profile_id, _TOKENS.c.revoked_at.is_(None))
        if client_ids is not None:
            query = query.where(_TOKENS.c.client_id.in_(list(client_ids)))
        with self._db.transaction() as conn:
            return int(conn.execute(query.values(revoked_at=self._db.now())).rowcount)

    def revoke_tokens_of_used_code(self, code: str, client_id: str) -> int:
        """Revoke the tokens issued from an authorization code that was already used; return how many were live.

        RFC 6749 §4.1.2: a code presented a second time may have been stolen, so what it
        gave stops working. A code that is unknown, another client's or never used revokes nothing.
        """
        hashed, now = secret_hash(code), self._db.now()
        query = sa.select(_CODES.c.grant_statement_id, _CODES.c.profile_id, _CODES.c.used_at).where(
            _CODES.c.code_hash == hashed, _CODES.c.client_id == client_id
        )
        with self._db.transaction() as conn:
            row = conn.execute(query).first()
            if row is None or row.used_at is None:
                return 0
            update = sa.update(_TOKENS).where(
                _TOKENS.c.grant_statement_id == row.grant_statement_id, _TOKENS.c.client_id == client_id,
                _TOKENS.c.profile_id == row.profile_id, _TOKENS.c.revoked_at.is_(None),
            )  # fmt: skip
            return int(conn.execute(update.values(revoked_at=now)).rowcount)


def _fields(info: CodeInfo | TokenInfo) -> dict[str, Any]:
    return {name: getattr(info, name) for name in type(info).__slots__}
