"""Identifiers: the values that say who a record is about."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from core.canonical.base import CanonicalModel

__all__ = ["Identifier", "IdentifierKind"]


class IdentifierKind(StrEnum):
    """What an identifier's value is."""

    EMAIL = "email"
    PHONE = "phone"
    EXTERNAL_ID = "external_id"
    """An ID that a named system gave the person, e.g. a Salesforce Contact ID."""
    DEVICE_ID = "device_id"
    """An anonymous product-analytics ID (Mixpanel's ``$device_id``)."""


class Identifier(CanonicalModel):
    """One identifier of a person or account.

    ``value`` is what the source said; ``normalised`` is the comparable form the
    identity layer computes (lowercase email, E.164 phone). An ``external_id``
    names the system that issued it, so ``('salesforce', '003xx')`` and
    ``('zendesk', '003xx')`` are different identifiers.

    Examples:
        >>> Identifier(kind="email", value=" Bob@Acme.com ").value
        'Bob@Acme.com'
        >>> Identifier(kind="external_id", system="salesforce", value="003xx").key
        'external_id:salesforce:003xx'
    """

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=512)
    system: str | None = Field(default=None, description="Issuing system, for external_id.")
    normalised: str | None = Field(default=None, max_length=512)

    @model_validator(mode="after")
    def _system_for_external_ids(self) -> Identifier:
        if self.kind is IdentifierKind.EXTERNAL_ID and not self.system:
            msg = (
                f"external_id {self.value!r} needs 'system' naming who issued it, "
                "e.g. {kind: external_id, system: salesforce, value: ...}"
            )
            raise ValueError(msg)
        return self

    @property
    def key(self) -> str:
        """A string key that is equal for equal identifiers (uses ``normalised``)."""
        value = self.normalised or self.value
        if self.kind is IdentifierKind.EXTERNAL_ID:
            return f"{self.kind.value}:{self.system}:{value}"
        return f"{self.kind.value}:{value}"
