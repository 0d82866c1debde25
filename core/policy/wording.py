"""Words for problems found in a policy file: pydantic's errors said the way a person can act on.

Every message names the key and the bad value; every hint says what is valid, with
the nearest spelling first, or where the format is described (docs/policies.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from core.errors import Problem
from core.problems import Loc, suggest, valid_keys, validation_problems
from core.yamlfile import Document

__all__ = ["DOCS", "pydantic_problems"]

DOCS = "docs/policies.md"


def pydantic_problems(doc: Document, base: Loc, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Turn each error of ``err`` (validating ``model`` at ``base`` in ``doc``) into a ``Problem``."""
    return validation_problems(doc, base, err, model, explain=_explain)


def _explain(item: ErrorDetails, loc: Loc, model: type[BaseModel]) -> tuple[str, str | None]:
    kind = item["type"]
    value = item.get("input")
    if kind == "extra_forbidden":
        valid = valid_keys(model, loc[:-1])
        hint = suggest(str(loc[-1]), valid, noun="valid keys") if valid else f"see {DOCS}"
        return f"unknown key '{loc[-1]}'", hint
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", f"add '{loc[-1]}:' here (see {DOCS})"
    if kind in {"model_type", "dict_type"}:
        return f"expected a mapping of keys, got {value!r}", "indent the keys under this one, or write 'key: value'"
    if kind in {"literal_error", "enum"}:
        return f"{item['msg']} (got {value!r})", _one_of(item)
    message = str(item["msg"]).removeprefix("Value error, ")
    shown = "" if isinstance(value, dict | list) or value is None or repr(value) in message else f" (got {value!r})"
    key = next((str(part) for part in reversed(loc) if isinstance(part, str)), "this")
    return f"{message}{shown}", f"see '{key}' in {DOCS}"


def _one_of(item: ErrorDetails) -> str:
    """The hint for a value outside a fixed set: the set itself, as pydantic words it."""
    expected = (item.get("ctx") or {}).get("expected")
    return f"write {expected}" if expected else "use one of the values listed"
