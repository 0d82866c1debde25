r"""SOQL's lexical layer and syntax tree: tokens, errors in Salesforce's form, and the parsed query.

``tokenize`` splits a query into tokens (strings with Salesforce's escapes ``\'``,
``\\``, ``\n``...; datetimes, dates, numbers, operators, names); ``malformed`` and
``located`` word errors as Salesforce does (the line, a caret, ``ERROR at Row:R:Column:C``).
The data classes are what ``soql.parse`` builds: a ``Path`` may carry a ``function``
(a date function such as ``CALENDAR_YEAR``, or in ``HAVING``/``ORDER BY`` of an
aggregate query an aggregate function such as ``COUNT``) applied to the field it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = [
    "AGGREGATE_FUNCTIONS", "DATE_FUNCTIONS", "FIELDS_GROUPS", "KEYWORDS", "MAX_OFFSET", "Aggregate", "BoolOp",
    "Comparison", "Condition", "FieldsGroup", "InList", "Like", "Literal", "Not", "OrderItem", "Path", "Query",
    "SoqlError", "Token", "located", "malformed", "tokenize",
]  # fmt: skip

MAX_OFFSET = 2000
"""The largest OFFSET Salesforce accepts."""
AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "MAX", "MIN", "SUM", "AVG"})
FIELDS_GROUPS = frozenset({"ALL", "STANDARD", "CUSTOM"})
DATE_FUNCTIONS = frozenset({
    "CALENDAR_MONTH", "CALENDAR_QUARTER", "CALENDAR_YEAR", "DAY_IN_MONTH", "DAY_IN_WEEK", "DAY_IN_YEAR", "DAY_ONLY",
    "FISCAL_MONTH", "FISCAL_QUARTER", "FISCAL_YEAR", "HOUR_IN_DAY", "WEEK_IN_MONTH", "WEEK_IN_YEAR",
})  # fmt: skip

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
    |(?P<number>[+-]?\d+(?:\.\d+)?)
    |(?P<string>')
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),.:])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
KEYWORDS = {
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "GROUP", "ORDER", "BY", "LIMIT", "OFFSET", "HAVING",
}  # fmt: skip


class SoqlError(Exception):
    """A query Salesforce would refuse: ``code`` is the errorCode, ``message`` its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token and where it starts."""

    kind: str
    text: str
    value: Any
    offset: int


@dataclass(frozen=True)
class Path:
    """A field path such as ``Email`` or ``Account.Name``, or a function of one (``CALENDAR_YEAR(CreatedDate)``)."""

    parts: tuple[str, ...]
    offset: int
    function: str | None = None  # a date function, or (HAVING, ORDER BY) an aggregate one; in capitals

    @property
    def text(self) -> str:
        """The field path as written, dotted (without the function)."""
        return ".".join(self.parts)

    @property
    def expression(self) -> str:
        """The path with its function, as Salesforce names it in messages: ``CALENDAR_YEAR(CreatedDate)``."""
        return f"{self.function}({self.text})" if self.function else self.text

    @property
    def key(self) -> tuple[str | None, str]:
        """What two mentions of the same expression share (case ignored, offset left out)."""
        return self.function, self.text.lower()


@dataclass(frozen=True)
class Aggregate:
    """``function(path) [alias]`` in the select list; unaliased ones are named ``expr0``, ``expr1``...

    ``function`` is an aggregate function or a date function; for a date function ``path``
    carries it too (``path.function``), as it does in ``GROUP BY`` and ``WHERE``.
    """

    function: str
    path: Path
    alias: str | None


@dataclass(frozen=True)
class FieldsGroup:
    """``FIELDS(kind)`` in the select list, standing where the ``position``-th plain path would be."""

    kind: str  # ALL, STANDARD or CUSTOM
    offset: int
    position: int


@dataclass(frozen=True)
class Literal:
    """A literal value; ``kind`` is string, number, datetime, date, boolean, null or dateliteral."""

    kind: str
    value: Any
    offset: int


@dataclass(frozen=True)
class Comparison:
    """``path op literal``."""

    path: Path
    op: str
    literal: Literal


@dataclass(frozen=True)
class InList:
    """``path [NOT] IN (literals)``, or a semi-join ``path [NOT] IN (SELECT field FROM ...)``."""

    path: Path
    literals: tuple[Literal, ...]
    negated: bool
    subquery: Query | None = None


@dataclass(frozen=True)
class Like:
    """``path [NOT] LIKE 'pattern'``."""

    path: Path
    literal: Literal
    negated: bool


@dataclass(frozen=True)
class Not:
    """``NOT condition``."""

    item: Condition


@dataclass(frozen=True)
class BoolOp:
    """``AND`` or ``OR`` of several conditions."""

    op: str
    items: tuple[Condition, ...]


Condition = Comparison | InList | Like | Not | BoolOp


@dataclass(frozen=True)
class OrderItem:
    """One ``ORDER BY`` key."""

    path: Path
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    """A parsed query."""

    text: str
    sobject: str
    sobject_offset: int
    fields: list[Path] = field(default_factory=list)
    field_groups: list[FieldsGroup] = field(default_factory=list)
    children: list[Query] = field(default_factory=list)  # subqueries; ``sobject`` is the relationship
    count_only: bool = False
    aggregates: list[Aggregate] = field(default_factory=list)
    group_by: list[Path] = field(default_factory=list)
    where: Condition | None = None
    having: Condition | None = None
    having_offset: int = 0  # where the HAVING keyword stands
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def malformed(text: str, offset: int, detail: str) -> SoqlError:
    """A ``MALFORMED_QUERY`` error pointing at ``offset`` in ``text``."""
    return SoqlError("MALFORMED_QUERY", _located(text, offset, detail))


def _located(text: str, offset: int, detail: str) -> str:
    row = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line = text[line_start : line_end if line_end >= 0 else len(text)]
    column = offset - line_start + 1
    return f"\n{line}\n{' ' * (column - 1)}^\nERROR at Row:{row}:Column:{column}\n{detail}"


def located(code: str, text: str, offset: int, detail: str) -> SoqlError:
    """An error with ``code`` pointing at ``offset`` in ``text``, as Salesforce words query errors."""
    return SoqlError(code, _located(text, offset, detail))


def _read_string(text: str, start: int) -> tuple[str, int]:
    chars: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "'":
            return "".join(chars), i + 1
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt in _ESCAPES:
                chars.append(_ESCAPES[nxt])
            elif nxt in {"_", "%"}:
                chars.append("\\" + nxt)  # kept escaped: only LIKE gives these a meaning
            else:
                raise malformed(text, i, f"Invalid string literal '{text[start : i + 2]}'. Illegal escape sequence")
            i += 2
            continue
        chars.append(ch)
        i += 1
    raise malformed(text, start, f"Invalid string literal '{text[start:]}'. Missing closing quote")


def _parse_datetime(raw: str) -> datetime:
    value = raw.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", value):
        value = f"{value[:-2]}:{value[-2:]}"
    return datetime.fromisoformat(value)


def _token_value(text: str, kind: str, raw: str, offset: int) -> Any:
    try:
        if kind == "datetime":
            return _parse_datetime(raw)
        if kind == "date":
            return date.fromisoformat(raw)
    except ValueError:
        raise malformed(text, offset, f"line 1:{offset} no viable alternative at '{raw}'") from None
    if kind == "number":
        return float(raw) if "." in raw else int(raw)
    return raw


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (whitespace dropped), ending with an ``eof`` token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise malformed(text, pos, f"unexpected token: '{text[pos]}'")
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            value, pos = _read_string(text, pos)
            tokens.append(Token("string", text[match.start() : pos], value, match.start()))
            continue
        pos = match.end()
        if kind == "ws":
            continue
        tokens.append(Token(kind, raw, _token_value(text, kind, raw, match.start()), match.start()))
    tokens.append(Token("eof", "", None, len(text)))
    return tokens
