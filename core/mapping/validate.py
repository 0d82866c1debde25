"""Turning validation failures into ``Problem``s that point into the mapping file.

Every message names the key and the bad value; every hint says what would be
valid, with the nearest spelling first. The generic parts (``closest``,
``suggest``, the walk to the valid keys) live in ``core.problems``; this module
words the mapping's messages.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import Problem
from core.problems import Loc, closest, suggest, valid_keys, validation_problems
from core.yamlfile import Document

__all__ = ["Loc", "closest", "pydantic_problems", "suggest"]


def pydantic_problems(doc: Document, base: Loc, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Turn each error of ``err`` (validating ``model`` at ``base``) into a ``Problem``."""
    return validation_problems(doc, base, err, model, explain=_explain)


def _explain(item: ErrorDetails, loc: Loc, model: type[BaseModel]) -> tuple[str, str | None]:
    kind = item["type"]
    value = item.get("input")
    if kind == "extra_forbidden":
        valid = valid_keys(model, loc[:-1])
        return f"unknown key '{loc[-1]}'", suggest(str(loc[-1]), valid, noun="valid keys") if valid else None
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' here"
    if kind in {"model_type", "dict_type"}:
        return f"expected a mapping of keys, got {value!r}", "indent the keys under this one, or write 'key: value'"
    if kind == "literal_error":
        return f"{item['msg']} (got {value!r})", _one_of(item)
    message = str(item["msg"]).removeprefix("Value error, ")
    shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
    return f"{message}{shown}", f"see docs/mappings.md for what '{loc[-1] if loc else 'this'}' takes"


def _one_of(item: ErrorDetails) -> str:
    """The hint for a value outside a fixed set: the set itself, as pydantic words it."""
    expected = (item.get("ctx") or {}).get("expected")
    return f"write {expected}" if expected else "use one of the values listed"
