"""Values as the vendors hold them: read back from a pulled record, compared the way vendors store them.

found_value(raw, writeback, field) ─→ the value at the stream's ``read_from`` path, or ``MISSING``
same(a, b)                         ─→ equal as a vendor stores them (``True`` / ``"true"``, ``2`` / ``"2.0"``)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.mapping.writeback import Writeback

__all__ = ["MISSING", "found_value", "normal_form", "same"]

MISSING: Any = object()
"""A field the pulled record does not carry at all (not read by the connector): unknown, not empty."""


def normal_form(value: Any) -> Any:
    """A value as vendors tend to hold it: booleans as ``true``/``false``, numbers as text, empty as None."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(round(number, 9))
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("true", "false"):
            return text.lower()
        try:
            return normal_form(float(text))
        except ValueError:
            return text
    if isinstance(value, list | tuple):
        return [normal_form(item) for item in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Whether two values are equal as a vendor stores them (``True`` and ``"true"``, ``2`` and ``"2.0"``)."""
    return bool(a == b or normal_form(a) == normal_form(b))


def found_value(raw: Mapping[str, Any] | None, writeback: Writeback, vendor_field: str) -> Any:
    """The vendor's current value of a field, or ``MISSING`` when the pulled record lacks the field.

    A field the connector did not read is unknown, which is not the same as empty.
    """
    value: Any = raw
    for part in writeback.read_path(vendor_field).split("."):
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value
