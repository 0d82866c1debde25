"""Countries however a system writes them: ISO codes, English and local names, any case or accents.

``country_code("Deutschland")`` → ``"DE"``. Codes come from pycountry (ISO 3166-1:
alpha-2, alpha-3 and numeric, and ISO's English, official and common names); names
in other languages come from the Unicode CLDR through babel: every country's name
in English and in each language that CLDR lists as official or de facto in any
country (``España``, ``Brasil``, ``Allemagne``, ``Nederland``, ``Italia``…).
The United Kingdom's constituent countries, which ISO lists as subdivisions
(England, Scotland, Wales, Northern Ireland), give GB. Comparison ignores case, accents, punctuation and a leading
"the": ``U.S.A.``, ``usa`` and ``USA`` are one spelling; "&" is "and", "St" is "Saint",
and "SAR" after Hong Kong's or Macao's name is left out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry

from core.canonical.cldr import official_names

__all__ = ["country_code", "country_names"]

_NOT_A_LETTER = re.compile(r"[\W_]+")

EVERYDAY_NAMES = {
    "uk": "GB", "great britain": "GB", "britain": "GB", "america": "US", "holland": "NL",
    "uae": "AE", "ksa": "SA", "drc": "CD", "republic of ireland": "IE", "bosnia": "BA", "vatican": "VA",
    "macedonia": "MK", "macau": "MO",
}  # fmt: skip
"""Names in everyday use that neither ISO 3166 nor CLDR lists as a name: the code ISO
reserves for the United Kingdom (``UK``), colloquial names and initials, and a country's
name before it changed (Macedonia, North Macedonia since 2019)."""

_SAINT = re.compile(r"\bst\b")
_REGION_SUFFIX = re.compile(r" sar(?: china)?$")
"""What follows Hong Kong's and Macao's names in official use: "Hong Kong SAR", CLDR's "Hong Kong SAR China"."""


def _key(text: str) -> str:
    """The comparable form: no accents or punctuation, case-folded, single spaces, no leading "the"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("'", "").replace("\u2019", "").replace(".", "").replace("&", " and ")
    words = _NOT_A_LETTER.sub(" ", plain).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return _REGION_SUFFIX.sub("", _SAINT.sub("saint", " ".join(words)))


def _short_forms(name: str) -> list[str]:
    """ISO's inverted and bracketed names cut to their head: "Palestine, State of" → "Palestine"."""
    return [part for part in (name.split(",", 1)[0], name.split(" (", 1)[0]) if part != name]


def _add_cldr_names(names: dict[str, str], codes: set[str]) -> None:
    """Add every country's CLDR name in English and each official language (first country wins)."""
    for language in official_names():
        for code, name in language.territories:
            if code in codes:
                names.setdefault(_key(name), code)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every known name of every country (comparable form) → its alpha-2 code.

    Built once, on first use: ISO's names first, then CLDR's names in English and in
    every official language (a name already taken keeps its first country), then ISO's
    inverted and bracketed names cut to their head where only one country's is that
    head, then the United Kingdom's constituent countries and ``EVERYDAY_NAMES``.
    """
    names: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            if value := getattr(country, attribute, None):
                names.setdefault(_key(value), country.alpha_2)
                for form in _short_forms(value):
                    short.setdefault(_key(form), set()).add(country.alpha_2)
    _add_cldr_names(names, {c.alpha_2 for c in pycountry.countries})
    for form, codes in short.items():  # "Korea, Republic of" and "…, Democratic People's Republic of": neither
        if len(codes) == 1:
            names.setdefault(form, next(iter(codes)))
    for division in pycountry.subdivisions:
        if division.type in {"Country", "Nation", "Province"} and division.country_code == "GB":
            names.setdefault(_key(division.name.split("[", 1)[0]), "GB")
    for name, code in EVERYDAY_NAMES.items():
        names.setdefault(name, code)
    return names


@lru_cache(maxsize=4096)
def country_code(text: str) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of a country written any way, or ``None`` when unknown.

    Examples:
        >>> [country_code(t) for t in ("fr", "FRA", "250", "France", "frankreich", "Francia")]
        ['FR', 'FR', 'FR', 'FR', 'FR', 'FR']
        >>> country_code("U.S.A."), country_code("España"), country_code("Narnia")
        ('US', 'ES', None)
    """
    key = _key(text)
    if not key:
        return None
    found = None  # a code is one word ("n/a" is no Namibia); dots are gone already ("U.S.A." is "usa")
    if key.isdigit() and len(key) <= 3:
        found = pycountry.countries.get(numeric=key.zfill(3))
    elif len(key) == 2 and key.isalpha():
        found = pycountry.countries.get(alpha_2=key.upper())
    elif len(key) == 3 and key.isalpha():
        found = pycountry.countries.get(alpha_3=key.upper())
    if found is not None:
        return str(found.alpha_2)
    return country_names().get(key)
