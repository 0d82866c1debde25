"""The ledger's words: statement types, who made a statement, channels, purposes, parts of a profile.

Every value here is a wire value (a ``StrEnum``): it appears in statements, in exported
documents, in OAuth scopes and in the planner's permissions, spelled the same way.

``part_of_source(name)`` tells which part of a profile a write-back source name
(``golden.email``, ``enrichment.intent_score``, ``ledger.quiet_hours``...) belongs to,
so the planner can ask ``LedgerState.permits(system, part, purpose)`` for each field it
would write.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "LEDGER_SOURCES",
    "PROTECTIVE_PREFERENCES",
    "ConsentChoice",
    "LedgerChannel",
    "Mode",
    "Part",
    "PermissionCode",
    "PreferenceName",
    "Purpose",
    "Rank",
    "SourceKind",
    "Stance",
    "StatementType",
    "part_of_source",
]


class StatementType(StrEnum):
    """What a statement says."""

    CONSENT = "consent"
    """A consent given or withdrawn for one channel and purpose."""
    PREFERENCE = "preference"
    """A communication preference set or cleared (preferred channel, quiet hours, weekly cap, never call)."""
    INTEREST = "interest"
    """A topic the person is interested in, wants to avoid, or no longer minds."""
    GRANT = "grant"
    """A named system may use named parts of the profile for named purposes, until it expires."""
    REVOKE = "revoke"
    """A grant taken back (all of it, or some parts or purposes)."""


class SourceKind(StrEnum):
    """Who made a statement."""

    CUSTOMER = "customer"
    """The person themselves, as recorded by the company (a call, a letter, an imported ledger)."""
    PREFERENCE_CENTRE = "preference_centre"
    """The person, through the preference centre (signed by this installation)."""
    OBSERVATION = "observation"
    """Derived from what a system holds (a HubSpot unsubscribe, a Salesforce opt-out)."""


class Rank(IntEnum):
    """How much a statement weighs: what the customer said outranks what a system observed."""

    OBSERVED = 1
    STATED = 2

    @classmethod
    def of(cls, source: SourceKind) -> Rank:
        """Return the rank of statements made by ``source``."""
        return cls.OBSERVED if source is SourceKind.OBSERVATION else cls.STATED


class LedgerChannel(StrEnum):
    """Ways of reaching a person that consent is given or withdrawn for."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    ADS = "ads"


class Purpose(StrEnum):
    """What the company may use a person's data for."""

    MARKETING = "marketing"
    SERVICE = "service"
    PERSONALISATION = "personalisation"
    ANALYTICS = "analytics"


class ConsentChoice(StrEnum):
    """A consent statement's answer."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"


class PreferenceName(StrEnum):
    """The communication preferences a person can set."""

    PREFERRED_CHANNEL = "preferred_channel"
    QUIET_HOURS = "quiet_hours"
    WEEKLY_CAP = "weekly_cap"
    NEVER_CALL = "never_call"


class Stance(StrEnum):
    """A person's stance on a topic."""

    INTERESTED = "interested"
    AVOID = "avoid"
    NEUTRAL = "neutral"
    """Neither: clears an earlier interest or avoidance."""


class Part(StrEnum):
    """Parts of a profile a grant names (and OAuth scopes a granted system may read).

    ``protections`` (suppression flags, quiet hours, weekly cap, never call, topics to
    avoid) protect the person: they are always written and need no grant.
    """

    IDENTITY = "identity"
    """The unified profile ID and the person's name."""
    CONTACT = "contact"
    """Email address and phone numbers."""
    ADDRESS = "address"
    WORK = "work"
    """Company, job title, account, lifecycle stage."""
    DEMOGRAPHICS = "demographics"
    """Date of birth."""
    ACTIVITY = "activity"
    """Values derived from what the person did (enrichment: intent score, open tickets...)."""
    PREFERENCES = "preferences"
    """The preferred channel."""
    INTERESTS = "interests"
    CONSENTS = "consents"
    PROTECTIONS = "protections"


class Mode(StrEnum):
    """How writes are decided for a person whose ledger holds no grant.

    In both modes, once a person's ledger holds any grant (or revocation), only what a
    grant in force covers is written; a withdrawn consent stops its purpose; protections
    are always written.
    """

    OBSERVED_CONSENT = "observed_consent"
    """No grant held: write unless the consent in force for the purpose is withdrawn."""
    STRICT = "strict"
    """No grant held: write nothing personal."""


class PermissionCode(StrEnum):
    """Why a write was allowed or held back (the planner's report names it)."""

    PROTECTIVE = "protective"
    GRANTED = "granted"
    NO_GRANT_HELD = "no_grant_held"
    NOT_GRANTED = "not_granted"
    GRANT_REVOKED = "grant_revoked"
    GRANT_EXPIRED = "grant_expired"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    STRICT_MODE = "strict_mode"


PROTECTIVE_PREFERENCES = frozenset({PreferenceName.QUIET_HOURS, PreferenceName.WEEKLY_CAP, PreferenceName.NEVER_CALL})
"""Preferences that restrict contact: written everywhere, like suppression flags."""

_GOLDEN_PARTS = {
    "first_name": Part.IDENTITY,
    "last_name": Part.IDENTITY,
    "email": Part.CONTACT,
    "phone": Part.CONTACT,
    "mobile": Part.CONTACT,
    "street": Part.ADDRESS,
    "city": Part.ADDRESS,
    "postcode": Part.ADDRESS,
    "region": Part.ADDRESS,
    "country": Part.ADDRESS,
    "company": Part.WORK,
    "job_title": Part.WORK,
    "account_ref": Part.WORK,
    "lifecycle_stage": Part.WORK,
    "date_of_birth": Part.DEMOGRAPHICS,
    "date_of_birth_written": Part.DEMOGRAPHICS,
    "created_at": Part.IDENTITY,
}

_LEDGER_PARTS = {
    "ledger.preferred_channel": Part.PREFERENCES,
    "ledger.interests": Part.INTERESTS,
    "ledger.quiet_hours": Part.PROTECTIONS,
    "ledger.quiet_hours_start": Part.PROTECTIONS,
    "ledger.quiet_hours_end": Part.PROTECTIONS,
    "ledger.timezone": Part.PROTECTIONS,
    "ledger.weekly_cap": Part.PROTECTIONS,
    "ledger.never_call": Part.PROTECTIONS,
    "ledger.topics_to_avoid": Part.PROTECTIONS,
}


def part_of_source(name: str) -> Part:
    """Return the part of a profile a write-back source name belongs to.

    ``suppression.*`` and the protective ``ledger.*`` values are ``Part.PROTECTIONS``;
    ``enrichment.*`` is ``Part.ACTIVITY``; ``profile_id`` and names are ``Part.IDENTITY``.
    A name not known here is taken as ``Part.IDENTITY``, so it is never written
    without what a grant of identity would allow.

    Examples:
        >>> part_of_source("golden.email"), part_of_source("suppression.all")
        (<Part.CONTACT: 'contact'>, <Part.PROTECTIONS: 'protections'>)
    """
    if name.startswith("suppression."):
        return Part.PROTECTIONS
    if name.startswith("enrichment."):
        return Part.ACTIVITY
    if name in _LEDGER_PARTS:
        return _LEDGER_PARTS[name]
    if name.startswith("golden."):
        return _GOLDEN_PARTS.get(name.removeprefix("golden."), Part.IDENTITY)
    return Part.IDENTITY


LEDGER_SOURCES: tuple[str, ...] = tuple(_LEDGER_PARTS)
"""The write-back source names the ledger provides (``LedgerState.writeback_values()``)."""
