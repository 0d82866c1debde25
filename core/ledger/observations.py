"""Observations: what a sync saw in a system about a person's consent, as ledger statements.

    Observation(person, system, channel, purpose, status, at, record)   one observed consent
    Observation.statement()                                             its statement (a stable ID)
    observation_from_consent(person, consent)                           from a canonical ``Consent``

An observation's statement ID is derived from what was observed (person, system,
record, channel, purpose, answer, time), so a sync that derives the same observation
on every run records it once. Observations rank below what the customer said.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.canonical import Channel, Consent, ConsentStatus
from core.ledger.statements import Statement, iso, parse_statements
from core.ledger.vocabulary import ConsentChoice, LedgerChannel, Purpose
from core.store.types import content_hash

__all__ = ["Observation", "observation_from_consent"]

_CHANNELS = {Channel.EMAIL: LedgerChannel.EMAIL, Channel.SMS: LedgerChannel.SMS, Channel.PHONE: LedgerChannel.PHONE}


@dataclass(frozen=True, slots=True)
class Observation:
    """A consent given or withdrawn, as one system recorded it (a HubSpot unsubscribe, a Salesforce opt-out).

    Attributes:
        person: The profile ID the record is linked to.
        system: The system it was observed in (``hubspot``).
        channel: The channel it concerns.
        purpose: The purpose it concerns.
        status: Given or withdrawn.
        at: When the system says it happened.
        record: ``system/stream/source_id`` of the record it was read from.
    """

    person: str
    system: str
    channel: LedgerChannel
    purpose: Purpose
    status: ConsentChoice
    at: datetime
    record: str | None = None

    def statement(self) -> Statement:
        """Return the observation as a ledger statement, with an ID derived from its content.

        Raises:
            StatementRejected: When a field breaks the statement schema (a bad system name or record).
        """
        source: dict[str, str] = {"kind": "observation", "system": self.system}
        if self.record is not None:
            source["record"] = self.record
        body = {
            "person": self.person, "type": "consent", "source": source, "at": iso(self.at),
            "channel": LedgerChannel(self.channel).value, "purpose": Purpose(self.purpose).value,
            "status": ConsentChoice(self.status).value,
        }  # fmt: skip
        body["statement_id"] = "st_" + content_hash(body)[:28]
        return parse_statements(body, now=self.at)[0]


def observation_from_consent(person: str, consent: Consent) -> Observation | None:
    """Return the observation a canonical ``Consent`` record amounts to, or None when it says nothing the ledger holds.

    Channels other than email, SMS and phone, and an ``unknown`` status, say nothing.
    A purpose that is not one of the ledger's (``newsletter``, ``product_updates``) is
    a commercial message, taken as ``marketing``.
    """
    channel = _CHANNELS.get(consent.channel)
    if channel is None or consent.status is ConsentStatus.UNKNOWN:
        return None
    purpose = consent.purpose.strip().lower()
    status = ConsentChoice.GIVEN if consent.status is ConsentStatus.GRANTED else ConsentChoice.WITHDRAWN
    return Observation(
        person=person,
        system=consent.source.system,
        channel=channel,
        purpose=Purpose(purpose) if purpose in Purpose.__members__.values() else Purpose.MARKETING,
        status=status,
        at=consent.at,
        record=str(consent.source),
    )
