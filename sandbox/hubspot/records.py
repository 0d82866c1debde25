"""Reading and writing one record: rendering, property lists and value checks.

Shared by the object endpoints (basic and batch) and search, so a record reads the
same through each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sandbox.common.http import Request
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.schema import CURSOR_PROPERTY, DEFAULT_PROPERTIES, check_value
from sandbox.hubspot.wire import iso

__all__ = ["ALWAYS_PROPERTIES", "Problem", "check_properties", "render", "requested_properties"]

ALWAYS_PROPERTIES = {obj: ("createdate", CURSOR_PROPERTY[obj], "hs_object_id") for obj in CURSOR_PROPERTY}
"""What HubSpot returns beside the properties a read asks for."""

Problem = dict[str, Any]
"""One invalid property value, in the shape HubSpot lists them in a VALIDATION_ERROR message."""


def requested_properties(request: Request) -> list[str] | None:
    """The ``properties`` query parameter: comma-separated and/or repeated; None when absent."""
    values = request.query.get("properties")
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def render(portal: Portal, obj: str, record: HubRecord, properties: Iterable[str] | None) -> dict[str, Any]:
    """The record as a ``SimplePublicObject``: the asked-for properties (defaults when None), null when unset.

    Asked-for properties always come with ``createdate``, ``hs_object_id`` and the modify time
    (``lastmodifieddate``, companies' ``hs_lastmodifieddate``), as HubSpot adds them.
    """
    names = [*properties, *ALWAYS_PROPERTIES[obj]] if properties else list(DEFAULT_PROPERTIES[obj])
    schema = portal.schemas[obj]
    props = {name: record.value(obj, name) for name in dict.fromkeys(names) if name in schema.properties}
    out: dict[str, Any] = {
        "id": record.id,
        "properties": props,
        "createdAt": iso(record.created),
        "updatedAt": iso(record.modified),
        "archived": record.archived,
    }
    if record.archived and record.archived_at is not None:
        out["archivedAt"] = iso(record.archived_at)
    return out


def check_properties(portal: Portal, obj: str, values: Mapping[str, Any]) -> tuple[dict[str, str], list[Problem]]:
    """Check values to write; return (the values as stored, every problem found)."""
    schema = portal.schemas[obj]
    clean: dict[str, str] = {}
    problems: list[Problem] = []
    for name, value in values.items():
        prop = schema.live(name)
        if prop is None:
            problems.append(_problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if prop.read_only:
            problems.append(
                _problem(name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.')
            )
            continue
        stored, code = check_value(prop, value)
        if code is not None or stored is None:
            problems.append(_problem(name, code or "INVALID_VALUE", f"{value!r} is not a valid value for {name}"))
            continue
        clean[name] = stored
    return clean, problems


def _problem(name: str, code: str, message: str) -> Problem:
    return {"isValid": False, "message": message, "error": code, "name": name, "localizedErrorMessage": message}


def problems_message(problems: list[Problem]) -> str:
    """HubSpot's VALIDATION_ERROR message for invalid property values."""
    import json

    return f"Property values were not valid: {json.dumps(problems)}"


def problem_details(problems: list[Problem]) -> list[dict[str, Any]]:
    """The ``errors`` list of a VALIDATION_ERROR: one detail per problem."""
    return [{"message": p["message"], "code": p["error"], "context": {"propertyName": [p["name"]]}} for p in problems]
