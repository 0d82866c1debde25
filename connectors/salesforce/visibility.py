"""Make write-back fields visible: page layout placement and field-level security.

Layouts (Tooling API ``Layout``): list an object's layouts with ``SELECT Id, Name
FROM Layout WHERE TableEnumOrId = '<object>'``, read each one's ``Metadata``
(``GET tooling/sobjects/Layout/{id}``), add the fields it lacks as ``Readonly`` items
of a section (``Contactpoint`` by default; created when absent) and ``PATCH`` the
metadata back. Fields already anywhere on the layout are left where they are.

Access (REST ``FieldPermissions``): every profile-owned permission set (or those of
the configured profiles) gets ``PermissionsRead``; the integration user's profile
also gets ``PermissionsEdit``. Existing rows with less access are updated; a row
that appeared meanwhile (``DUPLICATE_VALUE``) counts as done by someone else.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from simple_salesforce.format import format_soql

from connectors.base import SetupAction
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SetupSettings
from core.errors import FatalApiError

__all__ = [
    "GrantChange",
    "LayoutChange",
    "apply_grants",
    "apply_layouts",
    "plan_grants",
    "plan_layouts",
]

log = structlog.get_logger(__name__)

ObjectField = tuple[str, str]
"""(object, field API name)."""


@dataclass(frozen=True)
class LayoutChange:
    """The write-back fields one page layout lacks."""

    sobject: str
    layout_id: str
    layout: str
    fields: tuple[str, ...]
    action: SetupAction

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        return {"object": self.sobject, "layout": self.layout, "fields": list(self.fields), "action": self.action.value}

    def describe(self) -> str:
        """Return the line ``setup`` prints."""
        placed = ", ".join(self.fields) or "every field"
        return f"layout {self.sobject} / {self.layout}: {self.action.say('place', 'placed')} {placed}"


@dataclass(frozen=True)
class GrantChange:
    """Read (and maybe edit) access on one field for one permission set."""

    sobject: str
    field: str
    permission_set_id: str
    profile: str
    edit: bool
    action: SetupAction
    record_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        access = "edit" if self.edit else "read"
        return {"object": self.sobject, "field": self.field, "profile": self.profile, "access": access,
                "action": self.action.value}  # fmt: skip

    def describe(self) -> str:
        """Return the line ``setup`` prints."""
        access = "read and edit" if self.edit else "read"
        return f"access {self.sobject}.{self.field} for {self.profile}: {self.action.say('grant', 'granted')} {access}"


# ----- layouts -----


def _items(metadata: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for section in metadata.get("layoutSections") or []:
        for column in section.get("layoutColumns") or []:
            yield from column.get("layoutItems") or []


def _layout_metadata(client: SalesforceClient, layout_id: str) -> dict[str, Any]:
    body = client.call("layout", lambda sf: sf.toolingexecute(f"sobjects/Layout/{layout_id}"), stream="Layout")
    return dict(body.get("Metadata") or {})


def _placed(metadata: dict[str, Any]) -> set[str]:
    """Lower-cased names of the fields already anywhere on a layout."""
    return {str(item.get("field") or "").lower() for item in _items(metadata)}


def plan_layouts(client: SalesforceClient, fields: Sequence[ObjectField]) -> list[LayoutChange]:
    """List every page layout of the objects in ``fields`` with the fields it lacks."""
    changes: list[LayoutChange] = []
    for sobject in dict.fromkeys(o for o, _ in fields):
        wanted = [f for o, f in fields if o == sobject]
        soql = format_soql("SELECT Id, Name FROM Layout WHERE TableEnumOrId = {}", sobject)
        for row in client.tooling_query(soql):
            placed = _placed(_layout_metadata(client, row["Id"]))
            missing = tuple(f for f in wanted if f.lower() not in placed)
            action = SetupAction.CREATE if missing else SetupAction.EXISTS
            changes.append(LayoutChange(sobject, str(row["Id"]), str(row["Name"]), missing, action))
    return changes


def _with_fields(metadata: dict[str, Any], fields: Sequence[str], section: str) -> dict[str, Any]:
    out = copy.deepcopy(metadata)
    sections: list[dict[str, Any]] = out.setdefault("layoutSections", [])
    target = next((s for s in sections if s.get("label") == section), None)
    if target is None:
        target = {"customLabel": True, "detailHeading": True, "editHeading": True, "label": section,
                  "layoutColumns": [{"layoutItems": []}, {"layoutItems": []}], "style": "TwoColumnsTopToBottom"}  # fmt: skip
        sections.append(target)
    columns: list[dict[str, Any]] = target.setdefault("layoutColumns", [{"layoutItems": []}])
    for index, name in enumerate(fields):
        column = columns[index % len(columns)]
        column.setdefault("layoutItems", []).append({"behavior": "Readonly", "field": name})
    return out


def apply_layouts(client: SalesforceClient, changes: Sequence[LayoutChange], *, section: str) -> list[LayoutChange]:
    """Place the missing fields of each pending layout (re-reading it first); return what was done."""
    done: list[LayoutChange] = []
    for change in changes:
        if not change.action.pending:
            done.append(change)
            continue
        metadata = _layout_metadata(client, change.layout_id)
        placed = _placed(metadata)
        missing = [f for f in change.fields if f.lower() not in placed]
        if missing:
            client.tooling_update("Layout", change.layout_id, {"Metadata": _with_fields(metadata, missing, section)})
            log.info("salesforce.layout_updated", system=client.system, stream=change.sobject, record_id=change.layout)
        done.append(replace(change, fields=tuple(missing), action=SetupAction.DONE if missing else SetupAction.EXISTS))
    return done


# ----- field-level security -----


def _rows(client: SalesforceClient, soql: str, *, stream: str) -> list[dict[str, Any]]:
    return [r for page in client.query_pages(soql, stream=stream, include_deleted=False) for r in page["records"]]


def _permission_sets(client: SalesforceClient, settings: SetupSettings) -> list[tuple[str, str]]:
    """(permission set Id, profile name) of the profile-owned permission sets setup grants to."""
    soql = "SELECT Id, ProfileId, Profile.Name FROM PermissionSet WHERE IsOwnedByProfile = true ORDER BY Id"
    found = [(str(r["Id"]), str((r.get("Profile") or {}).get("Name") or r["Id"])) for r in
             _rows(client, soql, stream="PermissionSet")]  # fmt: skip
    wanted = set(settings.profiles)
    if settings.integration_profile:
        wanted.add(settings.integration_profile)
    return [(pid, name) for pid, name in found if not settings.profiles or name in wanted]


def plan_grants(client: SalesforceClient, fields: Sequence[ObjectField], settings: SetupSettings) -> list[GrantChange]:
    """List the read (and, for the integration profile, edit) access each permission set lacks."""
    if not fields:
        return []
    names = [f"{o}.{f}" for o, f in fields]
    soql = format_soql(
        "SELECT Id, ParentId, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE Field IN {}", names
    )
    existing = {(str(r["ParentId"])[:15], str(r["Field"]).lower()): r for r in
                _rows(client, soql, stream="FieldPermissions")}  # fmt: skip
    changes: list[GrantChange] = []
    for pid, profile in _permission_sets(client, settings):
        edit = profile == settings.integration_profile
        for sobject, name in fields:
            row = existing.get((pid[:15], f"{sobject}.{name}".lower()))
            enough = row is not None and row["PermissionsRead"] and (row["PermissionsEdit"] or not edit)
            record_id = str(row["Id"]) if row is not None else None
            action = SetupAction.EXISTS if enough else SetupAction.CREATE
            changes.append(GrantChange(sobject, name, pid, profile, edit, action, record_id))
    return changes


def apply_grants(client: SalesforceClient, changes: Sequence[GrantChange]) -> list[GrantChange]:
    """Create (or widen) the pending ``FieldPermissions`` rows; return what was done.

    Raises:
        FatalApiError: Salesforce refused a row for another reason than it existing.
    """
    done: list[GrantChange] = []
    for change in changes:
        if not change.action.pending:
            done.append(change)
            continue
        try:
            _write_grant(client, change)
        except FatalApiError as err:
            if err.context.get("error_code") != "DUPLICATE_VALUE":
                raise
            done.append(replace(change, action=SetupAction.EXISTS))
            continue
        done.append(replace(change, action=SetupAction.DONE))
    log.info("salesforce.access_granted", system=client.system, records=sum(c.action is SetupAction.DONE for c in done))
    return done


def _write_grant(client: SalesforceClient, change: GrantChange) -> None:
    body: dict[str, Any] = {"PermissionsRead": True, "PermissionsEdit": change.edit}
    if change.record_id is not None:
        path = f"sobjects/FieldPermissions/{change.record_id}"
        client.call("grant", lambda sf: sf.restful(path, method="PATCH", json=body), stream="FieldPermissions")
        return
    body |= {"ParentId": change.permission_set_id, "SobjectType": change.sobject,
             "Field": f"{change.sobject}.{change.field}"}  # fmt: skip
    client.call("grant", lambda sf: sf.restful("sobjects/FieldPermissions", method="POST", json=body),
                stream="FieldPermissions")  # fmt: skip
