"""The properties API v3: property definitions and groups of contacts and companies.

    GET/POST         /crm/v3/properties/{object}                    list / create (409 when it exists)
    GET/PATCH/DELETE /crm/v3/properties/{object}/{name}
    GET/POST         /crm/v3/properties/{object}/groups              list / create (409 when it exists)
    GET/PATCH/DELETE /crm/v3/properties/{object}/groups/{name}

A new property needs a ``name`` (lower case, digits, ``_``), ``label``, ``type``,
``fieldType`` that fit together, and an existing ``groupName``; a ``bool`` needs its
two options; at most 10 properties per object may have ``hasUniqueValue``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.schema import BOOL_OPTIONS, PropertyDef, Schema
from sandbox.hubspot.wire import Category, error

__all__ = ["properties_api"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_FIELD_TYPES = {
    "string": {"text", "textarea", "file", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "bool": {"booleancheckbox", "checkbox", "select", "radio"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
}
MAX_UNIQUE = 10


def _invalid(message: str) -> Response:
    return error(400, Category.VALIDATION_ERROR, message)


def _new_property(schema: Schema, body: dict[str, Any]) -> PropertyDef | str:
    """Build the property ``body`` asks for, or say what is wrong with it."""
    name, kind, field_type = str(body.get("name", "")), str(body.get("type", "")), str(body.get("fieldType", ""))
    group = str(body.get("groupName", ""))
    if not _NAME.match(name):
        return (
            f"Property name {name!r} must start with a lowercase letter and hold only lowercase letters, digits and _"
        )
    if not body.get("label"):
        return "label is required"
    if field_type not in _FIELD_TYPES.get(kind, set()):
        return f"fieldType {field_type!r} does not fit type {kind!r}"
    if group not in schema.groups:
        return f"Property group {group!r} does not exist"
    options = list(body.get("options") or [])
    if kind == "bool" and not options:
        options = BOOL_OPTIONS
    unique = bool(body.get("hasUniqueValue"))
    if unique and sum(p.unique for p in schema.properties.values() if p.custom) >= MAX_UNIQUE:
        return f"An object may have at most {MAX_UNIQUE} unique value properties"
    now = datetime.now(UTC)
    return PropertyDef(name, str(body["label"]), kind, field_type, group, options=options, unique=unique,
                       description=str(body.get("description", "")), custom=True, created_at=now, updated_at=now)  # fmt: skip


def _groups(schema: Schema, request: Request, rest: list[str]) -> Response:
    if not rest:
        if request.method == "GET":
            return Response.json(200, {"results": [g for g in schema.groups.values() if not g["archived"]]})
        body = request.json()
        name = str(body.get("name", ""))
        if not _NAME.match(name) or not body.get("label"):
            return _invalid("A property group needs a name (lowercase letters, digits, _) and a label")
        if name in schema.groups:
            return error(409, Category.OBJECT_ALREADY_EXISTS, f"A property group named '{name}' already exists.")
        group: dict[str, Any] = {"name": name, "label": str(body["label"]), "displayOrder": int(body.get("displayOrder", -1)),
                 "archived": False}  # fmt: skip
        schema.groups[name] = group
        return Response.json(201, group)
    found = schema.groups.get(rest[0])
    if found is None or found["archived"]:
        return error(404, Category.OBJECT_NOT_FOUND, f"Unable to find property group {rest[0]}")
    if request.method == "PATCH":
        found.update({k: v for k, v in request.json().items() if k in {"label", "displayOrder"}})
    elif request.method == "DELETE":
        found["archived"] = True
        return Response.empty(204)
    return Response.json(200, found)


def _one(schema: Schema, request: Request, name: str) -> Response:
    prop = schema.live(name)
    if prop is None:
        return error(404, Category.OBJECT_NOT_FOUND, f"Unable to find property {name}")
    if request.method == "DELETE":
        if not prop.custom:
            return _invalid(f"{name} is a HubSpot property and cannot be archived")
        prop.archived = True
        return Response.empty(204)
    if request.method == "PATCH":
        body = request.json()
        for key, attr in (("label", "label"), ("description", "description"), ("groupName", "group")):
            if key in body:
                setattr(prop, attr, str(body[key]))
        prop.updated_at = datetime.now(UTC)
    return Response.json(200, prop.as_json())


def properties_api(portal: Portal, request: Request, obj: str, rest: list[str]) -> Response:
    """Answer one ``/crm/v3/properties/{object}/...`` request."""
    schema = portal.schemas[obj]
    try:
        with portal.lock:
            if rest[:1] == ["groups"]:
                return _groups(schema, request, rest[1:])
            if rest:
                return _one(schema, request, rest[0])
            if request.method == "GET":
                archived = (request.param("archived") or "false").lower() == "true"
                found = [p.as_json() for p in schema.properties.values() if p.archived == archived]
                return Response.json(200, {"results": found})
            made = _new_property(schema, request.json())
            if isinstance(made, str):
                return _invalid(made)
            if schema.live(made.name) is not None:
                return error(409, Category.OBJECT_ALREADY_EXISTS, f"Property named '{made.name}' already exists.")
            schema.properties[made.name] = made
            return Response.json(201, made.as_json())
    except (ValueError, AttributeError, TypeError):
        return _invalid("Invalid input JSON: expected an object")
