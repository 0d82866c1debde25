"""Dates of birth however a system writes them, and impossible ones kept for comparison.

``read_date_of_birth`` reads ISO (``1985-03-05``), compact (``19850305``), numeric
with any separator and the year first or last (``05/03/1985``, ``5.3.85``,
``3-5-1985``), and month names in the languages CLDR knows (``5 March 1985``,
``March 5th, 1985``, ``5. März 1985``, ``5 de marzo de 1985``). Whether ``05/03``
is the 5th of March or the 3rd of May is the record's country's convention, from
its CLDR short date pattern (``M/d/yy`` in the United States, ``dd/MM/y`` in
Great Britain); day first when the country is not known. A component above 12
settles it either way.

A date that has a year, a month and a day but is no calendar date (month 13,
30 February: a day and month swapped, a digit mistyped) is returned as written,
``YYYY-MM-DD`` with its impossible components (``1985-13-05``), so identity
resolution can still compare its components with other records' dates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from babel import Locale, languages

from core.canonical.cldr import locale_value, official_names

__all__ = ["BirthDate", "day_first", "month_names", "read_date_of_birth"]

_TOKENS = re.compile(r"\d+|[^\W\d_]+")
_ORDINAL = re.compile(r"^(st|nd|rd|th|er|e|eme|o|a|de|of|the|le|el|der|den|am|di|del|du)$")
_EARLIEST, _LATEST = 1800, 2200


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth as read: a calendar ``date``, or the components of an impossible one.

    Attributes:
        value: The date, when the components make one; else ``None``.
        written: ``YYYY-MM-DD`` of the components as written when they make no date
            (``1985-13-05``); ``None`` for a real date.
    """

    value: date | None
    written: str | None = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).rstrip(".")


def _short_date_pattern(locale: Locale) -> str | None:
    formats = locale.date_formats
    return str(formats["short"].pattern) if "short" in formats else None


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Month names and abbreviations (case and accents folded) → month number, from CLDR.

    Wide and abbreviated forms, as in a date and standing alone, in English and in
    every language CLDR calls official in some country. A word that names different
    months in two languages is left out.
    """
    found: dict[str, int] = {}
    clashes: set[str] = set()
    for language in official_names():
        for number, name in language.months:
            key = _fold(name)
            if not key.isalpha() or len(key) < 3:
                continue
            if found.setdefault(key, number) != number:
                clashes.add(key)
    return {key: number for key, number in found.items() if key not in clashes}


@lru_cache(maxsize=512)
def day_first(country: str | None) -> bool:
    """Whether dates in ``country`` (ISO alpha-2) put the day before the month, by CLDR's short date pattern.

    ``True`` when the country is unknown or its pattern starts with the year.
    """
    if not country:
        return True
    for language in languages.get_official_languages(country, de_facto=True) or ("en",):
        pattern = locale_value(f"{language}_{country}", _short_date_pattern)
        if pattern is None:
            continue
        day, month, year = pattern.find("d"), pattern.find("M"), pattern.find("y")
        return not (0 <= month < day) or 0 <= year < month
    return True


def _full_year(text: str) -> int:
    """A year from 2 or 4 digits; two digits are the latest past year ending so (``85`` → 1985)."""
    year = int(text)
    if len(text) > 2:
        return year
    this_year = datetime.now(UTC).year
    century = this_year - this_year % 100
    return century + year if century + year <= this_year else century - 100 + year


def _from_parts(year: int, month: int, day: int) -> BirthDate | None:
    if not (_EARLIEST <= year < _LATEST) or not (1 <= month <= 99) or not (1 <= day <= 99):
        return None
    try:
        return BirthDate(date(year, month, day))
    except ValueError:
        return BirthDate(None, f"{year:04d}-{month:02d}-{day:02d}")


def _numeric(parts: list[str], *, first_day: bool) -> BirthDate | None:
    """Three numbers: the year first (4 digits) or last; otherwise day and month by convention."""
    if len(parts[0]) == 4:
        return _from_parts(int(parts[0]), int(parts[1]), int(parts[2]))
    if len(parts[2]) not in (2, 4) or len(parts[0]) > 2 or len(parts[1]) > 2:
        return None
    a, b, year = int(parts[0]), int(parts[1]), _full_year(parts[2])
    if a > 12 >= b:
        return _from_parts(year, b, a)
    if b > 12 >= a:
        return _from_parts(year, a, b)
    return _from_parts(year, b, a) if first_day else _from_parts(year, a, b)


def _compact(digits: str, *, first_day: bool) -> BirthDate | None:
    """Eight digits: ``YYYYMMDD`` when it starts with a plausible year, else ``DDMMYYYY``/``MMDDYYYY``."""
    if _EARLIEST <= int(digits[:4]) < _LATEST:
        return _from_parts(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return _numeric([digits[:2], digits[2:4], digits[4:]], first_day=first_day)


def _with_month_name(tokens: list[str]) -> BirthDate | None:
    """A month name with a day and a year (``5 March 1985``, ``March 5th, 1985``, ``1985 mars 5``)."""
    names = month_names()
    months = [names[_fold(t)] for t in tokens if not t.isdigit() and _fold(t) in names]
    words = [t for t in tokens if not t.isdigit() and _fold(t) not in names]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) != 1 or len(numbers) != 2 or any(not _ORDINAL.match(_fold(w)) for w in words):
        return None
    years = [n for n in numbers if len(n) == 4]
    if len(years) != 1:
        return None
    day = next(n for n in numbers if n is not years[0])
    return _from_parts(int(years[0]), months[0], int(day)) if len(day) <= 2 else None


def read_date_of_birth(text: str, *, country: str | None = None) -> BirthDate:
    """Read a date of birth written any common way; see the module docstring.

    Args:
        text: The value as the source wrote it.
        country: The record's country (ISO alpha-2), for day-first or month-first.

    Returns:
        The date, or the components of an impossible date as written.

    Raises:
        ValueError: When the text has no year, month and day (``unknown``, ``1985``, ``13/1985``).

    Examples:
        >>> read_date_of_birth("05/03/1985").value, read_date_of_birth("05/03/1985", country="US").value
        (datetime.date(1985, 3, 5), datetime.date(1985, 5, 3))
        >>> read_date_of_birth("1985-13-05")
        BirthDate(value=None, written='1985-13-05')
    """
    stripped = text.strip()
    first_day = day_first(country)
    tokens = _TOKENS.findall(stripped)
    found: BirthDate | None = None
    if len(tokens) == 1 and tokens[0].isdigit() and len(tokens[0]) == 8:
        found = _compact(tokens[0], first_day=first_day)
    elif len(tokens) == 3 and all(t.isdigit() for t in tokens):
        found = _numeric(tokens, first_day=first_day)
    elif len(tokens) > 3 and all(t.isdigit() for t in tokens[:3]) and len(tokens[0]) == 4 and ":" in stripped:
        found = _numeric(tokens[:3], first_day=first_day)  # a date-time: its date
    elif tokens:
        found = _with_month_name(tokens)
    if found is None:
        msg = f"date of birth {text!r} is not a date; write it as YYYY-MM-DD, e.g. '1985-03-05'"
        raise ValueError(msg)
    return found
