"""YAML files that remember where each key is, for errors that name file:line:column.

``load(path)`` parses with ruamel.yaml's round-trip loader and returns a
``Document``; ``Document.locate(("streams", "contacts", "fields", "email"))``
gives the 1-based line and column of that key, or of its nearest parent that
exists, so a problem found by a pydantic model can be pointed at in the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from core.errors import Problem

__all__ = ["Document", "YamlSyntaxError", "load", "load_text", "plain"]


class YamlSyntaxError(Exception):
    """The file is not valid YAML; ``problem`` says where and why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its plain data and a way to find keys' positions."""

    file: str
    data: Any
    _root: Any

    def locate(self, path: Sequence[str | int]) -> tuple[int | None, int | None]:
        """Return the 1-based (line, column) of ``path``, or of its deepest existing parent."""
        node = self._root
        best: tuple[int | None, int | None] = (1, 1) if node is not None else (None, None)
        for part in path:
            pos = _position_in(node, part)
            if pos is None:
                break
            best = pos
            node = node[part]
        return best

    def problem(self, path: Sequence[str | int], message: str, hint: str | None = None) -> Problem:
        """Build a ``Problem`` pointing at ``path`` in this file."""
        line, column = self.locate(path)
        key = ".".join(str(p) for p in path)
        return Problem(self.file, line, column, key, message, hint)


def _position_in(node: Any, part: str | int) -> tuple[int, int] | None:
    if isinstance(node, CommentedMap) and part in node:
        line, col = node.lc.key(part)
        return line + 1, col + 1
    if isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
        line, col = node.lc.item(part)
        return line + 1, col + 1
    return None


