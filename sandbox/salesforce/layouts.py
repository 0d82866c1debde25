"""Page layouts through the Tooling API ``Layout`` object.

``tooling/query`` lists layouts (``SELECT Id, Name FROM Layout WHERE TableEnumOrId =
'Contact'``); ``GET tooling/sobjects/Layout/{id}`` returns one with its ``Metadata``
(the Metadata API ``Layout`` type: ``layoutSections`` of ``layoutColumns`` of
``layoutItems``, each ``{"field", "behavior"}``); ``PATCH`` with ``{"Metadata": ...}``
replaces the metadata (204). A PATCH is refused when an item names a field the object
lacks, places a field twice, uses an unknown ``behavior`` or drops a required field.
"""

from __future__ import annotations

from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef
from sandbox.salesforce.wire import ErrorCode, error

__all__ = ["BEHAVIORS", "SEEDED_LAYOUTS", "install_layouts", "layout_resource"]

BEHAVIORS = ("Edit", "Readonly", "Required")
SEEDED_LAYOUTS: dict[str, tuple[str, ...]] = {
    "Contact": ("Contact Layout", "Contact (Support) Layout"),
    "Lead": ("Lead Layout",),
    "Account": ("Account Layout",),
}
_SECTION_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Contact": (("FirstName", "LastName", "AccountId", "Title"), ("Email", "Phone", "MobilePhone", "Birthdate")),
    "Lead": (("FirstName", "LastName", "Company", "Status"), ("Email", "Phone", "LeadSource")),
    "Account": (("Name", "Type", "Industry"), ("Phone", "Website", "NumberOfEmployees")),
}
_REQUIRED = {"LastName", "Company", "Name"}


def _layout_object() -> ObjectDef:
    obj = ObjectDef("Layout", "Layout", "00h")
    obj.add_field(FieldDef("Id", FieldType.ID, "Layout ID", updateable=False, createable=False, length=18))
    for name in ("Name", "TableEnumOrId", "LayoutType", "NamespacePrefix", "EntityDefinitionId"):
        obj.add_field(FieldDef(name, FieldType.STRING, name, length=255))
    return obj


def _item(field: str) -> dict[str, Any]:
    return {"behavior": "Required" if field in _REQUIRED else "Edit", "field": field}


def _metadata(sobject: str) -> dict[str, Any]:
    left, right = _SECTION_FIELDS[sobject]
    section = {
        "customLabel": False,
        "detailHeading": False,
        "editHeading": True,
        "label": f"{sobject} Information",
        "layoutColumns": [{"layoutItems": [_item(f) for f in left]}, {"layoutItems": [_item(f) for f in right]}],
        "style": "TwoColumnsTopToBottom",
    }
    return {
        "customButtons": [],
        "excludeButtons": [],
        "headers": [],
        "layoutSections": [section],
        "relatedLists": [],
        "showEmailCheckbox": False,
        "showRunAssignmentRulesCheckbox": False,
    }


def install_layouts(tooling: Org) -> None:
    """Add the ``Layout`` object to the tooling org with the seeded page layouts."""
    tooling.add_object(_layout_object())
    for sobject, names in SEEDED_LAYOUTS.items():
        for name in names:
            row_id = tooling.new_id("00h")
            tooling.records["Layout"][row_id] = {
                "Id": row_id, "IsDeleted": False, "Name": name, "TableEnumOrId": sobject, "LayoutType": "Standard",
                "NamespacePrefix": None, "EntityDefinitionId": sobject, "Metadata": _metadata(sobject),
            }  # fmt: skip


def layout_resource(request: Request, version: str, layout_id: str, org: Org, tooling: Org) -> Response:
    """Answer ``GET`` or ``PATCH tooling/sobjects/Layout/{id}``."""
    row = tooling.get("Layout", layout_id)
    if row is None:
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
    if request.method == "GET":
        return Response.json(200, _render(row, version))
    if request.method != "PATCH":
        return error(405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed.")
    try:
        body = request.json()
        metadata = body["Metadata"]
    except (ValueError, KeyError, TypeError):
        return error(400, ErrorCode.JSON_PARSER_ERROR, "Expected a JSON object with Metadata")
    obj = org.object(str(row["TableEnumOrId"]))
    problem = _check(metadata, obj) if obj is not None else "the layout's object is gone"
    if problem is not None:
        return Response.json(400, [{"message": problem, "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": []}])
    with tooling.lock:
        row["Metadata"] = metadata
    return Response.empty(204)


def _render(row: dict[str, Any], version: str) -> dict[str, Any]:
    return {
        "attributes": {"type": "Layout", "url": f"/services/data/v{version}/tooling/sobjects/Layout/{row['Id']}"},
        "Id": row["Id"],
        "Name": row["Name"],
        "TableEnumOrId": row["TableEnumOrId"],
        "EntityDefinitionId": row["EntityDefinitionId"],
        "LayoutType": row["LayoutType"],
        "NamespacePrefix": row["NamespacePrefix"],
        "ManageableState": "unmanaged",
        "FullName": f"{row['TableEnumOrId']}-{row['Name']}",
        "Metadata": row["Metadata"],
    }


def _items(metadata: Any) -> list[Any]:
    sections = metadata.get("layoutSections") if isinstance(metadata, dict) else None
    if not isinstance(sections, list):
        raise TypeError
    return [
        item
        for section in sections
        for column in (section.get("layoutColumns") or [])
        for item in (column.get("layoutItems") or [])
    ]


def _check(metadata: Any, obj: ObjectDef) -> str | None:
    try:
        items = _items(metadata)
    except (TypeError, AttributeError):
        return "Metadata.layoutSections must be a list of sections with layoutColumns"
    seen: set[str] = set()
    for item in items:
        field = str(item.get("field") or "") if isinstance(item, dict) else ""
        definition = obj.field(field)
        if definition is None:
            return f"Invalid field {field!r} in layout: {obj.name} has no such field"
        if item.get("behavior") not in BEHAVIORS:
            return f"Invalid behavior {item.get('behavior')!r} for {field}: use one of {', '.join(BEHAVIORS)}"
        if definition.name in seen:
            return f"The field {definition.name} appears more than once in the layout"
        seen.add(definition.name)
    missing = sorted(f for f in _REQUIRED if obj.field(f) is not None and f not in seen and f in _all_fields(obj))
    return f"Layout must contain an item for required field(s): {', '.join(missing)}" if missing else None


def _all_fields(obj: ObjectDef) -> set[str]:
    left, right = _SECTION_FIELDS.get(obj.name, ((), ()))
    return set(left) | set(right)
