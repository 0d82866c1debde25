r"""Mixpanel's segmentation expressions: the ``where`` of the raw export and the engage query.

A recursive-descent parser of the grammar Mixpanel publishes
(https://docs.mixpanel.com/reference/segmentation-expressions), loosest binding first::

    or         := and {"or" and}
    and        := not {"and" not}
    not        := "not" not | comparison
    comparison := sum {("==" | "!=" | ">" | ">=" | "<" | "<=" | "in") sum}
    sum        := product {("+" | "-") product}
    product    := unary {("*" | "/" | "%") unary}
    unary      := "-" unary | primary
    primary    := ("properties" | "user") "[" string "]"
                | ("defined" | "floor" | "round" | "ceil" | "boolean" | "number" | "string") "(" or ")"
                | "(" or ")" | "[" [or {"," or}] "]" | string | number | "true" | "false"

Strings take double or single quotes with backslash escapes (``\"``, ``\'``, ``\\``,
``\n``, ``\uXXXX``). ``user["x"]`` names a profile property: the engage query reads it
like ``properties["x"]``; the raw export refuses it. The precedence of ``not`` below the
comparisons (``not a == b`` is ``not (a == b)``) is the sandbox's reading; Mixpanel's page
gives none. Values follow the page's rules:

- ``==`` is true only for operands of one type and equal value; ``!=`` is its opposite.
- ``>``, ``>=``, ``<``, ``<=`` compare two numbers (and, in the sandbox, two strings, as
  ISO dates compare); other pairs are undefined.
- ``a in b``: a substring of a string, or an element of a list (``[1, 2]`` or a list
  property); otherwise undefined.
- ``and``/``or`` take booleans, undefined counting as false; another type is an error.
- ``not`` negates a boolean, turns undefined into true and anything else into undefined.
- Arithmetic works on numbers (``+`` also joins two strings); anything else, and a
  division by 0, is undefined. ``defined(x)`` is true when x has a value (not null).
- Casts: ``number("4")`` is 4 (undefined when not a number), ``string(2.5)`` is "2.5",
  ``boolean("true")`` is true (``"false"`` false, other strings undefined; numbers are
  true unless 0).

A record is selected when the expression is ``true``. Syntax and type errors raise
``ExpressionError``, which the APIs answer with a 400.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["ExpressionError", "Matcher", "compile_where"]


class ExpressionError(Exception):
    """A ``where`` expression Mixpanel would refuse (a syntax error, or ``and``/``or`` on a non-boolean)."""


class _Undefined:
    """The value of a missing property (and of operations the page calls undefined)."""

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()

Matcher = Callable[[dict[str, Any]], bool]
_Node = Callable[[dict[str, Any]], Any]

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    |(?P<string>["'])
    |(?P<op>==|!=|>=|<=|>|<|[-+*/%()\[\],])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "/": "/", '"': '"', "'": "'", "\\": "\\"}
_CALLS = ("defined", "floor", "round", "ceil", "boolean", "number", "string")
_PROPERTY_SCOPES = ("properties", "user")


@dataclass(frozen=True)
class _Token:
    kind: str  # number, string, op, name, eof
    text: str
    value: Any
    at: int


def _read_string(text: str, start: int) -> tuple[str, int]:
    """Read the quoted string opening at ``start``; return its value and the position after it."""
    quote, pos = text[start], start + 1
    out: list[str] = []
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text):
            code = text[pos + 1]
            if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
                out.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
                continue
            if code not in _ESCAPES:
                msg = f"unknown escape \\{code} at character {pos + 1}"
                raise ExpressionError(msg)
            out.append(_ESCAPES[code])
            pos += 2
            continue
        out.append(char)
        pos += 1
    msg = f"unterminated string starting at character {start + 1}"
    raise ExpressionError(msg)


def _tokens(text: str) -> list[_Token]:
    """Split ``text`` into tokens (whitespace dropped), ending with an ``eof`` token."""
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            msg = f"unexpected character {text[pos]!r} at character {pos + 1}"
            raise ExpressionError(msg)
        kind = match.lastgroup or ""
        if kind == "string":
            value, end = _read_string(text, pos)
            out.append(_Token("string", text[pos:end], value, pos))
            pos = end
            continue
        if kind != "ws":
            raw = match.group()
            out.append(_Token(kind, raw, float(raw) if kind == "number" else raw, pos))
        pos = match.end()
    out.append(_Token("eof", "", None, len(text)))
    return out


# -- values ------------------------------------------------------------------------------------------


def _type(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object" if isinstance(value, dict) else "other"


def _equal(left: Any, right: Any) -> bool:
    return _type(left) == _type(right) and left == right


def _compare(op: str, left: Any, right: Any) -> Any:
    kinds = {_type(left), _type(right)}
    if kinds not in ({"number"}, {"string"}):
        return UNDEFINED
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]


def _contains(left: Any, right: Any) -> Any:
    if isinstance(left, str) and isinstance(right, str):
        return left in right
    if isinstance(right, list):
        return any(_equal(left, item) for item in right)
    return UNDEFINED


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if _type(left) != "number" or _type(right) != "number":
        return UNDEFINED
    if op in "/%" and right == 0:
        return UNDEFINED
    return _ARITHMETIC[op](left, right)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "%": math.fmod,
}


def _truth(value: Any, op: str) -> bool:
    """An operand of ``and``/``or``: a boolean, or undefined (false)."""
    if value is UNDEFINED:
        return False
    if isinstance(value, bool):
        return value
    msg = f"'{op}' takes booleans; got the {_type(value)} {value!r}"
    raise ExpressionError(msg)


def _not(value: Any) -> Any:
    if value is UNDEFINED:
        return True
    return (not value) if isinstance(value, bool) else UNDEFINED


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return UNDEFINED
        return number if math.isfinite(number) else UNDEFINED
    return UNDEFINED


def _to_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return value if isinstance(value, str) or value is None else UNDEFINED


def _to_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower(), UNDEFINED)
    return UNDEFINED


def _rounding(how: Callable[[float], float]) -> Callable[[Any], Any]:
    return lambda value: how(value) if _type(value) == "number" else UNDEFINED


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "defined": lambda value: value is not UNDEFINED and value is not None,
    "floor": _rounding(math.floor),
    "ceil": _rounding(math.ceil),
    "round": _rounding(lambda x: math.floor(x + 0.5)),
    "number": _to_number,
    "string": _to_string,
    "boolean": _to_boolean,
}


# -- the parser --------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens; each rule returns a node (a function of the properties)."""

    def __init__(self, text: str, scopes: tuple[str, ...]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.scopes = scopes

    @property
    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def _take(self, *texts: str) -> _Token | None:
        token = self.peek
        if token.kind in {"op", "name"} and token.text in texts:
            self.pos += 1
            return token
        return None

    def _expect(self, text: str) -> None:
        if self._take(text) is None:
            msg = f"expected '{text}'"
            raise self._error(msg)

    def _error(self, what: str) -> ExpressionError:
        token = self.peek
        found = "the end of the expression" if token.kind == "eof" else repr(token.text)
        return ExpressionError(f"{what} at character {token.at + 1}, found {found}")

    def parse(self) -> _Node:
        node = self.or_()
        if self.peek.kind != "eof":
            msg = "expected an operator or the end of the expression"
            raise self._error(msg)
        return node

    def or_(self) -> _Node:
        node = self.and_()
        while self._take("or"):
            node = _logical("or", node, self.and_())
        return node

    def and_(self) -> _Node:
        node = self.not_()
        while self._take("and"):
            node = _logical("and", node, self.not_())
        return node

    def not_(self) -> _Node:
        if self._take("not"):
            inner = self.not_()
            return lambda p: _not(inner(p))
        return self.comparison()

    def comparison(self) -> _Node:
        node = self.sum_()
        while token := self._take("==", "!=", ">", ">=", "<", "<=", "in"):
            node = _binary(token.text, node, self.sum_())
        return node

    def sum_(self) -> _Node:
        node = self.product()
        while token := self._take("+", "-"):
            node = _binary(token.text, node, self.product())
        return node

    def product(self) -> _Node:
        node = self.unary()
        while token := self._take("*", "/", "%"):
            node = _binary(token.text, node, self.unary())
        return node

    def unary(self) -> _Node:
        if self._take("-"):
            inner = self.unary()
            return lambda p: _arithmetic("-", 0, inner(p))
        return self.primary()

    def primary(self) -> _Node:
        token = self.peek
        if token.kind in {"number", "string"}:
            self.pos += 1
            return lambda _p: token.value
        if self._take("("):
            node = self.or_()
            self._expect(")")
            return node
        if self._take("["):
            return self._list()
        if token.kind == "name":
            return self._named(token)
        msg = "expected a property, a literal or '('"
        raise self._error(msg)

    def _list(self) -> _Node:
        items: list[_Node] = []
        if not self._take("]"):
            items.append(self.or_())
            while self._take(","):
                items.append(self.or_())
            self._expect("]")
        return lambda p: [item(p) for item in items]

    def _named(self, token: _Token) -> _Node:
        self.pos += 1
        if token.text in {"true", "false"}:
            return lambda _p: token.text == "true"
        if token.text in _PROPERTY_SCOPES:
            return self._property(token.text)
        if token.text in _CALLS:
            self._expect("(")
            inner, function = self.or_(), _FUNCTIONS[token.text]
            self._expect(")")
            return lambda p: function(inner(p))
        self.pos -= 1
        known = ", ".join((*_PROPERTY_SCOPES, *_CALLS, "true", "false", "and", "or", "not", "in"))
        msg = f"unknown name {token.text!r} (known: {known})"
        raise self._error(msg)

    def _property(self, scope: str) -> _Node:
        if scope not in self.scopes:
            self.pos -= 1
            msg = f"{scope}[...] is not available here; use {self.scopes[0]}[...]"
            raise self._error(msg)
        self._expect("[")
        token = self.peek
        if token.kind != "string":
            msg = "expected a property name in quotes"
            raise self._error(msg)
        self.pos += 1
        self._expect("]")
        name = str(token.value)
        return lambda p: p.get(name, UNDEFINED)


def _logical(op: str, left: _Node, right: _Node) -> _Node:
    if op == "and":
        return lambda p: _truth(left(p), op) and _truth(right(p), op)
    return lambda p: _truth(left(p), op) or _truth(right(p), op)


def _binary(op: str, left: _Node, right: _Node) -> _Node:
    if op == "==":
        return lambda p: _equal(left(p), right(p))
    if op == "!=":
        return lambda p: not _equal(left(p), right(p))
    if op == "in":
        return lambda p: _contains(left(p), right(p))
    if op in {">", ">=", "<", "<="}:
        return lambda p: _compare(op, left(p), right(p))
    return lambda p: _arithmetic(op, left(p), right(p))


def compile_where(text: str | None, *, user_properties: bool = False) -> Matcher:
    """Compile a ``where`` expression into a test of a properties dict (true when it evaluates to ``true``).

    Args:
        text: The expression; empty or None selects everything.
        user_properties: Whether ``user["x"]`` may name a property (the engage query's profiles).

    Raises:
        ExpressionError: A syntax error (raised now) or, from the matcher, ``and``/``or`` on a non-boolean.
    """
    if not text or not text.strip():
        return lambda _props: True
    scopes = ("properties", "user") if user_properties else ("properties",)
    node = _Parser(text, scopes).parse()
    return lambda props: node(props) is True
