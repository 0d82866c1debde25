"""Ed25519 signatures for the ledger (through ``cryptography``): statements, exports and sign-in links.

    SigningKey.from_text(text)   a private key as PEM or as the base64url 32-byte seed ``ledger keygen`` prints
    SigningKey.sign(value)       base64url signature over the canonical JSON of ``value``
    Keyring                      the key that signs now plus every public key that may have signed before
    generate_key_text()          a new private key, as text to keep in a secret store

A key is named by its ``key_id``: the first 16 hex digits of SHA-256 of its raw public
key. Signatures name the key that made them, so a rotated key keeps verifying what it
signed (its public key stays in the keyring). A private key is never shown: its
``repr`` names only its ``key_id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.ledger.errors import LedgerKeyError
from core.store.types import canonical_json

__all__ = ["Keyring", "SigningKey", "b64decode", "b64encode", "generate_key_text", "key_id_of", "verify_signature"]

_KEY_HINT = (
    "make one with `contactpoint ledger keygen`, keep it in your secret store and export it as "
    "CONTACTPOINT_LEDGER_KEY (or name it in contactpoint.yaml: ledger.signing_key: ${CONTACTPOINT_LEDGER_KEY})"
)


def b64encode(data: bytes) -> str:
    """Return unpadded base64url text."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """Decode base64url text with or without padding.

    Raises:
        ValueError: When the text is not base64url.
    """
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        msg = "not base64url text"
        raise ValueError(msg) from err


def key_id_of(public_key: str) -> str:
    """Return the key ID of a base64url raw public key."""
    return hashlib.sha256(b64decode(public_key)).hexdigest()[:16]


def _public_key(public_key: str) -> Ed25519PublicKey:
    raw = b64decode(public_key)
    if len(raw) != 32:
        msg = f"an Ed25519 public key has 32 bytes, not {len(raw)}"
        raise ValueError(msg)
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public_key: str, signature: str, value: Any) -> bool:
    """Return whether ``signature`` is the key's signature over the canonical JSON of ``value``."""
    try:
        _public_key(public_key).verify(b64decode(signature), canonical_json(value).encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def generate_key_text() -> str:
    """Return a new Ed25519 private key as base64url of its 32-byte seed."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return b64encode(raw)


class SigningKey:
    """An Ed25519 private key that signs ledger values; its text is never shown.

    Args:
        private: The key.
    """

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_key = b64encode(raw)
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def from_text(cls, text: str) -> SigningKey:
        """Read a private key: PEM (PKCS#8) or base64url of the 32-byte seed.

        Raises:
            LedgerKeyError: When the text is neither (the text itself is never shown).
        """
        text = text.strip()
        try:
            if text.startswith("-----BEGIN"):
                loaded = serialization.load_pem_private_key(text.encode("ascii"), password=None)
                if not isinstance(loaded, Ed25519PrivateKey):
                    msg = f"the ledger signing key is a {type(loaded).__name__}, not an Ed25519 key"
                    raise LedgerKeyError(msg, hint=_KEY_HINT)
                return cls(loaded)
            raw = b64decode(text)
            if len(raw) != 32:
                msg = f"the ledger signing key decodes to {len(raw)} bytes; an Ed25519 seed has 32"
                raise LedgerKeyError(msg, hint=_KEY_HINT)
            return cls(Ed25519PrivateKey.from_private_bytes(raw))
        except ValueError as err:
            msg = "the ledger signing key is neither a PEM private key nor base64url of a 32-byte seed"
            raise LedgerKeyError(msg, hint=_KEY_HINT) from err

    def sign(self, value: Any) -> str:
        """Return the base64url signature over the canonical JSON of ``value``."""
        return b64encode(self._private.sign(canonical_json(value).encode("utf-8")))

    def signature(self, value: Any) -> dict[str, str]:
        """Return ``{"key_id", "value"}``: the signature object statements and documents carry."""
        return {"key_id": self.key_id, "value": self.sign(value)}

    def __repr__(self) -> str:
        """Name the key by its ID only."""
        return f"SigningKey(key_id={self.key_id!r})"


@dataclass
class Keyring:
    """The key that signs now (if any) and the public keys that verify, by key ID.

    Attributes:
        signing: The current private key; None where only verification is needed.
        public: ``{key_id: public_key}`` of every key that may have signed (rotated keys included).
    """

    signing: SigningKey | None = None
    public: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.signing is not None:
            self.public.setdefault(self.signing.key_id, self.signing.public_key)

    def require_signing(self) -> SigningKey:
        """Return the signing key.

        Raises:
            LedgerKeyError: When none is configured.
        """
        if self.signing is None:
            msg = "no ledger signing key is configured"
            raise LedgerKeyError(msg, hint=_KEY_HINT)
        return self.signing

    def with_public(self, keys: Mapping[str, str]) -> Keyring:
        """Return a keyring that also knows ``keys`` (``{key_id: public_key}``)."""
        return Keyring(self.signing, {**keys, **self.public})

    def check(self, signature: Mapping[str, Any], value: Any) -> str | None:
        """Check a ``{"key_id", "value"}`` signature over ``value``; return the problem, or None when it holds."""
        key_id = str(signature.get("key_id"))
        public = self.public.get(key_id)
        if public is None:
            return f"signed by unknown key {key_id}"
        if not verify_signature(public, str(signature.get("value")), value):
            return f"signature by key {key_id} does not match the content"
        return None
