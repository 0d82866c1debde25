"""``store.ledger_access``: sign-in links to the preference centre and the sessions they open.

    add_link       remember a link's nonce (hashed), whose it is and until when
    use_link       use a link once: the person it signs in, or why it is refused
    start_session  open a session: its ID (stored hashed) and its CSRF token
    session        the session an ID names, while it lasts
    end_session    sign out

Only SHA-256 hashes of nonces and session IDs are stored: the database alone signs
nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from core.store.database import Repository
from core.store.ledger_tables import LedgerLinkRow, LedgerSessionRow

__all__ = ["LedgerAccess", "LinkUse", "Session", "secret_hash"]

_LINKS = LedgerLinkRow.__table__  # type: ignore[attr-defined]
_SESSIONS = LedgerSessionRow.__table__  # type: ignore[attr-defined]


def secret_hash(secret: str) -> str:
    """Return the SHA-256 hex digest a secret is stored as."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class LinkUse(StrEnum):
    """What using a sign-in link came to."""

    SIGNED_IN = "signed_in"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in person: whose session it is, its CSRF token and when it ends."""

    profile_id: str
    csrf_token: str
    expires_at: datetime


class LedgerAccess(Repository):
    """Sign-in links and preference-centre sessions."""

    def add_link(self, nonce: str, profile_id: str, *, expires_at: datetime) -> None:
        """Remember a sign-in link's nonce (hashed) for ``profile_id`` until ``expires_at``."""
        row = {"nonce_hash": secret_hash(nonce), "profile_id": profile_id, "created_at": self._db.now(),
               "expires_at": expires_at, "used_at": None}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_LINKS), [row])

    def use_link(self, nonce: str) -> tuple[LinkUse, str | None]:
        """Use a link once; return ``(SIGNED_IN, profile_id)`` or why it is refused, with no profile."""
        now = self._db.now()
        hashed = secret_hash(nonce)
        with self._db.transaction() as conn:
            row = conn.execute(sa.select(_LINKS).where(_LINKS.c.nonce_hash == hashed)).mappings().first()
            if row is None:
                return LinkUse.UNKNOWN, None
            if row["used_at"] is not None:
                return LinkUse.USED, None
            if row["expires_at"] <= now:
                return LinkUse.EXPIRED, None
            update = sa.update(_LINKS).where(_LINKS.c.nonce_hash == hashed, _LINKS.c.used_at.is_(None))
            if conn.execute(update.values(used_at=now)).rowcount != 1:
                return LinkUse.USED, None
        return LinkUse.SIGNED_IN, str(row["profile_id"])

    def start_session(self, profile_id: str, *, minutes: int) -> tuple[str, Session]:
        """Open a session for ``profile_id``; return its ID (the cookie's value, shown once) and the session."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._db.now()
        session = Session(profile_id, csrf, now + timedelta(minutes=minutes))
        row = {"session_hash": secret_hash(token), "profile_id": profile_id, "csrf_token": csrf,
               "created_at": now, "expires_at": session.expires_at, "ended_at": None}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_SESSIONS), [row])
        return token, session

    def session(self, token: str) -> Session | None:
        """Return the session ``token`` names, or None when unknown, ended or expired."""
        query = sa.select(_SESSIONS).where(_SESSIONS.c.session_hash == secret_hash(token))
        with self._db.connection() as conn:
            row = conn.execute(query).mappings().first()
        if row is None or row["ended_at"] is not None or row["expires_at"] <= self._db.now():
            return None
        return Session(str(row["profile_id"]), str(row["csrf_token"]), row["expires_at"])

    def end_session(self, token: str) -> None:
        """End the session ``token`` names (a no-op when it is not open)."""
        query = sa.update(_SESSIONS).where(
            _SESSIONS.c.session_hash == secret_hash(token), _SESSIONS.c.ended_at.is_(None)
        )
        with self._db.transaction() as conn:
            conn.execute(query.values(ended_at=self._db.now()))
