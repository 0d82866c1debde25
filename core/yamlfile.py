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
    """Word a YAML syntax error for a person: a repeated key and a tab get their own words."""
    mark = err.problem_mark or err.context_mark
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    if isinstance(err, DuplicateKeyError) and err.problem_mark is not None:
        return _duplicate_key(err, text.splitlines(), file)
    if "'\\t'" in str(err.problem):
        message = "a tab character: YAML indents with spaces, never tabs"
        return Problem(file, line, column, "", message, "replace the tab with spaces (two per level)")
    reason = " ".join(str(part) for part in (err.context, err.problem) if part)
    return Problem(
        file, line, column, "", f"YAML syntax error: {reason}", "check indentation, colons and quotes on that line"
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
