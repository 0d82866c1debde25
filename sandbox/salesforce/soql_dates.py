"""SOQL date literals (``TODAY``, ``LAST_N_DAYS:30``...) as the time ranges they stand for, and date functions.

A date literal names a span of whole days in ``SOQL_ZONE`` (UTC: the sandbox reads
date literals in UTC rather than in the integration user's America/Los_Angeles);
weeks start on Sunday, as in the ``en_US`` locale; quarters are calendar quarters; the
fiscal year is Salesforce's default one, starting in January, so the ``FISCAL`` literals
and functions match the calendar ones. A comparison with a literal compares with that
span, as Salesforce does:

- ``CreatedDate = LAST_N_DAYS:30``: from 00:00 thirty days ago to the end of today;
- ``CreatedDate < TODAY``: before 00:00 today; ``CreatedDate <= TODAY``: before tomorrow;
- ``CreatedDate > TODAY``: from 00:00 tomorrow; ``CreatedDate >= TODAY``: from 00:00 today.

``LAST_N_QUARTERS:n`` (and the months, years and fiscal forms) ends where the current
period starts, ``NEXT_N_QUARTERS:n`` starts where the next one does, ``N_QUARTERS_AGO:n``
is the one period n back. ``date_function`` computes ``CALENDAR_YEAR(CreatedDate)``
and the other date functions of a date or datetime, reading a datetime in
``SOQL_ZONE``: the SOQL reference ("Date Functions", "convertTimezone()") says dateTime
values are UTC and only ``convertTimezone()``, which the sandbox does not parse,
converts them to the user's time zone. ``DAY_IN_WEEK`` counts from 1 for Sunday,
``WEEK_IN_MONTH``/``WEEK_IN_YEAR`` count weeks of seven days from the 1st.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = [
    "FIXED_LITERALS", "N_LITERALS", "SOQL_ZONE", "DateLiteral", "compare_with_range", "date_function", "date_range",
]  # fmt: skip

SOQL_ZONE = UTC
"""The time zone date literals and date functions read datetimes in."""


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


def _period(today: date, months: int, shift: int) -> date:
    """The first day of the period of ``months`` months (1, 3 or 12) ``shift`` periods from today's."""
    index = today.year * 12 + today.month - 1
    return _add_months(date(today.year, 1, 1), index - index % months - today.year * 12 + shift * months)


def _periods(months: int, prefix: str) -> dict[str, Callable[[date, int], _Days]]:
    """``LAST_N_<prefix>S``, ``NEXT_N_<prefix>S`` and ``N_<prefix>S_AGO`` for periods of ``months`` months."""
    return {
        f"LAST_N_{prefix}S": lambda t, n: (_period(t, months, -n), _period(t, months, 0)),
        f"NEXT_N_{prefix}S": lambda t, n: (_period(t, months, 1), _period(t, months, n + 1)),
        f"N_{prefix}S_AGO": lambda t, n: (_period(t, months, -n), _period(t, months, 1 - n)),
    }


def _fixed(today: date) -> dict[str, _Days]:
    one = timedelta(days=1)
    week, month, year = _week_start(today), today.replace(day=1), date(today.year, 1, 1)
    quarters = {f"{w}_{f}QUARTER": (_period(today, 3, k), _period(today, 3, k + 1))
                for w, k in (("LAST", -1), ("THIS", 0), ("NEXT", 1)) for f in ("", "FISCAL_")}  # fmt: skip
    fiscal = {f"{w}_FISCAL_YEAR": (_period(today, 12, k), _period(today, 12, k + 1))
              for w, k in (("LAST", -1), ("THIS", 0), ("NEXT", 1))}  # fmt: skip
    return (
        quarters
        | fiscal
        | {
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
    )


_N_FORMS: dict[str, Callable[[date, int], _Days]] = {
    "LAST_N_DAYS": lambda t, n: (t - timedelta(days=n), t + timedelta(days=1)),
    "NEXT_N_DAYS": lambda t, n: (t + timedelta(days=1), t + timedelta(days=n + 1)),
    "N_DAYS_AGO": lambda t, n: (t - timedelta(days=n), t - timedelta(days=n - 1)),
    "LAST_N_WEEKS": lambda t, n: (_week_start(t) - timedelta(weeks=n), _week_start(t)),
    "NEXT_N_WEEKS": lambda t, n: (_week_start(t) + timedelta(weeks=1), _week_start(t) + timedelta(weeks=n + 1)),
    "LAST_N_MONTHS": lambda t, n: (_add_months(t.replace(day=1), -n), t.replace(day=1)),
    "NEXT_N_MONTHS": lambda t, n: (_add_months(t.replace(day=1), 1), _add_months(t.replace(day=1), n + 1)),
    "N_WEEKS_AGO": lambda t, n: (_week_start(t) - timedelta(weeks=n), _week_start(t) - timedelta(weeks=n - 1)),
    "N_MONTHS_AGO": lambda t, n: (_period(t, 1, -n), _period(t, 1, 1 - n)),
    **_periods(3, "QUARTER"), **_periods(3, "FISCAL_QUARTER"), **_periods(12, "YEAR"), **_periods(12, "FISCAL_YEAR"),
}  # fmt: skip

FIXED_LITERALS = frozenset(_fixed(date(2000, 1, 1)))
"""The literals without a number."""
N_LITERALS = frozenset(_N_FORMS)
"""The literals written ``NAME:n``."""


def date_range(literal: DateLiteral, now: datetime) -> tuple[datetime, datetime]:
    """The UTC span ``[start, end)`` that ``literal`` stands for at ``now``."""
    today = now.astimezone(SOQL_ZONE).date()
    if literal.n is None:
        first, last = _fixed(today)[literal.name]
    else:
        first, last = _N_FORMS[literal.name](today, literal.n)
    return _midnight(first), _midnight(last)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SOQL_ZONE)


_FUNCTIONS: dict[str, Callable[[date], Any]] = {
    "CALENDAR_MONTH": lambda d: d.month,
    "CALENDAR_QUARTER": lambda d: (d.month - 1) // 3 + 1,
    "CALENDAR_YEAR": lambda d: d.year,
    "DAY_IN_MONTH": lambda d: d.day,
    "DAY_IN_WEEK": lambda d: (d.weekday() + 1) % 7 + 1,  # 1 for Sunday, 7 for Saturday
    "DAY_IN_YEAR": lambda d: d.timetuple().tm_yday,
    "DAY_ONLY": lambda d: d,
    "FISCAL_MONTH": lambda d: d.month,  # the default fiscal year starts in January
    "FISCAL_QUARTER": lambda d: (d.month - 1) // 3 + 1,
    "FISCAL_YEAR": lambda d: d.year,
    "WEEK_IN_MONTH": lambda d: (d.day - 1) // 7 + 1,
    "WEEK_IN_YEAR": lambda d: (d.timetuple().tm_yday - 1) // 7 + 1,
}


def date_function(name: str, value: Any) -> Any:
    """``name(value)`` for a date function and a date or datetime ``value``; None for a null or corrupted value."""
    if isinstance(value, datetime):
        local = value.astimezone(SOQL_ZONE)
        return local.hour if name == "HOUR_IN_DAY" else _FUNCTIONS[name](local.date())
    if isinstance(value, date) and name != "HOUR_IN_DAY":
        return _FUNCTIONS[name](value)
    return None


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
