"""Text transforms: case, whitespace, empty markers, joining, splitting, names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from core.mapping.registry import BuildContext, NoArgs, StrictArgs, TextStep, TransformFn, transform

__all__: list[str] = []


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    msg = f"expected text, got {type(value).__name__}"
    raise ValueError(msg)


@transform("strip")
def build_strip(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Remove leading and trailing whitespace.

    Examples: ``"  Bob "`` → ``"Bob"``; ``12`` → ``"12"``.
    """
    return TextStep(str.strip, lambda value, raw: _text(value).strip())


@transform("lower")
def build_lower(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Lower-case the text.

    Examples: ``"Bob@Acme.COM"`` → ``"bob@acme.com"``.
    """
    return TextStep(str.lower, lambda value, raw: _text(value).lower())


@transform("upper")
def build_upper(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Upper-case the text.

    Examples: ``"gb"`` → ``"GB"``.
    """
    return TextStep(str.upper, lambda value, raw: _text(value).upper())


@transform("title")
def build_title(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Capitalise each word.

    Examples: ``"ROBERT SMITH"`` → ``"Robert Smith"``.
    """
    return TextStep(str.title, lambda value, raw: _text(value).title())


class NullIfArgs(StrictArgs):
    """Arguments of ``nullif``."""

    values: list[str] = Field(default_factory=lambda: ["", "n/a", "na", "null", "none", "-", "unknown"])


@transform("nullif", args=NullIfArgs, shorthand="values")
def build_nullif(args: NullIfArgs, ctx: BuildContext) -> TransformFn:
    """Turn placeholder text into a missing value (compared trimmed, ignoring case).

    Defaults to ``"", "N/A", "NA", "null", "none", "-", "unknown"``.
    Examples: ``"N/A"`` → missing; ``{nullif: ["?", "TBD"]}`` turns ``"tbd"`` into missing.
    """
    markers = frozenset(v.strip().casefold() for v in args.values)

    def nullif(text: str) -> str | None:
        return None if text.strip().casefold() in markers else text

    return TextStep(nullif, lambda value, raw: value)


class JoinArgs(StrictArgs):
    """Arguments of ``join``."""

    sep: str = " "


@transform("join", args=JoinArgs, shorthand="sep", elementwise=False)
def build_join(args: JoinArgs, ctx: BuildContext) -> TransformFn:
    """Join a list into one text, skipping missing and empty items (default separator: a space).

    Examples: ``["a", null, "b"]`` → ``"a b"``; ``{join: ";"}`` gives ``"a;b"``.
    A single value is returned as text.
    """
    sep = args.sep

    def join(value: Any, raw: Mapping[str, Any]) -> Any:
        if not isinstance(value, list | tuple):
            return _text(value)
        parts = [_text(v) for v in value if v is not None and v != ""]
        return sep.join(parts) if parts else None

    return join


class SplitArgs(StrictArgs):
    """Arguments of ``split``."""

    sep: str = Field(default=",", min_length=1)


@transform("split", args=SplitArgs, shorthand="sep", elementwise=False)
def build_split(args: SplitArgs, ctx: BuildContext) -> TransformFn:
    """Split text into a list of trimmed, non-empty parts (default separator: a comma).

    Examples: ``"a, b,,c"`` → ``["a", "b", "c"]``; ``{split: ";"}`` splits on semicolons.
    """
    sep = args.sep

    def split(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, list | tuple):
            return list(value)
        return [part.strip() for part in _text(value).split(sep) if part.strip()]

    return split


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})
_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "st", "dos"})


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """Split a full name into (first, last) by simple, predictable rules.

    - ``"Last, First Middle"`` (a comma) → first ``"First Middle"``, last ``"Last"``.
    - Otherwise the last word is the last name and the rest the first name,
      except that lower-case particles before it stay with it (``"Anna van der Berg"``
      → ``"Anna"``, ``"van der Berg"``).
    - Titles (Mr, Dr...) and suffixes (Jr, III, PhD...) are dropped.
    - A single word is a first name.

    Examples:
        >>> split_full_name("Smith, Robert")
        ('Robert', 'Smith')
        >>> split_full_name("Dr Jane Q. Public Jr.")
        ('Jane Q.', 'Public')
        >>> split_full_name("Cher")
        ('Cher', None)
    """
    if "," in full:
        last, _, first = full.partition(",")
        words = _drop_titles(first.split())
        return (" ".join(words) or None, last.strip() or None)
    words = _drop_titles(full.split())
    while words and words[-1].strip(".").casefold() in _SUFFIXES:
        words.pop()
    if len(words) < 2:
        return (words[0] if words else None, None)
    start = len(words) - 1
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    return (" ".join(words[:start]), " ".join(words[start:]))


def _drop_titles(words: list[str]) -> list[str]:
    while len(words) > 1 and words[0].strip(".").casefold() in _TITLES:
        words = words[1:]
    return words


class SplitNameArgs(StrictArgs):
    """Arguments of ``split_name``."""

    part: Literal["first", "last"]


@transform("split_name", args=SplitNameArgs, shorthand="part")
def build_split_name(args: SplitNameArgs, ctx: BuildContext) -> TransformFn:
    """Take the first or the last name out of a full name.

    Rules: see ``split_full_name`` ("Smith, Robert" → Robert / Smith; particles such
    as "van der" stay with the last name; titles and suffixes dropped; one word is
    a first name). Examples: ``{split_name: first}`` on ``"Robert Smith"`` → ``"Robert"``;
    ``{split_name: last}`` on ``"Smith, Robert"`` → ``"Smith"``.
    """
    index = 0 if args.part == "first" else 1

    def split_name(value: Any, raw: Mapping[str, Any]) -> Any:
        return split_full_name(_text(value))[index]

    return split_name
