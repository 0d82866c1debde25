"""Profiles, permission sets and field-level security (``FieldPermissions``).

A fresh org has profiles, each owning one permission set (``IsOwnedByProfile``
true, ``Name`` like ``X00e...``), and permission sets admins create. Field-level
security is a ``FieldPermissions`` row per (permission set, field): ``ParentId``,
``SobjectType``, ``Field`` (``Contact.Title``), ``PermissionsRead``,
``PermissionsEdit``. Rows are created and updated through the REST sObject
resources; a second row for the same permission set and field is refused with
``DUPLICATE_VALUE``, a field the object lacks with
``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``, and edit without read with
``FIELD_INTEGRITY_EXCEPTION``, as Salesforce does.

The integration user (the one every session acts as) has the profile
``Contactpoint Integration``.
"""

from __future__ import annotations

from typing import Any

from sandbox.common.http import Response
from sandbox.salesforce.org import INTEGRATION_USER_ID, Org
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef

__all__ = ["INTEGRATION_PROFILE", "PROFILES", "check_field_permission", "install_access"]

INTEGRATION_PROFILE = "Contactpoint Integration"
PROFILES = ("System Administrator", "Standard User", INTEGRATION_PROFILE)
"""The profiles of a fresh sandbox org, each with its profile-owned permission set."""


def _ref(name: str, target: str, relationship: str) -> FieldDef:
    return FieldDef(name, FieldType.REFERENCE, name, length=18, reference_to=(target,), relationship_name=relationship)


def _system(obj: ObjectDef) -> ObjectDef:
    obj.add_field(FieldDef("Id", FieldType.ID, f"{obj.label} ID", updateable=False, createable=False, length=18))
    obj.add_field(FieldDef("IsDeleted", FieldType.BOOLEAN, "Deleted", updateable=False, createable=False))
    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        obj.add_field(FieldDef(name, FieldType.DATETIME, name, updateable=False, createable=False))
    return obj


def _objects() -> list[ObjectDef]:
    profile = _system(ObjectDef("Profile", "Profile", "00e"))
    profile.add_field(FieldDef("Name", FieldType.STRING, "Name", length=255, nillable=False))
    permission_set = _system(ObjectDef("PermissionSet", "Permission Set", "0PS"))
    for name in ("Name", "Label"):
        permission_set.add_field(FieldDef(name, FieldType.STRING, name, length=80, nillable=False))
    permission_set.add_field(FieldDef("IsOwnedByProfile", FieldType.BOOLEAN, "Is Owned By Profile", nillable=False))
    permission_set.add_field(_ref("ProfileId", "Profile", "Profile"))
    field_permissions = _system(ObjectDef("FieldPermissions", "Field Permissions", "01k"))
    field_permissions.add_field(_ref("ParentId", "PermissionSet", "Parent"))
    for name in ("SobjectType", "Field"):
        field_permissions.add_field(FieldDef(name, FieldType.PICKLIST, name, length=255, nillable=False))
    for name in ("PermissionsRead", "PermissionsEdit"):
        field_permissions.add_field(FieldDef(name, FieldType.BOOLEAN, name, nillable=False))
    return [profile, permission_set, field_permissions]


def install_access(org: Org) -> None:
    """Add the access objects to ``org`` with its profiles, their permission sets and one custom permission set."""
    for obj in _objects():
        org.add_object(obj)
    profile_ids: dict[str, str] = {}
    for name in PROFILES:
        profile = org.insert("Profile", {"Name": name})
        profile_ids[name] = profile["Id"]
        org.insert(
            "PermissionSet",
            {"Name": f"X{profile['Id'][:15]}", "Label": profile["Id"][:15], "IsOwnedByProfile": True,
             "ProfileId": profile["Id"]},
        )  # fmt: skip
    org.insert("PermissionSet", {"Name": "Marketing_Extras", "Label": "Marketing Extras", "IsOwnedByProfile": False})
    user = org.get("User", INTEGRATION_USER_ID)
    if user is not None:
        user["ProfileId"] = profile_ids[INTEGRATION_PROFILE]


def _refusal(code: str, message: str, fields: list[str]) -> Response:
    return Response.json(400, [{"message": message, "errorCode": code, "fields": fields}])


def check_field_permission(org: Org, values: dict[str, Any], *, record_id: str | None = None) -> Response | None:
    """Refuse a ``FieldPermissions`` insert (or update of ``record_id``) as Salesforce would; None when valid."""
    current = org.get("FieldPermissions", record_id) if record_id else None
    merged = {**(current or {}), **{_canonical(k): v for k, v in values.items()}}
    field_name = str(merged.get("Field") or "")
    sobject, _, name = field_name.partition(".")
    obj = org.object(sobject)
    if obj is None or obj.field(name) is None or str(merged.get("SobjectType") or "").lower() != sobject.lower():
        message = f"Field Name: bad value for restricted picklist field: {field_name}"
        return _refusal("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, ["Field"])
    if merged.get("PermissionsEdit") and not merged.get("PermissionsRead"):
        message = "Permission Edit depends on permission(s): Read"
        return _refusal("FIELD_INTEGRITY_EXCEPTION", message, ["PermissionsEdit"])
    parent = str(merged.get("ParentId") or "")[:15]
    for row in org.live("FieldPermissions"):
        same = row["ParentId"][:15] == parent and str(row["Field"]).lower() == field_name.lower()
        if same and row["Id"] != (current or {}).get("Id"):
            message = f"duplicate value found: <unknown> duplicates value on record with id: {row['Id']}"
            return _refusal("DUPLICATE_VALUE", message, [])
    return None


def _canonical(key: str) -> str:
    names = ("ParentId", "SobjectType", "Field", "PermissionsRead", "PermissionsEdit")
    return next((n for n in names if n.lower() == key.lower()), key)
