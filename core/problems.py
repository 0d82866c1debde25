"""Turning pydantic validation failures into ``Problem``s that point into a YAML file.

Shared by the project file (``core.config``) and the mappings (``core.mapping``);
each words its messages with its own ``Explain`` function, and both name the
keys that are valid where an unknown one was written, nearest spelling first
(``difflib.get_close_matches``).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import Problem
from core.logs import MASK, names_a_secret
from core.yamlfile import Document

__all__ = ["Explain", "Loc", "closest", "suggest", "valid_keys", "validation_problems"]

Loc = tuple[str | int, ...]
"""A key path inside a YAML file, e.g. ``("streams", "Contact", "fields", "email")``."""

Explain = Callable[[ErrorDetails, Loc, type[BaseModel]], tuple[str, str | None]]
"""Words one pydantic error (its location relative to the model) as ``(message, hint)``."""


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


def validation_problems(
    doc: Document, base: Loc, err: ValidationError, model: type[BaseModel], *, explain: Explain
) -> list[Problem]:
    """Turn each error of ``err`` (validating ``model`` at ``base`` in ``doc``) into a ``Problem``.

    ``explain`` is called once per error, in the order pydantic reports them; an error under a
    secret-looking key (``password``, ``api_token``...) is given ``***`` as its input.
    """
    problems: list[Problem] = []
    for item in err.errors(include_url=False):
        loc: Loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        if names_a_secret(loc):
            item = {**item, "input": MASK}  # a secret of the wrong type is named, never shown
        message, hint = explain(item, loc, model)
        problems.append(doc.problem(base + loc, message, hint))
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the tried type's name to the location of a union member ("function-before[...]")
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "dict"})


def valid_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Return the keys ``model`` accepts inside the mapping at ``loc``, or [] when it cannot tell.

    Examples:
        ``valid_keys(Project, ("schedules", 0))`` lists the keys of one schedule.
    """
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
