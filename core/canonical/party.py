"""People and accounts as every system describes them, in one shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, model_validator

from core.canonical.base import CanonicalModel, RecordRef, aware
from core.canonical.countries import country_code
from core.canonical.dates import read_date_of_birth
from core.canonical.fields import CountryCode, EmailAddress, PhoneE164
from core.canonical.identifier import Identifier

__all__ = ["Account", "Person"]


class _SourcedModel(CanonicalModel):
    source: RecordRef
    updated_at: Annotated[datetime, aware] | None = None
    deleted: bool = False
    identifiers: list[Identifier] = Field(default_factory=list)


def _iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _date_of_birth(value: Any) -> Any:
    """A date of birth written any common way (``read_date_of_birth``, day first) as a ``date``."""
    if isinstance(value, str) and value.strip() and not _iso_date(value):
        found = read_date_of_birth(value)
        if found.value is None:
            msg = f"date of birth {value!r} is not a calendar date"
            raise ValueError(msg)
        return found.value
    return value


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
    date_of_birth: Annotated[date | None, BeforeValidator(_date_of_birth)] = None
    date_of_birth_written: str | None = Field(
        default=None,
        pattern=r"^\d{4}-\d{2}-\d{2}$",
        description="A date of birth that is no calendar date (month 13, 30 February), as written: "
        "YYYY-MM-DD of its components, kept so identity resolution can compare them.",
    )
    lifecycle_stage: str | None = None
    account_ref: str | None = Field(default=None, description="Source ID of the person's account.")
    created_at: Annotated[datetime, aware] | None = None

    @model_validator(mode="before")
    @classmethod
    def _read_date_of_birth(cls, data: Any) -> Any:
        """Read a date of birth in the record's country's convention; keep an impossible one as written.

        ``05/03/1985`` is the 3rd of May for a US record and the 5th of March for a
        British one; ``1985-13-05`` becomes ``date_of_birth_written`` (and no
        ``date_of_birth``), never a rejected record. Unreadable text is left for the
        field's own validation to report.
        """
        if not isinstance(data, dict):
            return data
        value = data.get("date_of_birth")
        if not isinstance(value, str) or not value.strip() or _iso_date(value):
            return data
        country = data.get("country")
        try:
            found = read_date_of_birth(value, country=country_code(country) if isinstance(country, str) else None)
        except ValueError:
            return data
        return {**data, "date_of_birth": found.value, "date_of_birth_written": found.written}


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
