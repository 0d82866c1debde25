"""The ``ledger:`` section of contactpoint.yaml, and the keys it names.

    ledger:
      mode: observed_consent          # or strict: see docs/ledger.md#modes
      signing_key: ${CONTACTPOINT_LEDGER_KEY}
      previous_keys: []               # public keys of signing keys rotated out
      trusted_keys: []                # public keys of other installations whose exports are accepted
      public_url: http://127.0.0.1:8765
      link_minutes: 30                # how long a sign-in link works (once)
      session_minutes: 30
      grant_days: 365                 # how long a grant made in the preference centre lasts

The signing key is a secret: it is read from the environment by reference (when the
section leaves it out, from ``CONTACTPOINT_LEDGER_KEY``), held as a ``SecretStr`` and
never logged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from core.ledger.signing import Keyring, SigningKey, b64decode, key_id_of
from core.ledger.vocabulary import Mode

__all__ = ["KEY_ENV", "LedgerSettings"]

KEY_ENV = "CONTACTPOINT_LEDGER_KEY"
"""The environment variable the signing key is read from when the configuration names none."""


def _check_public_key(value: str) -> str:
    try:
        raw = b64decode(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        msg = f"{value!r} is not an Ed25519 public key (base64url of 32 bytes, as `ledger keygen --public` prints)"
        raise ValueError(msg)
    return value


class LedgerSettings(BaseModel):
    """How the ledger decides writes, signs, and signs people in."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode = Mode.OBSERVED_CONSENT
    signing_key: SecretStr | None = Field(default=None, description="By reference: ${CONTACTPOINT_LEDGER_KEY}.")
    previous_keys: list[str] = Field(default_factory=list, description="Public keys of rotated-out signing keys.")
    trusted_keys: list[str] = Field(default_factory=list, description="Public keys of installations to import from.")
    public_url: str = Field(default="http://127.0.0.1:8765", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    link_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    grant_days: int = Field(default=365, ge=1, le=10 * 365)

    @field_validator("previous_keys", "trusted_keys")
    @classmethod
    def _public_keys(cls, value: list[str]) -> list[str]:
        return [_check_public_key(v) for v in value]

    def signing(self, environ: Mapping[str, str] | None = None) -> SigningKey | None:
        """Return the signing key (configured, else from ``CONTACTPOINT_LEDGER_KEY``), or None when neither is set.

        Raises:
            LedgerKeyError: When the key is set but cannot be read.
        """
        text = self.signing_key.get_secret_value() if self.signing_key is not None else None
        if not text:
            text = (os.environ if environ is None else environ).get(KEY_ENV)
        return SigningKey.from_text(text) if text else None

    def keyring(self, environ: Mapping[str, str] | None = None) -> Keyring:
        """Return the signing key with every public key this installation signed with (previous keys too)."""
        return Keyring(self.signing(environ), {key_id_of(k): k for k in self.previous_keys})

    def trusted(self) -> dict[str, str]:
        """Return ``{key_id: public_key}`` of the other installations whose exports are accepted."""
        return {key_id_of(k): k for k in self.trusted_keys}
