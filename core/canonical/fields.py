"""Validated field types shared by canonical models (email, phone, country)."""

from __future__ import annotations

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator

__all__ = ["CountryCode", "EmailAddress", "PhoneE164"]


def _check_email(value: str) -> str:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as err:
        msg = f"email {value!r} is not a valid address: {err}"
        raise ValueError(msg) from None
    return value


def _check_phone(value: str) -> str:
    if not value.startswith("+"):
        msg = (
            f"phone {value!r} is not in E.164 form ('+' and country code); "
            "add the transform 'e164: {region: GB}' with the system's default region"
        )
        raise ValueError(msg)
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as err:
        msg = f"phone {value!r} cannot be read as a phone number: {err}"
        raise ValueError(msg) from None
    if not phonenumbers.is_possible_number(parsed):
        msg = f"phone {value!r} has the wrong number of digits for its country"
        raise ValueError(msg)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _check_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha() or code not in phonenumbers.SUPPORTED_REGIONS | {"AQ"}:
        msg = f"country {value!r} is not an ISO 3166-1 alpha-2 code such as 'GB' or 'US'; add a value_map transform"
        raise ValueError(msg)
    return code


EmailAddress = Annotated[str, AfterValidator(_check_email)]
"""An email address that email-validator accepts (syntax only, no DNS)."""

PhoneE164 = Annotated[str, AfterValidator(_check_phone)]
"""A phone number in E.164 form, e.g. ``+447700900123``."""

CountryCode = Annotated[str, AfterValidator(_check_country)]
"""An ISO 3166-1 alpha-2 country code, upper case."""
