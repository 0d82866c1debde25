"""What a sample says about a mapping's source paths: which of them no sample record fills.

A misspelt path that is not required (``emial``) maps nothing and rejects nothing, so
the mapping "works" and every email is lost. ``mapping check --sample`` therefore looks
at every source path a stream reads, in every sample record: a path empty in all of
them is a warning naming the nearest path the sample does have (a required one, such
as ``id``, is an error). The paths are read from the YAML document itself, so this
works while the rest of the mapping still has problems and every problem is reported
in one run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Problem
from core.mapping.paths import parse_path
from core.mapping.plans import is_missing
from core.problems import closest
from core.yamlfile import Document

__all__ = ["SourceUse", "empty_paths", "sample_paths", "source_uses"]

Loc = tuple[str | int, ...]

_DEPTH = 4
"""Nested objects are listed as paths this many keys deep (``Account.Owner.Name``)."""


@dataclass(frozen=True)
class SourceUse:
    """One source path a stream reads: where it is written, its text, and whether a value is required there.

    ``alternatives`` holds the other paths of a ``from:`` list: the use is empty only when they all are.
    """

    loc: Loc
    path: str
    required: bool
    alternatives: tuple[str, ...] = ()


def source_uses(doc: Document, stream: str) -> list[SourceUse]:
    """Return every source path stream ``stream`` of a mapping document reads (its ID first).

    Values that are not where a path is expected are skipped: the mapping's own
    validation reports them.
    """
    streams = doc.data.get("streams") if isinstance(doc.data, dict) else None
    raw = streams.get(stream) if isinstance(streams, dict) else None
    if not isinstance(raw, dict):
        return []
    loc: Loc = ("streams", stream)
    found: list[SourceUse] = []
    if isinstance(raw.get("id"), str):
        found.append(SourceUse((*loc, "id"), raw["id"], required=True))
    for key in ("updated_at", "deleted"):
        found.extend(_uses((*loc, key), raw.get(key)))
    for index, item in enumerate(_list(raw.get("identifiers"))):
        found.extend(_uses((*loc, "identifiers", index), item))
    targets = raw.get("targets")
    pairs = [((*loc, "targets", i), t) for i, t in enumerate(_list(targets))] if targets is not None else [(loc, raw)]
    for where, target in pairs:
        if not isinstance(target, dict):
            continue
        fields = target.get("fields")
        for name, value in (fields if isinstance(fields, dict) else {}).items():
            found.extend(_uses((*where, "fields", name), value))
        found.extend(_uses((*where, "when"), target.get("when")))
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _uses(loc: Loc, value: Any) -> Iterator[SourceUse]:
    """The paths of one field-like value: a plain path, ``{path: ...}``, or ``{from: [...]}``.

    A ``from:`` list is one use, at its first path, since any one of its paths may be empty.
    """
    if isinstance(value, str):
        yield SourceUse(loc, value, required=False)
    elif isinstance(value, dict):
        required = value.get("required") is True
        if isinstance(value.get("path"), str):
            yield SourceUse((*loc, "path"), value["path"], required=required)
        paths = [((*loc, "from", i), item) for i, item in enumerate(_list(value.get("from")))]
        flat = [(where, _path_of(item)) for where, item in paths]
        texts = tuple(text for _, text in flat if text is not None)
        if texts:
            where = next(where for where, text in flat if text is not None)
            yield SourceUse(where, texts[0], required=required, alternatives=texts[1:])


def _path_of(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    path = item.get("path") if isinstance(item, dict) else None
    return path if isinstance(path, str) else None


def sample_paths(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the paths of the sample records' keys (nested keys dotted, blank values included), sorted."""
    found: set[str] = set()
    for row in rows:
        found.update(_walk(row, "", _DEPTH))
    return sorted(found)


def _walk(value: Any, prefix: str, depth: int) -> Iterator[str]:
    if isinstance(value, Mapping) and depth > 0:
        for key, item in value.items():
            name = str(key)
            if "." in name or '"' in name:
                name = '"' + name.replace('"', '\\"') + '"'
            yield from _walk(item, f"{prefix}.{name}" if prefix else name, depth - 1)
    elif prefix:
        yield prefix


def empty_paths(
    doc: Document, uses: Sequence[SourceUse], rows: Sequence[Mapping[str, Any]], *, sample: str, required: bool
) -> list[Problem]:
    """Return a problem for each path in ``uses`` that no sample record fills.

    With ``required``, only required paths are checked; without, only the others.
    """
    if not rows:
        return []
    present = sample_paths(rows)
    problems: list[Problem] = []
    seen: set[tuple[str, ...]] = set()
    for use in uses:
        paths = (use.path, *use.alternatives)
        if use.required != required or paths in seen:
            continue  # a path read twice (an identifier and a field) is reported once, where first read
        seen.add(paths)
        try:
            getters = [parse_path(text).get for text in (use.path, *use.alternatives)]
        except ValueError:
            continue  # a malformed path is the mapping's own problem
        if any(not is_missing(get(row)) for get in getters for row in rows):
            continue
        there = use.path in present or any(getters[0](row) is not None for row in rows)
        problems.append(doc.problem(use.loc, *_wording(use, len(rows), present, sample=sample, there=there)))
    return problems


def _wording(use: SourceUse, count: int, present: list[str], *, sample: str, there: bool) -> tuple[str, str]:
    records = f"{count} record" + ("s" if count != 1 else "")
    shown = " or ".join(repr(text) for text in (use.path, *use.alternatives))
    if there:  # the key is in the sample, with blank values only
        message = f"{shown} is empty in every sample record of {sample} ({records})"
        return message, "fine if the sample only lacks values; otherwise map the path that holds them"
    message = f"{shown} is in no sample record of {sample} ({records})"
    near = closest(use.path, present)
    if near:
        return f"{message}; the nearest path in the sample is {near[0]!r}", f"did you mean {near[0]!r}?"
    listed = ", ".join(present[:12]) + (", ..." if len(present) > 12 else "")
    return message, f"paths in the sample: {listed or 'none'}"
