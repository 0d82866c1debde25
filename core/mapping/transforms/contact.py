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

__all__ = ["PhoneRegion", "check_region", "region_of"]


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
    region_path: str | None = Field(
        default=None, description="Source path of the record's own region: a code (GB) or a locale (en-GB, de)."
    )


def region_of(value: Any) -> str | None:
    """Read a region from a country code (``GB``) or a locale (``en-GB``, ``en_us``, ``de``); None when it names none.

    A bare language code counts when it is also a region code (``de`` → ``DE``, ``fr`` → ``FR``; ``en`` → None).
    """
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().replace("_", "-").split("-")
    for part in (parts[-1], parts[0]):
        code = part.upper()
        if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS:
            return code
    return None


@transform("e164", args=E164Args, shorthand="region")
def build_e164(args: E164Args, ctx: BuildContext) -> TransformFn:
    """Format a phone number as E.164 (``+`` country code, digits only) with phonenumbers.

    A number without a country code is read in the record's own region when
    ``region_path`` names one (a country code, or a locale such as ``en-US``), else in
    ``region``, else in the mapping's ``defaults.phone_region``. Examples:
    ``"020 7946 0018"`` with ``{e164: GB}`` → ``"+442079460018"``; ``"(415) 555-0100"``
    with ``{e164: {region_path: locale}}`` on a record whose ``locale`` is ``en-US`` →
    ``"+14155550100"``; ``"+1 (415) 555-0100"`` → ``"+14155550100"``; ``"12ab"`` is rejected.
    """
    region = args.region or ctx.phone_region
    own = parse_path(args.region_path) if args.region_path else None

    def e164(value: Any, raw: Mapping[str, Any]) -> Any:
        text = str(value) if isinstance(value, int) else value
        if not isinstance(text, str):
            msg = f"expected text, got {type(value).__name__}"
            raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
        if not text.strip():
            return None
        return to_e164(text, (region_of(own.get(raw)) if own else None) or region)

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
