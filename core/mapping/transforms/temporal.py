"""Date and time transforms: every datetime that leaves them carries a timezone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from core.canonical.fields import TimeZoneName
from core.mapping.registry import BuildContext, StrictArgs, TransformFn, transform

__all__ = ["TextReader", "to_datetime"]

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


_ISO_DATE = "%Y-%m-%d"


class TextReader:
    """Reads a column's text as ``strptime`` with each of ``formats`` in order, then ISO 8601, would.

    Two shortcuts give the same result for less. A format can only match a text holding its
    separators (``%d/%m/%Y`` needs two ``/``), so for each set of separators a text of the
    column has, the formats that could match are worked out once and remembered: an ISO
    column given ``["%d/%m/%Y", "%Y-%m-%d"]`` skips the first without trying it. And
    ``%Y-%m-%d``, or ISO 8601 itself, is read with ``fromisoformat`` (C) before ``strptime``.
    """

    def __init__(self, formats: list[str]) -> None:
        self.formats = list(formats)
        self._needs = [_separators(fmt) for fmt in self.formats]
        self._candidates: dict[str, tuple[str, ...]] = {}

    def read(self, text: str) -> datetime:
        """Return ``text`` as a (possibly naive) datetime.

        Raises:
            ValueError: No format and not ISO 8601.
        """
        impossible: ValueError | None = None  # a format fits, but the day or month does not exist (1987-02-31)
        if self.formats:
            for fmt in self._formats_for(text):  # a format skipped here cannot fit the text's shape
                if fmt == _ISO_DATE and len(text) == 10 and text[4] == "-" and text[7] == "-":
                    try:
                        return datetime.fromisoformat(text)
                    except ValueError:
                        pass  # strptime decides, and words the error (it reads "1984-2-9" too)
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
            formats = self.formats
            tried = f"formats {formats} or ISO 8601" if formats else "ISO 8601 (add 'formats: [...]')"
            msg = f"not a date-time in {tried}"
            raise ValueError(msg) from None

    def _formats_for(self, text: str) -> tuple[str, ...]:
        """The formats that could read ``text``, worked out once per run of separators (``"--"``, ``"//"``)."""
        key = "".join(c for c in text if not c.isalnum())
        found = self._candidates.get(key)
        if found is None:
            if len(self._candidates) >= 256:
                self._candidates.clear()
            found = self._candidates[key] = tuple(
                fmt for fmt, needs in zip(self.formats, self._needs, strict=True)
                if all(key.count(c) >= n for c, n in needs.items())
            )  # fmt: skip
        return found


def _separators(fmt: str) -> dict[str, int]:
    """The literal characters (not letters, digits or spaces) ``fmt`` requires, with how many of each."""
    needs: dict[str, int] = {}
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            if fmt[i + 1 : i + 2] == "%":
                needs["%"] = needs.get("%", 0) + 1
            i += 2
            continue
        if not char.isalnum() and not char.isspace():
            needs[char] = needs.get(char, 0) + 1
        i += 1
    return needs


def _from_text(text: str, formats: list[str]) -> datetime:
    return TextReader(formats).read(text)


def _out_of_range(err: ValueError) -> bool:
    """Whether the text had the shape of a date whose day or month is out of range (not another shape)."""
    return "out of range" in str(err) or "must be in" in str(err)


def _is_number(text: str) -> bool:
    return text.lstrip("-").replace(".", "", 1).isdigit()


def to_datetime(value: Any, *, formats: list[str] | TextReader, zone: tzinfo, unit: str) -> datetime:
    """Read ``value`` (text, epoch number, date or datetime) as a timezone-aware datetime.

    ``formats`` may be a column's ``TextReader`` (built once for the column).

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
        parsed = formats.read(text) if isinstance(formats, TextReader) else _from_text(text, formats)
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
    reader, unit = TextReader(args.formats), args.unit

    def parse_datetime(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return to_datetime(value, formats=reader, zone=zone, unit=unit)

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
    reader = TextReader(args.formats)

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
        return reader.read(text).date()

    return parse_date
