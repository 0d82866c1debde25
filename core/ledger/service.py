"""What the ``ledger`` commands and the preference centre do over a store, in one place.

keyring_for(store, settings)                     the signing key and every public key known here
record_statements(store, data, keyring=, sign=)  check, (sign,) record: all or nothing
record_for_customer(store, data, by=, reason=)   what `ledger record` does: an operator records for the customer
sign_in_link(store, settings, person)            a signed, expiring, single-use link to the preference centre
export_person(store, settings, person)           the signed, portable document of one person's ledger
import_document(store, settings, document, ...)  bring a ledger from another installation
person_of(store, ref)                            the surviving profile a profile ID or alias names
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from core.errors import IdentityError
from core.ledger.documents import ReadDocument, export_document, read_document
from core.ledger.errors import StatementRejected
from core.ledger.links import make_link_token
from core.ledger.settings import LedgerSettings
from core.ledger.signing import Keyring
from core.ledger.statements import Statement, iso, parse_statements
from core.ledger.vocabulary import SourceKind
from core.store import Store
from core.store.ledger import Recorded

__all__ = [
    "export_person",
    "import_document",
    "keyring_for",
    "person_of",
    "record_for_customer",
    "record_statements",
    "sign_in_link",
    "sign_statements",
]

_PERSON_HINT = "give a profile ID (cp_…) that `contactpoint identity explain` knows"
FUTURE_LEEWAY = timedelta(minutes=5)
"""How far ahead of the store's clock an operator's ``at`` may be (clock skew), no further."""
_ONLY_WRITTEN_BY = {
    SourceKind.PREFERENCE_CENTRE: "only the preference centre writes these (signed, as the customer's own)",
    SourceKind.OBSERVATION: "only a sync writes these (what it observed in a system)",
}


def person_of(store: Store, ref: str) -> str:
    """Return the surviving profile ID that ``ref`` (a profile ID or alias) names.

    Raises:
        IdentityError: When no profile has this ID.
    """
    profile_id = store.aliases.resolve(ref)
    if store.profiles.get(profile_id) is None:
        msg = f"unknown person {ref!r}: no profile with this ID in the store"
        raise IdentityError(msg, hint=_PERSON_HINT, profile_id=ref)
    return profile_id


def keyring_for(store: Store, settings: LedgerSettings) -> Keyring:
    """Return the configured signing key with every public key this store has seen sign."""
    return settings.keyring().with_public(store.ledger.keys())


def sign_statements(statements: list[Statement], keyring: Keyring) -> list[Statement]:
    """Return the statements signed with the current key (over each body without signature and import note).

    Raises:
        LedgerKeyError: When no signing key is configured.
    """
    key = keyring.require_signing()
    return [
        Statement.from_body({**s.unsigned_body(), "signature": key.signature(s.unsigned_body())}) for s in statements
    ]


def record_statements(store: Store, data: Any, *, keyring: Keyring | None = None, sign: bool = False) -> Recorded:
    """Check statements (one JSON object or a list) and record them all, or none.

    Args:
        store: The store.
        data: Parsed JSON.
        keyring: Keys to sign with (needed when ``sign``).
        sign: Sign each statement with the current key (the preference centre does).

    Raises:
        StatementRejected: A statement is invalid or names an unknown person; nothing recorded.
        LedgerKeyError: ``sign`` without a signing key.
    """
    statements = parse_statements(data, now=store.database.now())
    if not sign:
        return store.ledger.record(statements)
    ring = keyring or Keyring()
    key = ring.require_signing()
    return store.ledger.record(sign_statements(statements, ring), keys={key.key_id: key.public_key})


def _operator_problems(statements: list[Statement], *, single: bool, now: datetime) -> list[str]:
    problems = []
    for index, statement in enumerate(statements):
        head = "statement" if single else f"statements[{index}]"
        if statement.source in _ONLY_WRITTEN_BY:
            problems.append(
                f"{head}.source.kind: {statement.source.value!r} is not for `ledger record`: "
                f"{_ONLY_WRITTEN_BY[statement.source]}; record what the customer told you as 'customer'"
            )
        if statement.at > now + FUTURE_LEEWAY:
            problems.append(f"{head}.at: {iso(statement.at)} is in the future (now {iso(now)}); give when it was said")
    return problems


def record_for_customer(store: Store, data: Any, *, by: str, reason: str) -> Recorded:
    """Record statements an operator makes on a customer's behalf (``contactpoint ledger record``): all or none.

    Each statement's ``source`` becomes ``{"kind": "customer", "by": by, "reason": reason}``: who
    recorded it (the operating-system user) and why. A backdated ``at`` is kept (the
    preference centre shows it beside the time of recording); one more than
    ``FUTURE_LEEWAY`` ahead is refused.

    Raises:
        StatementRejected: A statement is invalid, names a source kind only the preference
            centre or a sync writes, gives its own ``source.by``, or is dated in the future.
    """
    items = data if isinstance(data, list) else [data]
    problems = []
    for index, item in enumerate(items):
        source = item.get("source") if isinstance(item, dict) else None
        if isinstance(source, dict) and "by" in source and source["by"] != by:
            head = "statement" if not isinstance(data, list) else f"statements[{index}]"
            problems.append(
                f"{head}.source.by: `ledger record` records the user running it ({by}); "
                f"put {str(source['by'])[:40]!r} in --reason instead"
            )
        if isinstance(source, dict):
            item["source"] = {**source, "by": by, "reason": reason}
    if problems:
        raise StatementRejected(problems)
    now = store.database.now()
    statements = parse_statements(data, now=now)
    problems = _operator_problems(statements, single=not isinstance(data, list), now=now)
    if problems:
        raise StatementRejected(problems, hint="record what the customer said as 'customer', dated when they said it")
    return store.ledger.record(statements)


def sign_in_link(store: Store, settings: LedgerSettings, person: str) -> tuple[str, datetime]:
    """Make a sign-in link to the preference centre for ``person``; return its URL and expiry.

    Raises:
        IdentityError: The person is unknown.
        LedgerKeyError: No signing key is configured.
    """
    profile_id = person_of(store, person)
    key = settings.keyring().require_signing()
    nonce = secrets.token_urlsafe(24)
    expires_at = store.database.now() + timedelta(minutes=settings.link_minutes)
    store.ledger_access.add_link(nonce, profile_id, expires_at=expires_at)
    token = make_link_token(key, profile_id=profile_id, nonce=nonce, expires_at=expires_at)
    return f"{settings.public_url.rstrip('/')}/ledger/sign-in?token={token}", expires_at


def export_person(store: Store, settings: LedgerSettings, person: str) -> dict[str, Any]:
    """Return the signed, portable document of one person's whole ledger.

    Raises:
        IdentityError: The person is unknown.
        LedgerKeyError: No signing key is configured.
    """
    profile_id = person_of(store, person)
    keyring = keyring_for(store, settings)
    state = store.ledger.state_in_force(profile_id, mode=settings.mode)
    entries = store.ledger.history(profile_id)
    return export_document(entries, state, keyring=keyring, now=store.database.now())


def import_document(
    store: Store,
    settings: LedgerSettings,
    document: Any,
    *,
    person: str | None = None,
    trust_key_ids: Collection[str] = (),
) -> tuple[Recorded, ReadDocument, str]:
    """Check a ledger document from another installation and record its statements under a local person.

    Args:
        store: The store.
        settings: Ledger settings (trusted keys).
        document: The parsed export.
        person: The local profile to file it under (default: the document's profile ID, when known here).
        trust_key_ids: Signer key IDs the operator confirmed.

    Returns:
        What was recorded (statements already held are skipped), the checked document, and the local person.

    Raises:
        LedgerIntegrityError: Bad signature, untrusted signer, or not an export.
        StatementRejected: A statement in it is invalid.
        IdentityError: The person is not known here.
    """
    trusted = {**keyring_for(store, settings).public, **settings.trusted()}
    read = read_document(document, trusted=trusted, trust_key_ids=trust_key_ids, now=store.database.now())
    try:
        target = person_of(store, person or read.person)
    except IdentityError as err:
        err.hint = "pass --person with the profile ID this person has in this store"
        raise
    recorded = (
        store.ledger.record(read.statements, file_under=target, keys=read.keys) if read.statements else Recorded()
    )
    return recorded, read, target
