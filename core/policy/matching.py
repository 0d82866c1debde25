"""``match:`` blocks: which interactions a rule counts, compiled once into predicates.

A block is a mapping of conditions, all of which must hold::

    match:
      kind: ticket                         # an interaction kind, or a list of them
      priority: [urgent, high]             # any of these globs
      path: {regex: '^/docs/(api|sdk)'}    # a regular expression
      status: {not: [solved, closed]}      # none of these
      tags: complaint                      # a list field matches when any element does
      properties.campaign: "Getting started*"
      open: true                           # the ticket is open (defaults.open)
      any: [{...}, {...}]                  # at least one of these blocks
      all: [{...}, {...}]                  # every one of these blocks
      not: {...}                           # this block does not hold

A plain value is a glob (``*`` any text, ``/`` included; ``?`` one character;
``[abc]`` one of), matched against the whole value, ignoring case. ``{regex: ...}``
is a Python regular expression, found anywhere in the value (anchor it with ``^``
and ``$``), ignoring case. Every pattern is compiled when the file loads; a bad one
is a problem with its file:line. A missing value matches nothing (so ``{not: ...}``
of a missing value holds).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.canonical import InteractionKind
from core.errors import Problem
from core.policy.view import FIELD_NAMES, InteractionView, Reader, field_reader, texts
from core.problems import Loc, suggest
from core.yamlfile import Document

__all__ = ["MATCH_KEYS", "MatchCompiler", "Matcher", "Pattern", "compile_pattern"]

_TIME_FIELDS = ("occurred_at", "updated_at", "solved_at")
_COMBINATORS = ("any", "all", "not", "open")
MATCH_KEYS = tuple(name for name in FIELD_NAMES if name not in _TIME_FIELDS) + _COMBINATORS
"""The keys a match block may use, besides ``properties.<path>``."""
_KINDS = [kind.value for kind in InteractionKind]
_DOCS = "see 'match:' in docs/policies.md"


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled glob or regular expression, matched ignoring case.

    Attributes:
        text: As written (a regex as ``/.../``).
        literal: The case-folded text when the glob has no wildcard (compared directly).
        regex: The compiled expression otherwise.
        whole: The expression must match the whole value (a glob), not just somewhere in it.
    """

    text: str
    literal: str | None
    regex: re.Pattern[str] | None
    whole: bool = True

    def matches(self, value: str) -> bool:
        """Return whether ``value`` matches."""
        if self.literal is not None:
            return value.casefold() == self.literal
        assert self.regex is not None  # one of the two is set by compile_pattern
        found = self.regex.fullmatch(value) if self.whole else self.regex.search(value)
        return found is not None


