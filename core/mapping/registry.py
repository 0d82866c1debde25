"""The transform registry: named value functions a mapping may chain.

A transform is declared once with :func:`transform`, which records its name, a
pydantic model of its arguments (validated when the mapping loads) and a
*builder*: a function that takes the validated arguments and returns the
function applied to each value. So arguments are read, checked and
pre-computed once per mapping, never per record.

The built function takes ``(value, raw)``, where ``raw`` is the whole source
record (only ``coalesce`` and ``template`` read it) and returns the new value.
It raises ``ValueError`` with a short reason when the value cannot be
transformed; the engine turns that into a rejected record naming the field,
the transform and the value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "TRANSFORMS",
    "BuildContext",
    "NoArgs",
    "StrictArgs",
    "TextStep",
    "TransformDef",
    "TransformFn",
    "transform",
]

TransformFn = Callable[[Any, Mapping[str, Any]], Any]
"""A built transform: ``(value, raw_record) -> new value``; raises ``ValueError``."""


class StrictArgs(BaseModel):
    """Base of every transform's argument model: unknown arguments are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoArgs(StrictArgs):
    """Arguments of a transform that takes none."""


@dataclass(frozen=True)
class BuildContext:
    """Mapping-wide settings a builder may need.

    Attributes:
        phone_region: ``defaults.phone_region`` (ISO 3166 code) or ``None``.
        timezone: ``defaults.timezone`` (IANA name), for naive datetimes.
    """

    phone_region: str | None = None
    timezone: str = "UTC"


class TextStep:
    """A transform that, given text, needs neither the record nor a check: ``strip``, ``lower``, ``nullif``...

    Called as any transform (``(value, raw)``); ``on_text`` is what it does to a ``str``, so a
    chain runs a row of such steps as plain calls, without the per-step wrapping.
    """

    __slots__ = ("on_text", "other")

    def __init__(self, on_text: Callable[[str], Any], other: TransformFn) -> None:
        self.on_text = on_text
        self.other = other
        """What it does to a value that is not text (a number, a list)."""

    def __call__(self, value: Any, raw: Mapping[str, Any]) -> Any:
        """Apply the transform to any value."""
        return self.on_text(value) if value.__class__ is str else self.other(value, raw)


Builder = Callable[[Any, BuildContext], TransformFn]


@dataclass(frozen=True)
class TransformDef:
    """One registered transform.

    Attributes:
        name: The name used in mappings.
        args: The pydantic model of its arguments.
        build: Builds the per-value function from validated arguments.
        doc: The builder's docstring (what it does, with examples).
        shorthand: The argument a scalar fills, e.g. ``{e164: GB}`` sets ``region``.
        reads_record: Reads other paths of the record (not allowed in write-back).
        on_none: Called even when the value is missing (``constant``, ``coalesce``...).
        elementwise: Applied to each element when the value is a list.
    """

    name: str
    args: type[StrictArgs]
    build: Builder
    doc: str
    shorthand: str | None = None
    reads_record: bool = False
    on_none: bool = False
    elementwise: bool = True


TRANSFORMS: dict[str, TransformDef] = {}
"""Every registered transform, by name."""


def transform(
    name: str,
    *,
    args: type[StrictArgs] = NoArgs,
    shorthand: str | None = None,
    reads_record: bool = False,
    on_none: bool = False,
    elementwise: bool = True,
) -> Callable[[Builder], Builder]:
    """Register a builder under ``name``; use as a decorator.

    Raises:
        ValueError: When ``name`` is already registered or ``shorthand`` is not an argument.
    """

    def register(builder: Builder) -> Builder:
        if name in TRANSFORMS:
            msg = f"transform {name!r} is registered twice"
            raise ValueError(msg)
        if shorthand is not None and shorthand not in args.model_fields:
            msg = f"transform {name!r}: shorthand {shorthand!r} is not one of its arguments"
            raise ValueError(msg)
        TRANSFORMS[name] = TransformDef(
            name=name,
            args=args,
            build=builder,
            doc=inspect.getdoc(builder) or "",
            shorthand=shorthand,
            reads_record=reads_record,
            on_none=on_none,
            elementwise=elementwise,
        )
        return builder

    return register
