"""SOQL date literals (``TODAY``, ``LAST_N_DAYS:30``...) as the half-open time ranges they stand for.

A date literal names a span of whole days in the user's time zone (UTC for the
sandbox's integration user); weeks start on Sunday, as in the ``en_US`` locale. A
comparison with a literal compares with that span, as Salesforce does:

- ``CreatedDate = LAST_N_DAYS:30``: from 00:00 thirty days ago to the end of today;
- ``CreatedDate < TODAY``: before 00:00 today; ``CreatedDate <= TODAY``: before tomorrow;
- ``CreatedDate > TODAY``: from 00:00 tomorrow; ``CreatedDate >= TODAY``: from 00:00 today.

Fiscal and quarter literals (``THIS_QUARTER``, ``LAST_FISCAL_YEAR``...) are not
supported: the parser refuses them as MALFORMED_QUERY.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["FIXED_LITERALS", "N_LITERALS", "DateLiteral", "compare_with_range", "date_range"]


@dataclass(frozen=True)
class DateLiteral:
    """A date literal as written: its name in capitals and, for the ``_N_`` forms, the number."""

    name: str
    n: int | None = None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _week_start(today: date) -> date:
    return today - timedelta(days=(today.weekday() + 1) % 7)  # Sunday


_Days = tuple[date, date]


def _fixed(today: date) -> dict[str, _Days]:
    one = timedelta(days=1)
    week, month, year = _week_start(today), today.replace(day=1), date(today.year, 1, 1)
    return {
        "YESTERDAY": (today - one, today),
        "TODAY": (today, today + one),
        "TOMORROW": (today + one, today + 2 * one),
        "LAST_WEEK": (week - 7 * one, week),
        "THIS_WEEK": (week, week + 7 * one),
        "NEXT_WEEK": (week + 7 * one, week + 14 * one),
        "LAST_MONTH": (_add_months(month, -1), month),
        "THIS_MONTH": (month, _add_months(month, 1)),
        "NEXT_MONTH": (_add_months(month, 1), _add_months(month, 2)),
        "LAST_90_DAYS": (today - 90 * one, today + one),
        "NEXT_90_DAYS": (today + one, today + 91 * one),
        "LAST_YEAR": (date(today.year - 1, 1, 1), year),
        "THIS_YEAR": (year, date(today.year + 1, 1, 1)),
        "NEXT_YEAR": (date(today.year + 1, 1, 1), date(today.year + 2, 1, 1)),
    }


_N_FORMS: dict[str, Callable[[date, int], _Days]] = {
    "LAST_N_DAYS": lambda t, n: (t - timedelta(days=n), t + timedelta(days=1)),
    "NEXT_N_DAYS": lambda t, n: (t + timedelta(days=1), t + timedelta(days=n + 1)),
    "N_DAYS_AGO": lambda t, n: (t - timedelta(days=n), t - timedelta(days=n - 1)),
    "LAST_N_WEEKS": lambda t, n: (_week_start(t) - timedelta(weeks=n), _week_start(t)),
    "NEXT_N_WEEKS": lambda t, n: (_week_start(t) + timedelta(weeks=1), _week_start(t) + timedelta(weeks=n + 1)),
    "LAST_N_MONTHS": lambda t, n: (_add_months(t.replace(day=1), -n), t.replace(day=1)),
    "NEXT_N_MONTHS": lambda t, n: (_add_months(t.replace(day=1), 1), _add_months(t.replace(day=1), n + 1)),
}

FIXED_LITERALS = frozenset(_fixed(date(2000, 1, 1)))
"""The literals without a number."""
N_LITERALS = frozenset(_N_FORMS)
"""The literals written ``NAME:n``."""


def date_range(literal: DateLiteral, now: datetime) -> tuple[datetime, datetime]:
    """The UTC span ``[start, end)`` that ``literal`` stands for at ``now``."""
    today = now.astimezone(UTC).date()
    if literal.n is None:
        first, last = _fixed(today)[literal.name]
    else:
        first, last = _N_FORMS[literal.name](today, literal.n)
    return _midnight(first), _midnight(last)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def compare_with_range(op: str, value: Any, span: tuple[datetime, datetime]) -> bool:
    """``value op literal`` for a datetime or date ``value`` and the literal's ``span``; a null never matches."""
    if isinstance(value, datetime):
        start, end = span
        current: Any = value
    elif isinstance(value, date):
        start, end = span[0].date(), span[1].date()  # type: ignore[assignment]
        current = value
    else:
        return op == "!="  # null or a corrupted value: outside every span
    inside = start <= current < end
    checks = {
        "=": inside,
        "!=": not inside,
        "<": current < start,
        "<=": current < end,
        ">": current >= end,
        ">=": current >= start,
    }
    return bool(checks[op])
