r"""Source paths: where a value sits inside a raw record, compiled once into a getter.

Grammar (a subset of JMESPath's, so the syntax is familiar)::

    path     := segment ("." segment)*
    segment  := (name | '"' quoted '"') index*
    index    := "[" integer "]" | "[*]"

Examples: ``Email``, ``Account.Name``, ``emails[0].value``, ``emails[-1]``,
``identities[*].value`` (a list: one value per element), ``"e.mail"`` (a key that
contains a dot; ``\\"`` escapes a quote inside). A name may contain spaces
(``First Name``), as CSV headers do.

A missing key, an index out of range or a step into the wrong kind of value
gives ``None``, never an exception: whether a missing value is acceptable is the
field's business (``required: true``). A path with ``[*]`` always gives a list
(empty when nothing matched); nested wildcards give one flat list.

Why not a JSON-path library: a getter here is a chain of closures costing
about 0.15 µs per nested lookup, against 1.5-3.5 µs for a compiled JMESPath
expression; a mapping evaluates some 20 paths per record, on every record of
every sync, so the difference is seconds per 100,000 records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Getter", "SourcePath", "parse_path"]

Getter = Callable[[Any], Any]
"""Takes a record (or any value) and returns the value at the path, or ``None``."""

_NAME = re.compile(r'[^."\[\]]+')
_INDEX = re.compile(r"\[(\*|-?\d+)\]")


@dataclass(frozen=True)
class SourcePath:
    """A parsed, compiled source path.

    Attributes:
        text: The path as written in the mapping.
        steps: Parsed steps: ``("key", name)``, ``("index", n)`` or ``("each", None)``.
        get: The compiled getter.
        multi: The path has a wildcard and always returns a list.
    """

    text: str
    steps: tuple[tuple[str, Any], ...]
    get: Getter
    multi: bool


def parse_path(text: str) -> SourcePath:
    """Parse and compile a source path.

    Args:
        text: The path, e.g. ``Account.Name`` or ``identities[*].value``.

    Returns:
        The compiled path.

    Raises:
        ValueError: When the path is empty or malformed; the message says where.

    Examples:
        >>> parse_path("Account.Name").get({"Account": {"Name": "Acme"}})
        'Acme'
        >>> parse_path("ids[*].v").get({"ids": [{"v": 1}, {"v": 2}, {}]})
        [1, 2]
    """
    steps = _tokenise(text)
    multi = any(kind == "each" for kind, _ in steps)
    getter = _always_list(_compile(steps)) if multi else _compile(steps)
    return SourcePath(text=text, steps=tuple(steps), get=getter, multi=multi)


def _tokenise(text: str) -> list[tuple[str, Any]]:
    if not text or not text.strip():
        msg = "empty path"
        raise ValueError(msg)
    steps: list[tuple[str, Any]] = []
    pos = 0
    while True:
        pos = _read_segment(text, pos, steps)
        pos = _read_indexes(text, pos, steps)
        if pos == len(text):
            return steps
        if text[pos] != ".":
            msg = f"unexpected {text[pos]!r} at character {pos + 1} of path {text!r}"
            raise ValueError(msg)
        pos += 1


def _read_segment(text: str, pos: int, steps: list[tuple[str, Any]]) -> int:
    if pos < len(text) and text[pos] == '"':
        end = pos + 1
        chars: list[str] = []
        while end < len(text) and text[end] != '"':
            if text[end] == "\\" and end + 1 < len(text):
                end += 1
            chars.append(text[end])
            end += 1
        if end >= len(text):
            msg = f"unclosed quote at character {pos + 1} of path {text!r}"
            raise ValueError(msg)
        steps.append(("key", "".join(chars)))
        return end + 1
    match = _NAME.match(text, pos)
    if match is None or not match.group().strip():
        msg = f"expected a key name at character {pos + 1} of path {text!r}"
        raise ValueError(msg)
    steps.append(("key", match.group().strip()))
    return match.end()


def _read_indexes(text: str, pos: int, steps: list[tuple[str, Any]]) -> int:
    while pos < len(text) and text[pos] == "[":
        match = _INDEX.match(text, pos)
        if match is None:
            msg = f"bad index at character {pos + 1} of path {text!r}; use [0], [-1] or [*]"
            raise ValueError(msg)
        token = match.group(1)
        steps.append(("each", None) if token == "*" else ("index", int(token)))
        pos = match.end()
    return pos


def _compile(steps: list[tuple[str, Any]]) -> Getter:
    """Build the getter from the last step backwards, so each closure knows its successor."""
    getter: Getter | None = None
    flatten = False
    for kind, arg in reversed(steps):
        if kind == "key":
            getter = _key_step(arg, getter)
        elif kind == "index":
            getter = _index_step(arg, getter)
        else:
            getter = _each_step(getter, flatten=flatten)
            flatten = True
    assert getter is not None  # _tokenise never returns no steps
    return getter


def _always_list(inner: Getter) -> Getter:
    def getter(value: Any) -> Any:
        found = inner(value)
        return [] if found is None else found

    return getter


def _key_step(key: str, then: Getter | None) -> Getter:
    if then is None:

        def last(value: Any) -> Any:
            try:
                return value.get(key)
            except AttributeError:  # not a mapping: a string, a number, a list
                return None

        return last

    def step(value: Any) -> Any:
        try:
            found = value.get(key)
        except AttributeError:
            return None
        return None if found is None else then(found)

    return step


def _index_step(index: int, then: Getter | None) -> Getter:
    def step(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return None
        try:
            found = value[index]
        except IndexError:
            return None
        if then is None or found is None:
            return found
        return then(found)

    return step


def _each_step(then: Getter | None, *, flatten: bool) -> Getter:
    def step(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return []
        out: list[Any] = []
        for item in value:
            found = item if then is None or item is None else then(item)
            if found is None:
                continue
            if flatten:
                out.extend(found)
            else:
                out.append(found)
        return out

    return step
