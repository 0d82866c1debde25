"""Validated field types shared by canonical models (email, phone, country)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from email_validator import EmailNotValidError
from pydantic import AfterValidator, ValidationInfo

from core.canonical.countries import country_code
from core.canonical.emails import check_email

__all__ = ["STORED", "CountryCode", "EmailAddress", "PhoneE164", "TimeZoneName", "check_timezone", "to_e164"]

STORED = {"stored": True}
"""Validation context for data the store wrote from a model it had validated: ``Person.model_validate(data,
context=STORED)`` checks shapes and types but skips re-checking email syntax and phone numbers, which
cost more than everything else together (a store of 100,000 people loads in a quarter of the time)."""


def _stored(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("stored"))


def _check_email(value: str, info: ValidationInfo) -> str:
    if _stored(info):
        return value
    try:
        check_email(value)
    except EmailNotValidError as err:
        msg = f"email {value!r} is not a valid address: {err}"
        raise ValueError(msg) from None
    return value


_VALID_E164: set[str] = set()
"""E.164 strings ``to_e164`` produced, so validating them again costs no second parse."""
_VALID_E164_MAX = 1 << 15
"""Enough for the numbers of a batch being mapped (each is validated right after it is formatted); bounded so a
long load keeps flat memory."""


_SPREADSHEET_NUMBER = re.compile(r"(?P<digits>\+?\d+)\.0+|(?P<exponent>\d(?:\.\d+)?[eE]\+?\d+)")
"""A phone number as a spreadsheet writes a number: a decimal point and zeros after it, or scientific notation."""


@lru_cache(maxsize=1 << 14)  # a record often carries the same number as a field and as an identifier
def to_e164(text: str, region: str | None) -> str:
    """Format a phone number as E.164 with phonenumbers, reading national numbers in ``region``.

    Raises:
        ValueError: When the text is not a possible phone number.

    A number a spreadsheet wrote as one (``4155550100.0``) is read without its decimals;
    one in scientific notation (``4.15555E+09``) has lost digits and is refused, saying so.

    Examples:
        >>> to_e164("020 7946 0018", "GB")
        '+442079460018'
        >>> to_e164("4155550100.0", "US")
        '+14155550100'
    """
    spreadsheet = _SPREADSHEET_NUMBER.fullmatch(text.strip())
    if spreadsheet is not None:  # a phone column a spreadsheet took for a number: 4155550100.0, 4.15555E+09
        if spreadsheet["exponent"]:
            msg = f"{text.strip()!r} is a number in scientific notation: its digits are lost; export the column as text"
            raise ValueError(msg)
        text = spreadsheet["digits"]
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        hint = "" if region or text.lstrip().startswith("+") else " (no region: set defaults.phone_region)"
        msg = f"not a phone number: {err}{hint}"
        raise ValueError(msg) from None
    if not phonenumbers.is_possible_number(parsed):
        found = phonenumbers.region_code_for_number(parsed)
        where = f"region {found}" if found and found != "ZZ" else f"country code +{parsed.country_code}"
        msg = f"not a possible phone number for {where}"
        raise ValueError(msg)
    result = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if len(_VALID_E164) >= _VALID_E164_MAX:
        _VALID_E164.clear()
    _VALID_E164.add(result)
    return result


def _check_phone(value: str, info: ValidationInfo) -> str:
    if value in _VALID_E164 or _stored(info):
        return value
    if not value.startswith("+"):
        msg = (
            f"phone {value!r} is not in E.164 form ('+' and country code); "
            "add the transform 'e164: {region: GB}' with the system's default region"
        )
        raise ValueError(msg)
    try:
        return to_e164(value, None)
    except ValueError as err:
        msg = f"phone {value!r}: {err}"
        raise ValueError(msg) from None


def _check_country(value: str) -> str:
    code = country_code(value)
    if code is None:
        msg = (
            f"country {value!r} is not a country name or ISO 3166-1 code; give an ISO code "
            "('GB', 'GBR', '826') or a name in English or the country's language ('Deutschland')"
        )
        raise ValueError(msg)
    return code


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA timezone.

    Raises:
        ValueError: When it is not, naming examples.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown timezone {name!r}; use an IANA name such as UTC, Europe/London, America/New_York"
        raise ValueError(msg) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
"""An IANA timezone name such as ``UTC`` or ``Europe/London``."""

EmailAddress = Annotated[str, AfterValidator(_check_email)]
"""An email address that email-validator accepts (syntax only, no DNS)."""

PhoneE164 = Annotated[str, AfterValidator(_check_phone)]
"""A phone number in E.164 form, e.g. ``+447700900123``."""

CountryCode = Annotated[str, AfterValidator(_check_country)]
"""A country, stored as its ISO 3166-1 alpha-2 code (upper case); read from any code or name
``country_code`` understands (``USA``, ``Deutschland``, ``españa``, ``250``)."""
