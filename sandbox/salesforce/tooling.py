"""The Tooling API pieces ``setup salesforce`` uses: query ``CustomField`` and create one.

``POST tooling/sobjects/CustomField`` with ``{"FullName": "Contact.My_Field__c",
"Metadata": {"label", "type", "length", "externalId", ...}}`` adds the field to the
object (describe, query and writes see it at once) and answers 201
``{"id", "success": true, "errors": [], "warnings": [], "infos": []}``; creating it again
answers 400 DUPLICATE_DEVELOPER_NAME. ``tooling/query`` runs SOQL over
``CustomField`` (``Id``, ``DeveloperName``, ``TableEnumOrId``, ``FullName``, ``NamespacePrefix``).
"""

from __future__ import annotations

from typing import Any

from sandbox.common.http import Request, Response
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef
from sandbox.salesforce.wire import ErrorCode, error

__all__ = ["create_custom_field", "make_tooling_org"]

_TYPES = {
    "Text": FieldType.STRING,
    "TextArea": FieldType.TEXTAREA,
    "LongTextArea": FieldType.TEXTAREA,
    "Email": FieldType.EMAIL,
    "Phone": FieldType.PHONE,
    "Url": FieldType.URL,
    "Checkbox": FieldType.BOOLEAN,
    "Number": FieldType.DOUBLE,
    "Percent": FieldType.DOUBLE,
    "Currency": FieldType.CURRENCY,
    "Date": FieldType.DATE,
    "DateTime": FieldType.DATETIME,
    "Picklist": FieldType.PICKLIST,
}


def _custom_field_object() -> ObjectDef:
    obj = ObjectDef("CustomField", "Custom Field", "00N")
    obj.add_field(FieldDef("Id", FieldType.ID, "Custom Field ID", updateable=False, createable=False, length=18))
    for name in ("DeveloperName", "TableEnumOrId", "FullName", "NamespacePrefix", "Description"):
        obj.add_field(FieldDef(name, FieldType.STRING, name, length=255))
    return obj


def make_tooling_org(org: Org) -> Org:
    """A tooling "org" whose ``CustomField`` rows list ``org``'s custom fields."""
    tooling = Org(objects={"CustomField": _custom_field_object()})
    for obj in org.objects.values():
        for definition in obj.fields.values():
            if definition.custom:
                _add_row(tooling, obj, definition.name)
    return tooling


def _table(obj: ObjectDef) -> str:
    return make_id("01I", sum(map(ord, obj.name))) if obj.custom else obj.name


def _add_row(tooling: Org, obj: ObjectDef, name: str) -> str:
    row: dict[str, Any] = {
        "Id": tooling.new_id("00N"),
        "IsDeleted": False,
        "DeveloperName": name.removesuffix("__c"),
        "TableEnumOrId": _table(obj),
        "FullName": f"{obj.name}.{name}",
        "NamespacePrefix": None,
        "Description": None,
    }
    tooling.records["CustomField"][row["Id"]] = row
    return str(row["Id"])


def create_custom_field(request: Request, org: Org, tooling: Org) -> Response:
    """Answer ``POST tooling/sobjects/CustomField``."""
    try:
        body = request.json()
        full_name = str(body["FullName"])
        metadata: dict[str, Any] = dict(body.get("Metadata") or {})
    except (ValueError, KeyError, TypeError):
        return error(400, ErrorCode.JSON_PARSER_ERROR, "Expected FullName and Metadata")
    sobject, _, name = full_name.partition(".")
    obj = org.object(sobject)
    if obj is None or not name.endswith("__c"):
        return error(400, ErrorCode.INVALID_FIELD, f"Invalid FullName {full_name!r}: use Object.Field__c")
    kind = _TYPES.get(str(metadata.get("type", "Text")))
    if kind is None:
        known = ", ".join(_TYPES)
        return error(400, ErrorCode.INVALID_TYPE, f"Unsupported field type {metadata.get('type')!r}; known: {known}")
    with org.lock:
        if obj.field(name) is not None:
            message = f"There is already a field named {name.removesuffix('__c')} on {obj.name}."
            return Response.json(400, [{"message": message, "errorCode": "DUPLICATE_DEVELOPER_NAME", "fields": []}])
        obj.add_field(
            FieldDef(
                name, kind, str(metadata.get("label") or name), custom=True,
                length=int(metadata.get("length") or (255 if kind == FieldType.STRING else 0)),
                external_id=bool(metadata.get("externalId", False)), unique=bool(metadata.get("unique", False)),
                nillable=not bool(metadata.get("required", False)),
            )
        )  # fmt: skip
        row_id = _add_row(tooling, obj, name)
    return Response.json(201, {"id": row_id, "success": True, "errors": [], "warnings": [], "infos": []})
