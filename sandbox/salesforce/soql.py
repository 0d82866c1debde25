r"""A recursive-descent parser for the SOQL the connectors send.

Grammar (keywords in any case)::

    query      := SELECT select FROM name [WHERE or] [GROUP BY path {, path}] [ORDER BY order {, order}]
                  [LIMIT int] [OFFSET int]
    select     := COUNT '(' ')' | item {, item}
    item       := path | function '(' path ')' [alias] | FIELDS '(' (ALL | STANDARD | CUSTOM) ')' | '(' query ')'
    function   := COUNT | COUNT_DISTINCT | MAX | MIN | SUM | AVG
    path       := name {'.' name}
    or         := and {OR and}
    and        := not {AND not}
    not        := NOT not | '(' or ')' | condition
    condition  := path op literal | path [NOT] IN '(' (literal {, literal} | query) ')' | path [NOT] LIKE string
    op         := = | != | <> | < | <= | > | >=
    literal    := 'string' | number | datetime | date | TRUE | FALSE | NULL | dateliteral
    dateliteral:= TODAY | YESTERDAY | THIS_MONTH ... | LAST_N_DAYS ':' int | NEXT_N_DAYS ':' int ...
    order      := path [ASC | DESC] [NULLS (FIRST | LAST)]

String literals take Salesforce's escapes (``\'``, ``\\``, ``\n``, ``\t``...); a
syntax error raises ``SoqlError`` with code ``MALFORMED_QUERY`` and Salesforce's
message form (the line, a caret, ``ERROR at Row:R:Column:C``). OFFSET above 2000 is
NUMBER_OUTSIDE_VALID_RANGE. A ``(query)`` in the select list is a parent-to-child
subquery whose FROM names a child relationship (``Contacts`` or ``Account.Contacts``);
``soql_select`` resolves it and the ``FIELDS()`` groups. Not parsed (MALFORMED_QUERY):
``HAVING``, ``TYPEOF``, date functions, fiscal literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.salesforce.soql_dates import FIXED_LITERALS, N_LITERALS, DateLiteral

__all__ = [
    "FIELDS_GROUPS", "MAX_OFFSET", "Aggregate", "BoolOp", "Comparison", "Condition", "FieldsGroup", "InList", "Like",
    "Literal", "Not", "OrderItem", "Path", "Query", "SoqlError", "parse",
]  # fmt: skip

MAX_OFFSET = 2000
"""The largest OFFSET Salesforce accepts."""
AGGREGATE_FUNCTIONS = frozenset({"COUNT", "COUNT_DISTINCT", "MAX", "MIN", "SUM", "AVG"})
FIELDS_GROUPS = frozenset({"ALL", "STANDARD", "CUSTOM"})

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
_KEYWORDS = {
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
    """A field path such as ``Email`` or ``Account.Name``."""

    parts: tuple[str, ...]
    offset: int

    @property
    def text(self) -> str:
        """The path as written, dotted."""
        return ".".join(self.parts)


@dataclass(frozen=True)
class Aggregate:
    """``function(path) [alias]`` in the select list; unaliased ones are named ``expr0``, ``expr1``..."""

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


def parse(text: str) -> Query:
    """Parse a SOQL query.

    Raises:
        SoqlError: ``MALFORMED_QUERY`` for a syntax error.
    """
    return _Parser(text).query()


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def _peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def _is(self, *words: str) -> bool:
        token = self._peek()
        return token.kind == "name" and token.text.upper() in words

    def _next(self) -> Token:
        token = self._peek()
        self.pos += 1
        return token

    def _fail(self, token: Token) -> SoqlError:
        if token.kind == "eof":
            return malformed(self.text, token.offset, "unexpected token: '<EOF>'")
        return malformed(self.text, token.offset, f"unexpected token: '{token.text}'")

    def _expect_word(self, word: str) -> Token:
        if not self._is(word):
            raise self._fail(self._peek())
        return self._next()

    def _expect_punct(self, char: str) -> None:
        token = self._next()
        if token.text != char:
            raise self._fail(token)

    def _name(self) -> Token:
        token = self._next()
        if token.kind != "name":
            raise self._fail(token)
        return token

    def query(self, *, nested: bool = False, child: bool = False) -> Query:
        self._expect_word("SELECT")
        query = Query(self.text, "", 0)
        self._select(query)
        self._expect_word("FROM")
        sobject = self._name()
        query.sobject, query.sobject_offset = sobject.text, sobject.offset
        while child and self._peek().text == ".":  # ``FROM Account.Contacts``
            self._next()
            query.sobject += "." + self._name().text
        if self._is("WHERE"):
            self._next()
            query.where = self._or()
        if self._is("GROUP"):
            self._next()
            self._expect_word("BY")
            query.group_by.append(self._path())
            while self._peek().text == ",":
                self._next()
                query.group_by.append(self._path())
        if self._is("ORDER"):
            self._next()
            self._expect_word("BY")
            query.order.append(self._order_item())
            while self._peek().text == ",":
                self._next()
                query.order.append(self._order_item())
        query.limit = self._int_clause("LIMIT")
        query.offset = self._int_clause("OFFSET")
        if self._peek().kind != "eof" and not (nested and self._peek().text == ")"):
            raise self._fail(self._peek())
        return query

    def _int_clause(self, word: str) -> int | None:
        if not self._is(word):
            return None
        self._next()
        token = self._next()
        if token.kind != "number" or not isinstance(token.value, int) or token.value < 0:
            raise self._fail(token)
        if word == "OFFSET" and token.value > MAX_OFFSET:
            code, detail = "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}"
            raise located(code, self.text, token.offset, detail)
        return int(token.value)

    def _select(self, query: Query) -> None:
        if self._is("COUNT") and self._peek(1).text == "(" and self._peek(2).text == ")":
            self.pos += 3
            query.count_only = True
            return
        while True:
            token, after = self._peek(), self._peek(1)
            if token.text == "(" and after.kind == "name" and after.text.upper() == "SELECT":
                self._next()
                query.children.append(self.query(nested=True, child=True))
                self._expect_punct(")")
            elif after.text == "(" and token.text.upper() == "FIELDS":
                query.field_groups.append(self._fields_group(len(query.fields)))
            elif after.text == "(" and token.text.upper() in AGGREGATE_FUNCTIONS:
                query.aggregates.append(self._aggregate())
            else:
                query.fields.append(self._path())
            if self._peek().text != ",":
                return
            self._next()

    def _fields_group(self, position: int) -> FieldsGroup:
        start = self._next()
        self._expect_punct("(")
        kind = self._next()
        if kind.kind != "name" or kind.text.upper() not in FIELDS_GROUPS:
            raise self._fail(kind)
        self._expect_punct(")")
        return FieldsGroup(kind.text.upper(), start.offset, position)

    def _aggregate(self) -> Aggregate:
        function = self._next().text.upper()
        self._expect_punct("(")
        path = self._path()
        self._expect_punct(")")
        alias = None
        if self._peek().kind == "name" and self._peek().text.upper() not in _KEYWORDS:
            alias = self._next().text
        return Aggregate(function, path, alias)

    def _path(self) -> Path:
        first = self._name()
        if first.text.upper() in _KEYWORDS:
            raise self._fail(first)
        parts = [first.text]
        while self._peek().text == ".":
            self._next()
            parts.append(self._name().text)
        return Path(tuple(parts), first.offset)

    def _order_item(self) -> OrderItem:
        path = self._path()
        descending = False
        if self._is("ASC", "DESC"):
            descending = self._next().text.upper() == "DESC"
        nulls_last = descending
        if self._is("NULLS"):
            self._next()
            if not self._is("FIRST", "LAST"):
                raise self._fail(self._peek())
            nulls_last = self._next().text.upper() == "LAST"
        return OrderItem(path, descending, nulls_last)

    def _or(self) -> Condition:
        items = [self._and()]
        while self._is("OR"):
            self._next()
            items.append(self._and())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def _and(self) -> Condition:
        items = [self._not()]
        while self._is("AND"):
            self._next()
            items.append(self._not())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def _not(self) -> Condition:
        if self._is("NOT"):
            self._next()
            return Not(self._not())
        if self._peek().text == "(":
            self._next()
            inner = self._or()
            self._expect_punct(")")
            return inner
        return self._condition()

    def _condition(self) -> Condition:
        path = self._path()
        negated = False
        if self._is("NOT"):
            self._next()
            negated = True
            if not self._is("IN", "LIKE"):
                raise self._fail(self._peek())
        if self._is("IN"):
            self._next()
            self._expect_punct("(")
            if self._is("SELECT"):
                subquery = self.query(nested=True)
                self._expect_punct(")")
                return InList(path, (), negated, subquery)
            literals = [self._literal()]
            while self._peek().text == ",":
                self._next()
                literals.append(self._literal())
            self._expect_punct(")")
            return InList(path, tuple(literals), negated)
        if self._is("LIKE"):
            self._next()
            literal = self._literal()
            if literal.kind != "string":
                raise malformed(self.text, literal.offset, "LIKE needs a string literal")
            return Like(path, literal, negated)
        token = self._next()
        if token.kind != "op":
            raise self._fail(token)
        return Comparison(path, "!=" if token.text == "<>" else token.text, self._literal())

    def _literal(self) -> Literal:
        token = self._next()
        if token.kind in {"string", "number", "datetime", "date"}:
            return Literal(token.kind, token.value, token.offset)
        if token.kind == "name" and token.text.upper() in {"TRUE", "FALSE"}:
            return Literal("boolean", token.text.upper() == "TRUE", token.offset)
        if token.kind == "name" and token.text.upper() == "NULL":
            return Literal("null", None, token.offset)
        if token.kind == "name" and token.text.upper() in FIXED_LITERALS:
            return Literal("dateliteral", DateLiteral(token.text.upper()), token.offset)
        if token.kind == "name" and token.text.upper() in N_LITERALS:
            if self._peek().text != ":":
                raise self._fail(self._peek())
            self._next()
            number = self._next()
            if number.kind != "number" or not isinstance(number.value, int) or number.value < 0:
                raise self._fail(number)
            return Literal("dateliteral", DateLiteral(token.text.upper(), number.value), token.offset)
        raise self._fail(token)
