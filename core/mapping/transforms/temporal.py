"""Date and time transforms: every datetime that leaves them carries a timezone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from core.canonical.fields import TimeZoneName
from core.mapping.registry import BuildContext, StrictArgs, TransformFn, transform

__all__: list[str] = []

_MS_THRESHOLD = 100_000_000_000
"""Epoch numbers above this are milliseconds (as seconds it would be the year 5138)."""


class ParseDatetimeArgs(StrictArgs):
    """Arguments of ``parse_datetime``."""

    formats: list[str] = Field(default_factory=list, description="strptime formats, tried in order before ISO 8601.")
    default_tz: TimeZoneName | None = Field(default=None, description="Zone for times without an offset.")
    unit: Literal["auto", "s", "ms"] = "auto"


def _from_epoch(number: float, unit: str) -> datetime:
    millis = unit == "ms" or (unit == "auto" and abs(number) >= _MS_THRESHOLD)
    try:
        return datetime.fromtimestamp(number / 1000 if millis else number, tz=UTC)
    except (OverflowError, OSError):
        msg = "epoch time out of range"
        raise ValueError(msg) from None


def _from_text(text: str, formats: list[str]) -> datetime:
    impossible: ValueError | None = None  # a format fits, but the day or month does not exist (1987-02-31)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is added by the caller
        except ValueError as err:
            impossible = impossible or (err if _out_of_range(err) else None)
    try:
        return datetime.fromisoformat(text)
    except ValueError as err:
        impossible = impossible or (err if _out_of_range(err) else None)
        if impossible is not None:
            msg = f"{text!r} has the shape of a date but that date does not exist ({impossible})"
            raise ValueError(msg) from None
        tried = f"formats {formats} or ISO 8601" if formats else "ISO 8601 (add 'formats: [...]')"
        msg = f"not a date-time in {tried}"
        raise ValueError(msg) from None


def _out_of_range(err: ValueError) -> bool:
    """Whether the text had the shape of a date whose day or month is out of range (not another shape)."""
    return "out of range" in str(err) or "must be in" in str(err)


def _is_number(text: str) -> bool:
    return text.lstrip("-").replace(".", "", 1).isdigit()


def to_datetime(value: Any, *, formats: list[str], zone: tzinfo, unit: str) -> datetime:
    """Read ``value`` (text, epoch number, date or datetime) as a timezone-aware datetime.

    Raises:
        ValueError: When it cannot be read.
    """
    if isinstance(value, bool):
        msg = "a boolean is not a date-time"
        raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
    if isinstance(value, int | float):
        return _from_epoch(value, unit)
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - the zone is added below
    elif isinstance(value, str):
        text = value.strip()
        if _is_number(text):
            return _from_epoch(float(text), unit)
        parsed = _from_text(text, formats)
    else:
        msg = f"expected text or a number, got {type(value).__name__}"
        raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


@transform("parse_datetime", args=ParseDatetimeArgs, shorthand="formats")
def build_parse_datetime(args: ParseDatetimeArgs, ctx: BuildContext) -> TransformFn:
    """Read a date-time: ISO 8601, your ``formats``, or epoch seconds/milliseconds.

    A time without an offset is read in ``default_tz`` (else the mapping's
    ``defaults.timezone``, else UTC), so the result always has a timezone.
    Epoch numbers (or numeric text) of 10^11 and more are milliseconds unless ``unit``
    says ``s`` or ``ms``. Examples: ``"2024-05-01T09:30:00Z"``;
    ``"2024-05-01T09:30:00.000+0000"`` (Salesforce); ``1714555800`` and
    ``1714555800000`` → 2024-05-01 09:30 UTC; ``{parse_datetime: {formats: ["%d/%m/%Y %H:%M"],
    default_tz: Europe/London}}`` reads ``"01/05/2024 10:30"`` as 09:30 UTC.
    """
    zone = ZoneInfo(args.default_tz or ctx.timezone)
    formats, unit = list(args.formats), args.unit

    def parse_datetime(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return to_datetime(value, formats=formats, zone=zone, unit=unit)

    return parse_datetime


class ParseDateArgs(StrictArgs):
    """Arguments of ``parse_date``."""

    formats: list[str] = Field(default_factory=list, description="strptime formats, tried before ISO 8601.")


@transform("parse_date", args=ParseDateArgs, shorthand="formats")
def build_parse_date(args: ParseDateArgs, ctx: BuildContext) -> TransformFn:
    """Read a calendar date: ISO 8601 (``"1984-02-29"``) or your ``formats``.

    A date-time gives its date. Examples: ``{parse_date: ["%d/%m/%Y"]}`` reads
    ``"29/02/1984"``; ``"1984-02-30"`` is rejected.
    """
    formats = list(args.formats)

    def parse_date(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if not isinstance(value, str):
            msg = f"expected text, got {type(value).__name__}"
            raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
        text = value.strip()
        if not text:
            return None
        return _from_text(text, formats).date()

    return parse_date
