"""People and accounts as every system describes them, in one shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar

from pydantic import Field

from core.canonical.base import CanonicalModel, RecordRef, aware
from core.canonical.fields import CountryCode, EmailAddress, PhoneE164
from core.canonical.identifier import Identifier

__all__ = ["Account", "Person"]


class _SourcedModel(CanonicalModel):
    source: RecordRef
    updated_at: Annotated[datetime, aware] | None = None
    deleted: bool = False
    identifiers: list[Identifier] = Field(default_factory=list)


class Person(_SourcedModel):
    """One person as one source record describes them.

    Example:
        >>> Person(source=RecordRef(system="files", stream="people", source_id="1"),
        ...        first_name="Robert", last_name="Smith", email="bob@acme.com").email
        'bob@acme.com'
    """

    identifying: ClassVar[frozenset[str]] = frozenset({"email", "phone", "mobile"})

    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    email: EmailAddress | None = None
    phone: PhoneE164 | None = None
    mobile: PhoneE164 | None = None
    company: str | None = Field(default=None, max_length=300)
    job_title: str | None = Field(default=None, max_length=300)
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: CountryCode | None = None
    date_of_birth: date | None = None
    lifecycle_stage: str | None = None
    account_ref: str | None = Field(default=None, description="Source ID of the person's account.")
    created_at: Annotated[datetime, aware] | None = None


class Account(_SourcedModel):
    """A company or organisation that people belong to."""

    identifying: ClassVar[frozenset[str]] = frozenset({"domain"})

    name: str | None = Field(default=None, max_length=300)
    domain: str | None = Field(default=None, max_length=253)
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0)
    annual_revenue: float | None = Field(default=None, ge=0)
    phone: PhoneE164 | None = None
    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: CountryCode | None = None
    created_at: Annotated[datetime, aware] | None = None
