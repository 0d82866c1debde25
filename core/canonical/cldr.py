"""Unicode CLDR locale data through babel, read once for a table and then let go.

``official_languages()`` → English and every language CLDR calls official (or de
facto) in some country; ``official_names()`` → each of those languages' country and
month names, every locale read once for both tables; ``locale_value(name, read)`` →
what ``read`` takes from one locale, or ``None`` when CLDR has no data for it.

babel keeps every locale it loads, merged with its parents, for the life of the
process. The tables built from CLDR (country names, month names, each country's date
order) need each locale once, so each locale is read and babel's caches cleared at
once: the country-name table over 125 languages left about 80 MiB of locale data
resident before; now one locale is held at a time, and only the names taken from each
are kept (``official_names``, a few MiB).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TypeVar

import pycountry
from babel import Locale, UnknownLocaleError, languages, localedata

__all__ = ["LanguageNames", "locale_value", "official_languages", "official_names"]

T = TypeVar("T")


def official_languages() -> list[str]:
    """English, then every language CLDR calls official or de facto in some country, in ISO's country order."""
    found: dict[str, None] = {"en": None}
    for country in pycountry.countries:
        for language in languages.get_official_languages(country.alpha_2, de_facto=True):
            found.setdefault(language, None)
    return list(found)


@dataclass(frozen=True, slots=True)
class LanguageNames:
    """What the country and month tables take from one language's locale.

    Attributes:
        language: The CLDR language code (``de``).
        territories: ``(ISO alpha-2 or other territory code, name)`` in CLDR's order.
        months: ``(month number, name)``: wide and abbreviated, as in a date and standing alone.
    """

    language: str
    territories: tuple[tuple[str, str], ...]
    months: tuple[tuple[int, str], ...]


@lru_cache(maxsize=1)
def official_names() -> tuple[LanguageNames, ...]:
    """Country and month names in English and each official language (``official_languages`` order).

    Each locale is read once for both tables (reading one costs its parents again, as
    babel's cache is let go after each); languages CLDR ships no data for are left out.
    """
    found = (locale_value(language, partial(_names, language)) for language in official_languages())
    return tuple(names for names in found if names is not None)


def _names(language: str, locale: Locale) -> LanguageNames:
    months = locale.months
    return LanguageNames(
        language,
        tuple((str(code), str(name)) for code, name in locale.territories.items()),
        tuple(
            (int(number), str(name))
            for context in ("format", "stand-alone")
            for width in ("wide", "abbreviated")
            for number, name in months[context][width].items()
        ),
    )


def locale_value(name: str, read: Callable[[Locale], T]) -> T | None:
    """``read(locale)`` for the CLDR locale ``name`` (``de``, ``en_GB``); ``None`` when CLDR ships no data for it.

    ``read`` must return plain values (not babel's views of the locale data, which keep
    all of it alive); babel's locale caches are cleared once it returns.
    """
    try:
        locale = Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return None  # CLDR lists the language as official but ships no locale data for it
    try:
        return read(locale)
    finally:
        localedata.clear_caches()
