"""Sign-in links to the preference centre: signed, expiring, and good for one use.

    make_link_token(key, profile_id=, nonce=, expires_at=)  -> "<claims>.<signature>"
    read_link_token(token, keyring)                         -> LinkClaims (raises LinkRefused)

The token is the link's only secret. Its claims (person, nonce, expiry, key ID) are
signed with the ledger's Ed25519 key, so a forged or altered token is refused before
the store is asked; the nonce is remembered (hashed) in ``store.ledger_access``, which
lets it be used once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from core.ledger.signing import Keyring, SigningKey, b64decode, b64encode
from core.store.types import canonical_json

__all__ = ["LinkClaims", "LinkRefused", "make_link_token", "read_link_token"]


class LinkRefused(Exception):  # a refusal the page explains, not a failure
    """A sign-in token that is malformed, forged or expired; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a sign-in token says: whose it is, its nonce, and until when it works."""

    profile_id: str
    nonce: str
    expires_at: datetime


def make_link_token(key: SigningKey, *, profile_id: str, nonce: str, expires_at: datetime) -> str:
    """Return the signed token of a sign-in link."""
    claims = {"p": profile_id, "n": nonce, "e": int(expires_at.timestamp()), "k": key.key_id}
    return f"{b64encode(canonical_json(claims).encode('utf-8'))}.{key.sign(claims)}"


def read_link_token(token: str, keyring: Keyring, *, now: datetime) -> LinkClaims:
    """Check a sign-in token's signature and expiry; return its claims.

    Raises:
        LinkRefused: The token is malformed, not signed by a key of this installation, or expired.
    """
    payload, _, signature = token.partition(".")
    try:
        claims = json.loads(b64decode(payload))
        profile_id, nonce, expires, key_id = str(claims["p"]), str(claims["n"]), int(claims["e"]), str(claims["k"])
    except (ValueError, KeyError, TypeError) as err:
        msg = "this sign-in link is malformed"
        raise LinkRefused(msg) from err
    if keyring.check({"key_id": key_id, "value": signature}, claims) is not None:
        msg = "this sign-in link was not made by this installation"
        raise LinkRefused(msg)
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    if expires_at <= now:
        msg = "this sign-in link has expired"
        raise LinkRefused(msg)
    return LinkClaims(profile_id, nonce, expires_at)
