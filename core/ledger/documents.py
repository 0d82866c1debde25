"""Portable ledgers: one person's whole ledger as a signed JSON document, and checking one on import.

    export_document(...)   {"format", "exported_at", "person", "state", "statements", "keys", "signer", "signature"}
    read_document(...)     the statements of a document whose signature and signer check out

The document is signed (Ed25519) by the exporting installation over its canonical JSON
without ``signature``; ``signer`` carries the public key, ``keys`` the public keys of
every key that signed a statement in it. An import accepts a document only when the
signature matches *and* the signer is trusted here (this installation's own keys,
``ledger.trusted_keys``, or a key ID the operator confirms with ``--trust-key``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.chain import LedgerEntry
from core.ledger.errors import LedgerIntegrityError
from core.ledger.signing import Keyring, key_id_of, verify_signature
from core.ledger.state import LedgerState
from core.ledger.statements import Statement, iso, parse_statements

__all__ = ["FORMAT", "ReadDocument", "export_document", "read_document"]

FORMAT = "contactpoint.ledger-export/1"
_NOT_A_DOCUMENT = "give a file written by `contactpoint ledger export`"


def export_document(
    entries: Sequence[LedgerEntry], state: LedgerState, *, keyring: Keyring, now: datetime
) -> dict[str, Any]:
    """Return the signed export of one person's ledger.

    Raises:
        LedgerKeyError: When no signing key is configured.
    """
    signing = keyring.require_signing()
    signers = {e.statement.body["signature"]["key_id"] for e in entries if e.statement.signed}
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": iso(now),
        "person": {"profile_id": state.profile_id, "chains": sorted({e.chain for e in entries})},
        "state": state.to_json(),
        "statements": [dict(e.statement.body) for e in entries],
        "keys": {k: keyring.public[k] for k in sorted(signers) if k in keyring.public},
        "signer": {"key_id": signing.key_id, "public_key": signing.public_key},
    }
    document["signature"] = signing.signature(document)
    return document


@dataclass(frozen=True)
class ReadDocument:
    """A checked document: whose ledger it is there, who signed it, its statements and signing keys."""

    person: str
    signer: str
    statements: list[Statement]
    keys: dict[str, str]


def _refuse(message: str, hint: str = _NOT_A_DOCUMENT) -> LedgerIntegrityError:
    return LedgerIntegrityError(message, hint=hint)


def _signer(document: Mapping[str, Any]) -> tuple[str, str]:
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, Mapping) else type(document).__name__
        msg = f"not a ledger export: format is {found!r}, expected {FORMAT!r}"
        raise _refuse(msg)
    signer, signature = document.get("signer"), document.get("signature")
    if not isinstance(signer, Mapping) or not isinstance(signature, Mapping):
        msg = "the document has no signer or no signature"
        raise _refuse(msg)
    public, key_id = str(signer.get("public_key")), str(signer.get("key_id"))
    try:
        matches = key_id_of(public) == key_id == signature.get("key_id")
    except ValueError:
        matches = False
    if not matches:
        msg = f"the document's signer key {key_id} does not match its public key or signature"
        raise _refuse(msg)
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    if not verify_signature(public, str(signature.get("value")), unsigned):
        msg = f"the document's signature (key {key_id}) does not match its content: it was changed after it was signed"
        raise _refuse(msg, "ask for a fresh export; never edit an exported ledger")
    return key_id, public


def _check_statements(statements: Sequence[Statement], keys: Mapping[str, str]) -> None:
    ring = Keyring(None, dict(keys))
    for statement in statements:
        if statement.signed and (problem := ring.check(statement.body["signature"], statement.unsigned_body())):
            msg = f"statement {statement.statement_id} in the document: {problem}"
            raise _refuse(msg)


def read_document(
    document: Any, *, trusted: Mapping[str, str], trust_key_ids: Collection[str] = (), now: datetime
) -> ReadDocument:
    """Check a ledger export and return its statements, each marked as imported.

    Args:
        document: The parsed JSON document.
        trusted: ``{key_id: public_key}`` of signers accepted without asking.
        trust_key_ids: Key IDs the operator confirmed for this import.
        now: When the import happens (kept in each statement's ``imported`` note).

    Raises:
        LedgerIntegrityError: Not an export, a signature that does not match, or an untrusted signer.
        StatementRejected: A statement in it breaks the schema.
    """
    key_id, public = _signer(document)
    if key_id not in trusted and key_id not in trust_key_ids:
        msg = f"the document is signed by key {key_id}, which this installation does not trust"
        raise _refuse(
            msg,
            f"check the key with the installation that exported it, then pass --trust-key {key_id} "
            "(or list its public key under ledger.trusted_keys)",
        )
    keys = {str(k): str(v) for k, v in (document.get("keys") or {}).items()}
    try:
        mismatched = [k for k, v in keys.items() if key_id_of(v) != k]
    except ValueError:
        mismatched = ["(unreadable)"]
    if mismatched:
        msg = f"the document lists statement key {mismatched[0]} whose ID does not match its public key"
        raise _refuse(msg)
    person = str((document.get("person") or {}).get("profile_id", ""))
    statements = parse_statements(list(document.get("statements") or []), now=now) if document.get("statements") else []
    _check_statements(statements, {**keys, key_id: public})
    note = {"key_id": key_id, "person": person, "at": iso(now)}
    marked = [Statement.from_body({**s.body, "imported": note}) for s in statements]
    return ReadDocument(person, key_id, marked, {**keys, key_id: public})