def plain(node: Any) -> Any:
    """Convert ruamel's commented containers into plain dicts and lists."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def load_text(text: str, *, file: str) -> Document:
    """Parse YAML text; ``file`` is the name used in messages.

    Raises:
        YamlSyntaxError: With the line and column of the syntax error.
    """
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        root = yaml.load(text)
    except MarkedYAMLError as err:
        raise YamlSyntaxError(_syntax_problem(err, text, file)) from None
    except (ValueError, TypeError) as err:  # ruamel raises a few unmarked errors
        raise YamlSyntaxError(Problem(file, None, None, "", f"YAML error: {err}", None)) from None
    return Document(file=file, data=plain(root), _root=root)


def _syntax_problem(err: MarkedYAMLError, text: str, file: str) -> Problem:
    """Word a YAML syntax error for a person, at the line most likely at fault.

    The reader stops where the text stopped making sense, which is often a line or more after the
    mistake (a dedented key is noticed on the next line, an unclosed quote where the next quote
    closes it), so each ``_explain_*`` below looks at the text around both positions the reader
    reports and returns ``None`` when the case is not its own.
    """
    lines = text.splitlines()
    if isinstance(err, DuplicateKeyError) and err.problem_mark is not None:
        return _duplicate_key(err, lines, file)
    failure = _Failure(err, text, lines)
    for explain in _EXPLAINERS:
        wording = explain(failure)
        if wording is not None:
            message = wording.message if explain is _explain_tab else f"YAML syntax error: {wording.message}"
            return Problem(file, wording.line + 1, wording.column + 1, "", message, wording.hint)
    mark = err.problem_mark or err.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    reason = f"YAML syntax error: {err.problem or err.context}"
    if err.context and err.context_mark is not None and err.problem_mark is not None:
        what = str(err.context).removeprefix("while parsing a ").removeprefix("while scanning a ")
        reason += f" (in the {what} that starts at line {_at(err.context_mark.line, err.context_mark.column)})"
    return Problem(file, line, column, "", reason, "check indentation, colons and quotes on that line")


@dataclass(frozen=True)
class _Wording:
    """Where (0-based) a syntax error should be reported, and what to say."""

    line: int
    column: int
    message: str
    hint: str


@dataclass(frozen=True)
class _Failure:
    """A syntax error with the text it came from; marks are 0-based (line, column) or ``None``."""

    err: MarkedYAMLError
    text: str
    lines: list[str]

    @property
    def problem(self) -> str:
        return str(self.err.problem or "")

    @property
    def context(self) -> str:
        return str(self.err.context or "")

    @property
    def at(self) -> tuple[int, int] | None:
        mark = self.err.problem_mark
        return (mark.line, mark.column) if mark is not None else None

    @property
    def opened(self) -> tuple[int, int] | None:
        mark = self.err.context_mark
        return (mark.line, mark.column) if mark is not None else None

    def line(self, n: int) -> str:
        return self.lines[n] if 0 <= n < len(self.lines) else ""


def _at(line: int, column: int) -> str:
    """``45:11`` for a 0-based position."""
    return f"{line + 1}:{column + 1}"


def _explain_tab(f: _Failure) -> _Wording | None:
    if "'\\t'" not in f.problem or f.at is None:
        return None
    message = "a tab character: YAML indents with spaces, never tabs"
    return _Wording(*f.at, message, "replace the tab with spaces (two per level)")


def _explain_unclosed_quote(f: _Failure) -> _Wording | None:
    """A quote not closed on its line: the reader reads on to the next quote (or the end of the file)."""
    if f.at is None:
        return None
    spans = _multiline_quotes(f.text)
    if f.context.startswith("while scanning a quoted scalar") and f.opened is not None:
        # one stray quote pairs every later quote with the wrong partner: the first long span shows where it began
        start, end = min([f.opened, *(start for start, _ in spans)]), None
    else:
        near = [span for span in spans if f.at[0] - 1 <= span[1][0] <= f.at[0]]
        if not near:
            return None
        start, end = near[-1]
    quote = f.line(start[0])[start[1] : start[1] + 1]
    if end is None:
        message = f"the {quote} that opens here is not closed: YAML reads to the end of the file looking for its pair"
    else:
        message = (
            f"the {quote} that opens here is not closed on line {start[0] + 1}: YAML reads on to the next {quote}"
            f" (line {_at(*end)}) and fails just after it (at {_at(*f.at)})"
        )
    inside = "write an apostrophe inside '…' twice ('it''s')" if quote == "'" else 'write a " inside "…" as \\"'
    return _Wording(*start, message, f"close the quote on line {start[0] + 1}; {inside}")


def _multiline_quotes(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Start and closing quote of each quoted value that spans lines, as far as ``text`` can be scanned.

    The scanner holds a value back while it looks ahead for a ':', so those it holds are read too.
    """
    yaml = YAML(typ="rt")
    yaml.get_constructor_parser(text)
    tokens: list[Any] = []
    try:
        while yaml.scanner.check_token():
            tokens.append(yaml.scanner.get_token())
    except MarkedYAMLError:
        tokens.extend(yaml.scanner.tokens)
    return [
        ((t.start_mark.line, t.start_mark.column), (t.end_mark.line, t.end_mark.column - 1))
        for t in tokens
        if getattr(t, "style", None) in ("'", '"') and t.start_mark.line < t.end_mark.line
    ]


def _explain_text_after_quote(f: _Failure) -> _Wording | None:
    """``a: 'it's'`` or ``{path: "street"x}``: more text right after a closing quote."""
    if f.at is None or not f.problem.endswith("'<scalar>'"):
        return None
    before = f.line(f.at[0])[: f.at[1]].rstrip()
    if not before.endswith(("'", '"')):
        return None
    word = f.line(f.at[0])[f.at[1] :].split(" #", 1)[0]
    word = word[: next((i for i, c in enumerate(word) if c in " ,:}]"), len(word))]
    message = f"text right after the closing quote at column {len(before)} ({word!r}): a quoted value ends at its closing quote"
    if before.endswith("'"):
        hint = "write an apostrophe inside '…' twice ('it''s'), or put the value in double quotes"
    else:
        hint = "move the text inside the quotes, or leave the quotes out"
    return _Wording(*f.at, message, hint)


def _explain_colon_in_value(f: _Failure) -> _Wording | None:
    """``description: People: a list``: a second ``': '`` on a line reads as a second key."""
    if f.at is None or f.problem != "mapping values are not allowed here":
        return None
    text = f.line(f.at[0])
    content = _starts(text)[-1]
    key, sep, value = text[content : f.at[1]].partition(": ")
    if not sep:
        return None
    value = (value + text[f.at[1] :]).split(" #", 1)[0].strip()
    shown = value if len(value) <= 40 else value[:40].rsplit(" ", 1)[0] + " …"
    quoted = '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'
    message = f"a colon in the unquoted value of {key.strip()!r}: YAML reads ': ' as the start of another key"
    return _Wording(*f.at, message, f"put the value in quotes: {key.strip()}: {quoted}")


