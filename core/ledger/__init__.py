"""The customer's own ledger: consents, preferences, interests and grants the customer controls.

    vocabulary.py    statement types, sources, channels, purposes, parts, modes, permission codes
    statement.schema.json  the published JSON Schema of a statement (docs/ledger.md)
    statements.py    Statement; parse_statements (schema-checked, every problem named)
    state.py         compute_state -> LedgerState: permits(), preferences, writeback_values()
    observations.py  Observation: a consent seen in a system (HubSpot unsubscribe, Salesforce opt-out)
    chain.py         the hash chain of each person's history; check_chain names the first broken entry
    signing.py       Ed25519 keys (cryptography): SigningKey, Keyring
    settings.py      the ``ledger:`` section of contactpoint.yaml
    documents.py     signed, portable exports of one person's ledger, and checking them on import
    links.py         signed, expiring, single-use sign-in links to the preference centre
    errors.py        StatementRejected, LedgerIntegrityError, LedgerKeyError

Storage is ``store.ledger`` (core/store/ledger.py); the planner asks
``store.ledger.state_in_force(profile_id).permits(system, part, purpose)``.
"""

from __future__ import annotations

from core.ledger.errors import LedgerIntegrityError, LedgerKeyError, StatementRejected
from core.ledger.observations import Observation, observation_from_consent
from core.ledger.state import LedgerState, Permission, Preferences, QuietHours, compute_state
from core.ledger.statements import Statement, parse_statements, statement_schema
from core.ledger.vocabulary import (
    LEDGER_SOURCES,
    ConsentChoice,
    LedgerChannel,
    Mode,
    Part,
    PermissionCode,
    PreferenceName,
    Purpose,
    SourceKind,
    Stance,
    StatementType,
    part_of_source,
)

__all__ = [
    "LEDGER_SOURCES",
    "ConsentChoice",
    "LedgerChannel",
    "LedgerIntegrityError",
    "LedgerKeyError",
    "LedgerState",
    "Mode",
    "Observation",
    "Part",
    "Permission",
    "PermissionCode",
    "PreferenceName",
    "Preferences",
    "Purpose",
    "QuietHours",
    "SourceKind",
    "Stance",
    "Statement",
    "StatementRejected",
    "StatementType",
    "compute_state",
    "observation_from_consent",
    "parse_statements",
    "part_of_source",
    "statement_schema",
]
