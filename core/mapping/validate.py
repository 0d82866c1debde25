"""Turning validation failures into ``Problem``s that point into the mapping file.

Every message names the key and the bad value; every hint says what would be
valid, with the nearest spelling first (``difflib.get_close_matches``).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from core.errors import Problem
from core.yamlfile import Document

__all__ = ["Loc", "closest", "pydantic_problems", "suggest"]

Loc = tuple[str | int, ...]
"""A key path inside the mapping file, e.g. ``("streams", "Contact", "fields", "email")``."""


def closest(name: str, choices: Iterable[str]) -> list[str]:
    """Return up to three valid names that look like ``name``, best first."""
    return difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)


def suggest(name: str, choices: Iterable[str], *, noun: str = "known") -> str:
    """Build a hint: ``did you mean 'x'? known: a, b, c``.

    Examples:
        >>> suggest("lowercse", ["lower", "upper", "strip"])
        "did you mean 'lower'? known: lower, strip, upper"
    """
    options = sorted(set(choices))
    near = closest(name, options)
    listed = ", ".join(options)
    return f"did you mean '{near[0]}'? {noun}: {listed}" if near else f"{noun}: {listed}"


def pydantic_problems(doc: Document, base: Loc, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Turn each error of ``err`` (validating ``model`` at ``base``) into a ``Problem``."""
    problems: list[Problem] = []
    for item in err.errors(include_url=False):
        loc: Loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        message, hint = _explain(item, loc, model)
        problems.append(doc.problem(base + loc, message, hint))
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the tried type's name to the location of a union member ("function-before[...]")
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "dict"})


def _explain(item: Any, loc: Loc, model: type[BaseModel]) -> tuple[str, str | None]:
    kind = item["type"]
    value = item.get("input")
    if kind == "extra_forbidden":
        valid = _valid_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'", suggest(str(loc[-1]), valid, noun="valid keys") if valid else None
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' here"
    if kind in {"model_type", "dict_type"}:
        return f"expected a mapping of keys, got {value!r}", "indent the keys under this one, or write 'key: value'"
    if kind == "literal_error":
        return f"{item['msg']} (got {value!r})", "use one of the values listed"
    message = str(item["msg"]).removeprefix("Value error, ")
    shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
    return f"{message}{shown}", f"see docs/mappings.md for what '{loc[-1] if loc else 'this'}' takes"


def _valid_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Return the keys the model accepts at ``loc``, or [] when it cannot tell."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = _field(annotation, str(part))
            if field is None:
                return []
            annotation = field
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [info.alias or name for name, info in annotation.model_fields.items()]
    return []


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            arms = [a for a in get_args(annotation) if a is not type(None)]
            structured = [a for a in arms if get_origin(a) in (list, dict, Annotated) or isinstance(a, type)]
            annotation = next((a for a in structured if a is not str), arms[0])
        else:
            return annotation