def _explain_flow(f: _Failure) -> _Wording | None:
    """A ``{…}`` or ``[…]`` that is not closed, or has a stray entry."""
    if f.at is None or f.opened is None or not f.context.startswith("while parsing a flow"):
        return None
    pair = "}" if "mapping" in f.context else "]"
    opener = "{" if pair == "}" else "["
    if _left_open(f):
        message = f"the {opener}…{pair} that opens at line {_at(*f.opened)} is not closed before line {f.at[0] + 1}"
        hint = f"add the closing {pair!r} on line {f.opened[0] + 1}, or check indentation, colons and quotes on line {f.at[0] + 1}"
        return _Wording(*f.at, message, hint)
    if f.problem.endswith("but got ':'"):
        message = f"a second ':' in one entry of the {opener}…{pair} that opens at line {_at(*f.opened)}"
        return _Wording(*f.at, message, "put the value that holds the ':' in quotes")
    message = (
        f"unexpected text in the {opener}…{pair} that opens at line {_at(*f.opened)}: YAML expects ',' or {pair!r} here"
    )
    return _Wording(*f.at, message, "separate entries with ', '; quote values that contain , : { } [ or ]")


def _left_open(f: _Failure) -> bool:
    """Whether the reader stopped in the first entry of a later line that does not continue the ``{…}``/``[…]``."""
    assert f.at is not None and f.opened is not None  # checked by the caller
    previous = next((f.line(n) for n in range(f.at[0] - 1, -1, -1) if _is_content(f.line(n))), "")
    continued = previous.split(" #", 1)[0].rstrip().endswith((",", "{", "["))
    return f.at[0] > f.opened[0] and not continued and "," not in f.line(f.at[0])[: f.at[1]]


def _explain_missing_colon(f: _Failure) -> _Wording | None:
    if f.opened is None or not f.problem.startswith("could not find expected ':'"):
        return None
    return _missing_colon(*f.opened, f.line(f.opened[0])[f.opened[1] :])


def _missing_colon(line: int, column: int, text: str) -> _Wording:
    """``phone_region GB``: a key without its ``:``, which YAML reads as (more of) a value."""
    words = text.split(" #", 1)[0].strip()
    key, _, value = words.partition(" ")
    message = f"{words!r} has no ':' after its key: YAML expects 'key: value' on this line"
    example = f"{key}: {value}" if value else f"{key}: …"
    return _Wording(line, column, message, f"write {example!r}, or join the line to the value above it")


def _explain_odd_character(f: _Failure) -> _Wording | None:
    """``a: @x`` or ``a: *x``: characters YAML keeps for itself at the start of a value."""
    if f.at is None:
        return None
    hint = "put the value in quotes"
    if f.problem.endswith("that cannot start any token"):
        char = f.problem.split("'")[1]
        message = f"{char!r} cannot start a value in YAML"
    elif f.problem.endswith(("found ']'", "found '}'")):
        char = f.problem[-2]
        message = f"a {char!r} with no {'[' if char == ']' else '{'!r} before it to close"
        hint = f"remove the {char!r}, or put the value in quotes"
    elif f.problem.startswith("found undefined alias"):
        name = f.problem.split("'")[1]
        message = f"'*{name}' reads as a reference to an anchor '&{name}', and there is none"
    else:
        return None
    return _Wording(*f.at, message, hint)


def _explain_indentation(f: _Failure) -> _Wording | None:
    """A key or ``-`` indented differently from its siblings, found by reading the lines above it.

    The reader notices a dedented key only on the next line, and an over-indented one as more of the
    value above it, so compare the line it stopped on with the lines before it.
    """
    if f.at is None:
        return None
    if f.problem == "mapping values are not allowed here":
        line, column = f.at[0], _starts(f.line(f.at[0]))[-1]
    elif f.problem.startswith(("expected <block end>", "expected '<document start>'")) and ", but found " in f.problem:
        line, column = f.at
    else:
        return None
    above = [n for n in range(line - 1, -1, -1) if _is_content(f.line(n))]
    if not above:
        return None
    if column > _starts(f.line(above[0]))[-1]:
        return _deeper_than_line_above(f, line, column, above)
    return _shallower_than_line_above(f, line, column, above)


