"""Canonical customer model: the one shape every system's records are mapped into.

RecordRef ─ where a record came from (system/stream/source_id)
Identifier ─ email, phone, external ID of a named system, device ID
Person, Account ─ parties, one per source record
Interaction ─ ticket, campaign event, product event, sales activity
Consent ─ channel and purpose → granted/denied, from a source, at a time
Suppression ─ a decision not to contact, with a named reason
UnifiedProfile ─ one person across systems: golden record with provenance
"""

from __future__ import annotations

from pydantic import BaseModel

from core.canonical.activity import (
    Consent,
    ConsentStatus,
    Interaction,
    InteractionKind,
    Suppression,
    SuppressionScope,
)
from core.canonical.base import CanonicalModel, Channel, RecordRef
from core.canonical.fields import STORED
from core.canonical.identifier import Identifier, IdentifierKind
from core.canonical.party import Account, Person
from core.canonical.profile import GoldenValue, ProfileId, UnifiedProfile

__all__ = [
    "MODELS",
    "STORED",
    "Account",
    "CanonicalModel",
    "Channel",
    "Consent",
    "ConsentStatus",
    "GoldenValue",
    "Identifier",
    "IdentifierKind",
    "Interaction",
    "InteractionKind",
    "Person",
    "ProfileId",
    "RecordRef",
    "Suppression",
    "SuppressionScope",
    "UnifiedProfile",
]

MODELS: dict[str, type[BaseModel]] = {
    "Person": Person,
    "Account": Account,
    "Interaction": Interaction,
    "Consent": Consent,
}
"""Targets a mapping stream may name, by model name."""
