"""Value transforms: lookups, fallbacks, constants, templates and type conversions."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from core.mapping.paths import parse_path
from core.mapping.plans import is_missing
from core.mapping.registry import BuildContext, NoArgs, StrictArgs, TransformFn, transform

__all__: list[str] = []


def _lookup_key(value: Any, *, fold: bool) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        text = str(value).strip()
        return text.casefold() if fold else text
    return value


class ValueMapArgs(StrictArgs):
    """Arguments of ``value_map``."""

    map: dict[Any, Any] = Field(min_length=1)
    default: Any = None
    strict: bool = False
    case_sensitive: bool = False


@transform("value_map", args=ValueMapArgs)
def build_value_map(args: ValueMapArgs, ctx: BuildContext) -> TransformFn:
    """Replace a value by looking it up in a table.

    Keys are compared as trimmed text, ignoring case unless ``case_sensitive: true``
    (``true``/``false`` match booleans too). A value not in the table gives
    ``default`` when one is set, is rejected when ``strict: true``, and otherwise
    passes through unchanged. Example::

        {value_map: {map: {yes: denied, no: granted}, default: unknown}}

    turns ``"YES"`` into ``"denied"`` and ``"maybe"`` into ``"unknown"``.
    """
    fold = not args.case_sensitive
    table = {_lookup_key(k, fold=fold): v for k, v in args.map.items()}
    has_default = "default" in args.model_fields_set
    default, strict = args.default, args.strict
    known = ", ".join(sorted(str(k) for k in table))

    def value_map(value: Any, raw: Mapping[str, Any]) -> Any:
        key = _lookup_key(value, fold=fold)
        try:
            return table[key]
        except (KeyError, TypeError):  # TypeError: an unhashable value such as a list
            pass
        if has_default:
            return default
        if strict:
            msg = f"no entry in the value map (known: {known})"
            raise ValueError(msg)
        return value

    return value_map


class CoalesceArgs(StrictArgs):
    """Arguments of ``coalesce``."""

    paths: list[str] = Field(min_length=1)


@transform("coalesce", args=CoalesceArgs, shorthand="paths", reads_record=True, on_none=True, elementwise=False)
def build_coalesce(args: CoalesceArgs, ctx: BuildContext) -> TransformFn:
    """Keep the value if it is not empty, else take the first non-empty of other paths.

    Example: ``{coalesce: [MobilePhone, HomePhone]}`` after ``path: Phone`` gives
    Phone, or MobilePhone when Phone is empty, or HomePhone.
    """
    getters = [parse_path(p).get for p in args.paths]

    def coalesce(value: Any, raw: Mapping[str, Any]) -> Any:
        if not is_missing(value):
            return value
        for get in getters:
            found = get(raw)
            if not is_missing(found):
                return found
        return None

    return coalesce


class ConstantArgs(StrictArgs):
    """Arguments of ``constant``."""

    value: Any


@transform("constant", args=ConstantArgs, shorthand="value", on_none=True, elementwise=False)
def build_constant(args: ConstantArgs, ctx: BuildContext) -> TransformFn:
    """Always give the same value, whatever the source says.

    Example: ``{constant: email}`` for a Consent's ``channel``.
    """
    constant = args.value
    return lambda value, raw: constant


class TemplateArgs(StrictArgs):
    """Arguments of ``template``."""

    format: str = Field(min_length=1)


@transform("template", args=TemplateArgs, shorthand="format", reads_record=True, on_none=True, elementwise=False)
def build_template(args: TemplateArgs, ctx: BuildContext) -> TransformFn:
    """Build text from several paths, ``str.format`` style; ``{}`` is the current value.

    Each ``{...}`` holds a source path (``{Account.Name}``, ``{emails[0].value}``) and may
    carry a format spec (``{Amount:.2f}``). Missing values render as empty text; the
    result is trimmed, and is missing when every referenced value is.
    Example: ``{template: "{FirstName} {LastName}"}`` → ``"Robert Smith"``.
    """
    parts: list[tuple[str, Any, str]] = []
    for literal, field, spec, conversion in string.Formatter().parse(args.format):
        if conversion:
            msg = f"conversion '!{conversion}' is not supported in a template"
            raise ValueError(msg)
        getter = None if field is None else (_current if field == "" else parse_path(field).get)
        parts.append((literal, getter, spec or ""))

    def template(value: Any, raw: Mapping[str, Any]) -> Any:
        out: list[str] = []
        found_any = False
        for literal, getter, spec in parts:
            out.append(literal)
            if getter is None:
                continue
            found = value if getter is _current else getter(raw)
            if found is not None and found != "":
                found_any = True
                out.append(format(found, spec))
        return "".join(out).strip() if found_any else None

    return template


def _current(raw: Any) -> Any:  # a marker: "{}" means the current value
    return None


@transform("to_int")
def build_to_int(args: NoArgs, ctx: BuildContext) -> TransformFn:
    """Convert to a whole number; thousands separators (``,`` ``_`` spaces) are ignored.

    Examples: ``"1,200"`` → ``1200``; ``"12.0"`` → ``12``; ``"12.5"`` is rejected.
    """

    def to_int(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, bool):
            msg = "a boolean is not a number"
            raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
        if isinstance(value, int):
            return value
        number = float(value) if isinstance(value, float) else _parse_number(value, decimal=".")
        if not number.is_integer():
            msg = "not a whole number"
            raise ValueError(msg)
        return int(number)

    return to_int


class ToFloatArgs(StrictArgs):
    """Arguments of ``to_float``."""

    decimal: str = Field(default=".", pattern=r"^[.,]$")


@transform("to_float", args=ToFloatArgs, shorthand="decimal")
def build_to_float(args: ToFloatArgs, ctx: BuildContext) -> TransformFn:
    """Convert to a decimal number; ``decimal: ","`` reads ``"1.234,5"`` as 1234.5.

    Examples: ``"1,234.50"`` → ``1234.5``; ``"abc"`` is rejected.
    """
    decimal = args.decimal

    def to_float(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, bool):
            msg = "a boolean is not a number"
            raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
        if isinstance(value, int | float):
            return float(value)
        return _parse_number(value, decimal=decimal)

    return to_float


def _parse_number(value: Any, *, decimal: str) -> float:
    if not isinstance(value, str):
        msg = f"expected a number, got {type(value).__name__}"
        raise ValueError(msg)  # noqa: TRY004 - ValueError is the transform contract
    text = value.strip().replace("_", "").replace(" ", "")
    text = text.replace(".", "").replace(",", ".") if decimal == "," else text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        msg = "not a number"
        raise ValueError(msg) from None
    if not math.isfinite(number):
        msg = "not a finite number"
        raise ValueError(msg)
    return number


class ToBoolArgs(StrictArgs):
    """Arguments of ``to_bool``."""

    true: list[str] = Field(default_factory=lambda: ["true", "t", "yes", "y", "1", "on", "x"])
    false: list[str] = Field(default_factory=lambda: ["false", "f", "no", "n", "0", "off"])


@transform("to_bool", args=ToBoolArgs)
def build_to_bool(args: ToBoolArgs, ctx: BuildContext) -> TransformFn:
    """Convert to true/false; text is compared trimmed and ignoring case; empty text is missing.

    Examples: ``"Yes"`` → ``true``; ``0`` → ``false``; ``"maybe"`` is rejected.
    ``{to_bool: {true: [opted_out], false: [subscribed]}}`` sets the words.
    """
    truthy = frozenset(v.casefold() for v in args.true)
    falsy = frozenset(v.casefold() for v in args.false)

    def to_bool(value: Any, raw: Mapping[str, Any]) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        text = str(value).strip().casefold()
        if text in truthy:
            return True
        if text in falsy:
            return False
        if text == "":
            return None
        msg = f"not a yes/no value (true: {', '.join(sorted(truthy))}; false: {', '.join(sorted(falsy))})"
        raise ValueError(msg)

    return to_bool