def _deeper_than_line_above(f: _Failure, line: int, column: int, above: list[int]) -> _Wording:
    """The line is indented more than the one above: either it is over-indented or that one is dedented."""
    prev = above[0]
    prev_column = _starts(f.line(prev))[-1]
    if len(above) > 1 and column in _starts(f.line(above[1])):
        name = _name(f.line(prev), prev_column)
        others, block = ("items", "list") if name == "the '-'" else ("keys", "mapping")
        message = (
            f"{name} is indented less than the {others} above and below it (column {column + 1}),"
            f" so YAML ends their {block} there; then {_stops(f, line, column, at=(prev, prev_column))}"
        )
        return _Wording(
            prev, prev_column, message, f"indent {name} to column {column + 1}, like the {others} around it"
        )
    name, sibling = _name(f.line(line), column), _name(f.line(prev), prev_column)
    valued = ", which already has a value on its line" if _has_value(f.line(prev)) else ""
    message = (
        f"{name} is indented more than {sibling} on line {prev + 1} (column {prev_column + 1}){valued};"
        f" {_stops(f, line, column)}"
    )
    hint = f"indent {name} to column {prev_column + 1}, like {sibling}"
    if len(above) < 2 or _starts(f.line(above[1]))[-1] < prev_column:  # the block's first line may be the odd one
        hint += f", or {sibling} on line {prev + 1} to column {column + 1}"
    return _Wording(line, column, message, hint)


def _shallower_than_line_above(f: _Failure, line: int, column: int, above: list[int]) -> _Wording | None:
    """The line lines up with nothing above it, or with a ``-`` while not being a list item."""
    name = _name(f.line(line), column)
    outer = next((n for n in above if _starts(f.line(n))[0] <= column), None)
    if outer is None:  # the first lines are indented more than the ones that follow
        first, first_column = above[-1], _starts(f.line(above[-1]))[0]
        message = f"{_name(f.line(first), first_column)} is indented more than {name} on line {line + 1} (column {column + 1}), which lines up with nothing above it"
        return _Wording(first, first_column, message, f"indent the lines from {first + 1} to column {column + 1}")
    outer_starts = _starts(f.line(outer))
    if column in outer_starts and not _is_key(f.line(outer)[column:]) and f.line(outer)[column] != "-":
        return _missing_colon(outer, column, f.line(outer)[column:])
    if column in outer_starts:
        inner = [s for s in outer_starts if s > column]
        if f.line(outer)[column] != "-" or name.startswith("the '-'") or not inner:
            return None
        message = f"{name} lines up with the '-' on line {outer + 1} (column {column + 1}) but does not start a new item with '- '"
        key = name.split("'")[1]
        hint = f"indent {name} to column {inner[0] + 1} to keep it in the item on line {outer + 1}, or write '- {key}: …' to start a new item"
        return _Wording(line, column, message, hint)
    return _between_levels(f, line, column, [n for n in above if n > outer], outer)


def _between_levels(f: _Failure, line: int, column: int, between: list[int], outer: int) -> _Wording:
    """The line is indented less than the block above it but more than that block's parent ``outer``.

    ``between`` are the content lines from ``outer`` down to the line, nearest first.
    """
    name = _name(f.line(line), column)
    outer_starts = _starts(f.line(outer))
    parent = max(s for s in outer_starts if s < column)
    level = [(_starts(f.line(n))[0], n) for n in reversed(between)] + [(s, outer) for s in outer_starts if s > column]
    sibling, near = min(level, key=lambda start: (start[0], -start[1]))  # the block's shallowest, nearest line
    more = f"{_name(f.line(outer), parent)} on line {outer + 1} (column {parent + 1})"
    less = f"{_name(f.line(near), sibling)} on line {near + 1} (column {sibling + 1})"
    dash, dash_more, dash_less = (words.startswith("the '-'") for words in (name, more, less))
    if dash == dash_more != dash_less:  # a '-' between an item's key and the '-' it belongs with
        words, target = f"indented more than {more}", parent
    elif dash == dash_less != dash_more:
        words, target = f"indented less than {less}", sibling
    else:
        words, target = f"indented less than {less} but more than {more}, so it lines up with neither", sibling
    hint = f"indent {name} to column {target + 1}"
    if (
        target == sibling and [c for c, _ in level].count(sibling) == 1
    ):  # one line sets the level: it may be the odd one
        hint += f", or {_name(f.line(near), sibling)} on line {near + 1} to column {column + 1}"
    return _Wording(line, column, f"{name} is {words}; {_stops(f, line, column)}", hint)


