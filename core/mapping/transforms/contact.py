"""Contact-data transforms: phone numbers, countries, web domains."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

import phonenumbers
from pydantic import AfterValidator, Field

from core.canonical.countries import country_code
from core.canonical.fields import to_e164
from core.mapping.paths import parse_path
from core.mapping.registry import BuildContext, NoArgs, StrictArgs, TransformFn, transform

__all__ = ["PhoneRegion", "check_region"]


def check_region(region: str) -> str:
    """Return ``region`` upper-cased if phonenumbers knows it.

    Raises:
        ValueError: When the region is not a supported ISO 3166-1 alpha-2 code.
    """
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        msg = f"unknown phone region {region!r}; use an ISO 3166-1 alpha-2 code such as GB, US, DE"
        raise ValueError(msg)
    return code


PhoneRegion = Annotated[str, AfterValidator(check_region)]
"""A region phonenumbers knows (ISO 3166-1 alpha-2, e.g. ``GB``), upper-cased."""


class E164Args(StrictArgs):
    """Arguments of ``e164``."""

    region: PhoneRegion | None = Field(default=None, description="Default region; else defaults.phone_region.")
    country_from: str | None = Field(
        default=None,
        description="Source path of the record's country (a name, a code, or a locale such as en-US): "
        "a national number is read in that country.",
    )


def _locale_region(text: str) -> str | None:
    """The region of a locale (``en-US``, ``pt_BR`` → ``US``, ``BR``); None when it names none (``en``)."""
    parts = text.strip().replace("_", "-").split("-")
    code = parts[-1].upper() if len(parts) > 1 else ""
    return code if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS else None


@transform("e164", args=E164Args, shorthand="region", reads_record=True)
def build_e164(args: E164Args, ctx: BuildContext) -> TransformFn:
    """Format a phone number as E.164 (``+`` country code, digits only) with phonenumbers.

    A number without a country code is read in the record's own country when
    ``country_from`` names where that is (``MailingCountry``: a CRM keeps a British
    contact's ``020 7946 0321`` without ``+44``; or a locale: a helpdesk user whose
    ``locale`` is ``en-US`` typed ``(415) 555-0142``), else in ``region``, else in the
    mapping's ``defaults.phone_region``. Examples: ``"020 7946 0018"`` with
    ``{e164: GB}`` → ``"+442079460018"``; ``"+1 (415) 555-0100"`` → ``"+14155550100"``;
    ``"12ab"`` is rejected.
    """
    region = args.region or ctx.phone_region
    country = parse_path(args.country_from).get if args.country_from else None

    def e164(value: Any, raw: Mapping[str, Any]) -> Any:
        text = str(value) if isinstance(value, int) else value
        if not isinstance(text, str):
            msg = f"expected text, got {type(value).__name__}"
            raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
        if not text.strip():
            return None
        found = country(raw) if country is not None else None
        own = (country_code(found) or _locale_region(found)) if isinstance(found, str) else None
        return to_e164(text, own if own in phonenumbers.SUPPORTED_REGIONS else region)

    return e164


@transform("country", args=NoArgs)
def build_country(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Turn a country name or code into its ISO 3166-1 alpha-2 code (``core.canonical.countries``).

    Accepts alpha-2, alpha-3 and numeric codes, and names in English and in the
    country's languages, in any case, with or without accents. Examples:
    ``"United Kingdom"`` → ``"GB"``; ``"deu"`` → ``"DE"``; ``"España"`` → ``"ES"``;
    ``"Narnia"`` is rejected.
    """

    def country(value: Any, raw: Mapping[str, Any]) -> Any:
        text = str(value).strip()
        if not text:
            return None
        code = country_code(text)
        if code is None:
            msg = "not a country name or ISO code"
            raise ValueError(msg)
        return code

    return country


@transform("domain", args=NoArgs)
def build_domain(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Take the host name out of a web address or email, lower-cased, without ``www.``.

    Examples: ``"https://www.Acme.com/about"`` → ``"acme.com"``; ``"acme.io"`` → ``"acme.io"``;
    ``"bob@acme.com"`` → ``"acme.com"``.
    """

    def domain(value: Any, raw: Mapping[str, Any]) -> Any:
        text = str(value).strip().lower()
        if not text:
            return None
        if "@" in text and "/" not in text:
            text = "//" + text.rpartition("@")[2]
        elif "://" not in text:
            text = "//" + text
        host = urlsplit(text).hostname or ""
        host = host.removeprefix("www.")
        if "." not in host:
            msg = "not a web address or domain"
            raise ValueError(msg)
        return host

    return domain