def compile_pattern(text: str, *, regex: bool = False) -> Pattern:
    """Compile a glob (or, with ``regex=True``, a regular expression) ignoring case.

    Raises:
        re.error: The regular expression is malformed.

    Examples:
        >>> compile_pattern("/enterprise/*").matches("/Enterprise/security/sso")
        True
        >>> compile_pattern("^/docs/api", regex=True).matches("/docs/api/v2")
        True
    """
    if regex:
        return Pattern(f"/{text}/", None, re.compile(text, re.IGNORECASE), whole=False)
    if not any(ch in text for ch in "*?["):
        return Pattern(text, text.casefold(), None)
    return Pattern(text, None, re.compile(fnmatch.translate(text), re.IGNORECASE))


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled match block.

    Attributes:
        test: Returns whether an interaction matches.
        kinds: The interaction kinds it can match, or ``None`` when any; the engine
            offers it only interactions of these kinds.
        text: How it reads in explanations (``kind=ticket priority=urgent|high``).
        unkinded: The same test without its ``kind:`` condition, for interactions
            already known to be of one of ``kinds`` (``None``: use ``test``).
    """

    test: Callable[[InteractionView], bool]
    kinds: frozenset[str] | None
    text: str
    unkinded: Callable[[InteractionView], bool] | None = None

    @property
    def given_kind(self) -> Callable[[InteractionView], bool]:
        """The test to run on an interaction whose kind is already one of ``kinds``."""
        return self.unkinded or self.test

    def __call__(self, view: InteractionView) -> bool:
        """Return whether ``view`` matches."""
        return self.test(view)


def _all_of(tests: Sequence[Callable[[InteractionView], bool]]) -> Callable[[InteractionView], bool]:
    # closures for the common sizes: measurably faster than all() over a generator, per interaction
    if not tests:
        return lambda _view: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda view: first(view) and second(view)
    if len(tests) == 3:
        first, second, third = tests
        return lambda view: first(view) and second(view) and third(view)
    return lambda view: all(test(view) for test in tests)


def _hit(patterns: tuple[Pattern, ...]) -> Callable[[str], bool]:
    """One test for a list of patterns: literals by set membership, globs as one alternation."""
    literals = frozenset(p.literal for p in patterns if p.literal is not None)
    globs = [p.regex.pattern for p in patterns if p.regex is not None and p.whole]
    joined = re.compile("|".join(f"(?:{g})" for g in globs), re.IGNORECASE).fullmatch if globs else None
    found = tuple(p.regex.search for p in patterns if p.regex is not None and not p.whole)
    if not globs and not found:
        return lambda text: text.casefold() in literals
    if not literals and not found and joined is not None:
        return lambda text: joined(text) is not None

    def hit(text: str) -> bool:
        if text.casefold() in literals or (joined is not None and joined(text) is not None):
            return True
        return any(search(text) is not None for search in found)

    return hit


def _field_test(reader: Reader, patterns: tuple[Pattern, ...], *, negate: bool) -> Callable[[InteractionView], bool]:
    hit = _hit(patterns)

    def test(view: InteractionView) -> bool:
        value = reader(view)
        if isinstance(value, str):  # the common case: one text
            return hit(value) is not negate
        for text in texts(value):
            if hit(text):
                return not negate
        return negate

    return test


class MatchCompiler:
    """Compiles match blocks, collecting every problem with its file:line.

    Args:
        derived: Readers of the derived fields (from the file's ``fields:``).
    """

    def __init__(self, derived: Mapping[str, Reader]) -> None:
        self.derived = dict(derived)
        self.problems: list[Problem] = []
        self.open: Matcher | None = None

    def compile(self, doc: Document, loc: Loc, raw: Any) -> Matcher | None:
        """Compile the block ``raw`` found at ``loc``; ``None`` (with problems recorded) when it is wrong."""
        if not isinstance(raw, Mapping):
            self._problem(doc, loc, f"a match block is a mapping of conditions, got {raw!r}",
                          "write e.g. {kind: ticket, priority: [urgent, high]}")  # fmt: skip
            return None
        tests: list[Callable[[InteractionView], bool]] = []
        rest: list[Callable[[InteractionView], bool]] = []
        kinds: frozenset[str] | None = None
        failed = False
        for key, value in raw.items():
            part = self._condition(doc, (*loc, key), str(key), value)
            if part is None:
                failed = True
                continue
            tests.append(part.test)
            if key != "kind":
                rest.append(part.test)
            if part.kinds is not None:
                kinds = part.kinds if kinds is None else kinds & part.kinds
        if failed:
            return None
        return Matcher(_all_of(tests), kinds, describe(raw), _all_of(rest))

    def _condition(self, doc: Document, loc: Loc, key: str, value: Any) -> Matcher | None:
        if key in ("any", "all"):
            return self._combined(doc, loc, key, value)
        if key == "not":
            inner = self.compile(doc, loc, value)
            return None if inner is None else Matcher(lambda v: not inner.test(v), None, f"not({inner.text})")
        if key == "open":
            return self._open(doc, loc, value)
        if key == "kind":
            return self._kind(doc, loc, value)
        if key in _TIME_FIELDS:
            self._problem(doc, loc, f"'{key}' is a time and cannot be matched by a pattern",
                                 "use 'within: 30d' on the rule to count only recent interactions")  # fmt: skip
            return None
        try:
            reader = field_reader(key, self.derived)
        except ValueError as err:
            hint = suggest(key, MATCH_KEYS, noun="keys") + ", or properties.<path>"
            self._problem(doc, loc, str(err) if key.startswith("properties.") else f"unknown key '{key}'", hint)
            return None
        found = self._patterns(doc, loc, value)
        if found is None:
            return None
        patterns, negate = found
        return Matcher(_field_test(reader, patterns, negate=negate), None, key)

    def _combined(self, doc: Document, loc: Loc, key: str, value: Any) -> Matcher | None:
        if not isinstance(value, list) or not value:
            self._problem(doc, loc, f"'{key}' takes a list of match blocks, got {value!r}",
                                 f"write {key}: [{{kind: ticket, tags: complaint}}, {{kind: ticket, type: complaint}}]")  # fmt: skip
            return None
        parts = [self.compile(doc, (*loc, i), item) for i, item in enumerate(value)]
        if any(part is None for part in parts):
            return None
        tests = tuple(part.test for part in parts if part is not None)
        kinds = [part.kinds for part in parts if part is not None]
        if key == "all":
            return Matcher(_all_of(tests), None, "")
        joined = None if any(k is None for k in kinds) else frozenset().union(*[k for k in kinds if k is not None])
        return Matcher(lambda v: any(test(v) for test in tests), joined, "")

    def _open(self, doc: Document, loc: Loc, value: Any) -> Matcher | None:
        if not isinstance(value, bool):
            self._problem(doc, loc, f"'open' is true or false, got {value!r}",
                                 "write open: true for tickets still open (as defaults.open says)")  # fmt: skip
            return None
        if self.open is None:
            self._problem(doc, loc, "'open' cannot be used inside defaults.open itself",
                                 "describe open tickets by their fields there, e.g. {status: [new, open]}")  # fmt: skip
            return None
        is_open = self.open.test
        return Matcher(is_open if value else (lambda v: not is_open(v)), None, "")

    def _kind(self, doc: Document, loc: Loc, value: Any) -> Matcher | None:
        names = value if isinstance(value, list) else [value]
        bad = [name for name in names if name not in _KINDS]
        if bad or not names:
            shown = bad[0] if bad else value
            self._problem(doc, loc, f"unknown interaction kind {shown!r}", suggest(str(shown), _KINDS, noun="kinds"))
            return None
        kinds = frozenset(names)
        return Matcher(lambda v: v.kind in kinds, kinds, "")

    def _patterns(self, doc: Document, loc: Loc, value: Any) -> tuple[tuple[Pattern, ...], bool] | None:
        negate = isinstance(value, Mapping) and set(value) == {"not"}
        items = value["not"] if negate else value
        items = items if isinstance(items, list) else [items]
        if not items:
            self._problem(doc, loc, "an empty list matches nothing", "give at least one value, e.g. [urgent, high]")
            return None
        patterns = [self._pattern(doc, (*loc, "not") if negate else loc, item) for item in items]
        if any(p is None for p in patterns):
            return None
        return tuple(p for p in patterns if p is not None), negate

    def _pattern(self, doc: Document, loc: Loc, item: Any) -> Pattern | None:
        if isinstance(item, bool):
            return compile_pattern("true" if item else "false")
        if isinstance(item, str | int | float):
            return compile_pattern(str(item))
        if isinstance(item, Mapping) and len(item) == 1 and next(iter(item)) in ("glob", "regex"):
            kind, text = next(iter(item.items()))
            if not isinstance(text, str) or not text:
                self._problem(doc, (*loc, kind), f"a {kind} is a non-empty text, got {text!r}", _DOCS)
                return None
            try:
                return compile_pattern(text, regex=kind == "regex")
            except re.error as err:
                self._problem(doc, (*loc, kind), f"bad regular expression {text!r}: {err}",
                                     "fix it (Python 're' syntax), or write a glob such as '/docs/api*'")  # fmt: skip
                return None
        self._problem(doc, loc, f"a value to match is a text, a number, {{glob: ...}}, {{regex: ...}} "
                             f"or {{not: [...]}}, got {item!r}", _DOCS)  # fmt: skip
        return None

    def _problem(self, doc: Document, loc: Loc, message: str, hint: str) -> None:
        self.problems.append(doc.problem(loc, message, hint))


def describe(raw: Any) -> str:
    """Render a match block compactly for explanations: ``kind=ticket priority=urgent|high``."""
    if isinstance(raw, Mapping):
        if set(raw) == {"regex"}:
            return f"/{raw['regex']}/"
        if set(raw) == {"glob"}:
            return str(raw["glob"])
        if set(raw) == {"not"} and not isinstance(raw["not"], Mapping):
            return f"not {describe(raw['not'])}"
        return " ".join(_describe_item(str(k), v) for k, v in raw.items())
    if isinstance(raw, list):
        return "|".join(describe(item) for item in raw)
    return str(raw).lower() if isinstance(raw, bool) else str(raw)


def _describe_item(key: str, value: Any) -> str:
    if key in ("any", "all") and isinstance(value, list):
        return f"{key}({'; '.join(describe(item) for item in value)})"
    if key == "not" and isinstance(value, Mapping):
        return f"not({describe(value)})"
    return f"{key}={describe(value)}"