def _stops(f: _Failure, line: int, column: int, *, at: tuple[int, int] | None = None) -> str:
    """How the reader came to a stop: ``the mapping that starts at line 29 ends unexpectedly at 45:11``.

    ``at`` is where the problem is reported; when the reader stopped there too, this says "here".
    """
    if f.opened is not None and f.context.startswith("while parsing a block"):
        what = "list" if "collection" in f.context else "mapping"
        where = "here" if at in (None, (line, column)) else f"at {_at(line, column)}"
        return f"the {what} that starts at line {f.opened[0] + 1} ends unexpectedly {where}"
    return f"YAML reads line {line + 1} as more of the value above it"


def _starts(text: str) -> list[int]:
    """Columns where something starts on a line: each leading ``-`` of a list item, then the content."""
    column = len(text) - len(text.lstrip(" "))
    starts = [column]
    while text[column : column + 2] in ("- ", "-"):
        column += 1
        column += len(text[column:]) - len(text[column:].lstrip(" "))
        if column < len(text):
            starts.append(column)
    return starts


def _name(text: str, column: int) -> str:
    """``the '-'``, ``'city'`` (the key at ``column``) or the start of the text there, for messages."""
    rest = text[column:]
    if rest[:2] in ("- ", "-"):
        return "the '-'"
    key, sep, _ = rest.partition(":")
    return repr(key.strip().strip("\"'")) if sep else repr(rest.split(" #", 1)[0].strip()[:30])


def _is_key(text: str) -> bool:
    """Whether ``text`` (from a key's column) reads as ``key:`` or ``key: value``."""
    key, sep, rest = text.split(" #", 1)[0].partition(":")
    return bool(sep and key.strip()) and (not rest or rest.startswith(" "))


def _has_value(text: str) -> bool:
    _, sep, value = text.partition(": ")
    return bool(sep) and not value.strip().startswith("#") and bool(value.strip())


def _is_content(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


_EXPLAINERS = (
    _explain_tab,
    _explain_unclosed_quote,
    _explain_text_after_quote,
    _explain_colon_in_value,
    _explain_flow,
    _explain_missing_colon,
    _explain_indentation,
    _explain_odd_character,
)


def _duplicate_key(err: MarkedYAMLError, lines: list[str], file: str) -> Problem:
    """``contactpoint.yaml:7:1: key 'store' appears twice in the same mapping (first at line 2)``.

    The key is read off the file's own text at the error's position (ruamel words it as Python values).
    """
    mark = err.problem_mark
    assert mark is not None  # checked by the caller
    text = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
    key = text.split(":", 1)[0].strip().strip("\"'") or "?"
    start = err.context_mark.line if err.context_mark is not None else 0
    first = next(
        (n + 1 for n in range(start, mark.line) if lines[n][mark.column :].split(":", 1)[0].strip().strip("\"'") == key
         and not lines[n][: mark.column].strip(" -")),
        None,
    )  # fmt: skip
    earlier = f" (first at line {first})" if first else ""
    message = f"key {key!r} appears twice in the same mapping{earlier}"
    return Problem(file, mark.line + 1, mark.column + 1, "", message, "keep one of them (merge their values)")


def load(path: Path | str) -> Document:
    """Read and parse a YAML file.

    Raises:
        YamlSyntaxError: When the file is not valid YAML.
        OSError: When the file cannot be read.
    """
    p = Path(path)
    return load_text(p.read_text(encoding="utf-8"), file=str(path))
