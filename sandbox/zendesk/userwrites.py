"""Changing users as Zendesk does: checked values, identified by ID, email or external ID.

``check_user`` validates a user body (name, email, phone, external ID unique,
organization, tags, custom ``user_fields`` typed by their definitions) and returns the
changes to apply, or the reason Zendesk would refuse them. Unknown ``user_fields``
keys are ignored, as Zendesk ignores them. ``upsert`` is create-or-update: an existing
user is found by ``id``, ``external_id`` or ``email`` (any case), else one is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sandbox.zendesk.account import Account, Kind, Record

__all__ = ["Refusal", "apply_changes", "check_user", "find_for_upsert", "new_user", "upsert"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PLAIN = {"name", "email", "phone", "external_id", "organization_id", "tags", "notes", "details", "alias",
          "time_zone", "locale", "role", "verified", "suspended", "shared_phone_number"}  # fmt: skip


@dataclass(frozen=True)
class Refusal:
    """Why Zendesk refuses a user change: its error code and a readable detail."""

    error: str
    details: str
    field: str = "base"
    code: str = "InvalidValue"


def _number(kind: str, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError(value)
    if kind == "decimal":
        return float(value)
    if not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise ValueError(value)
    return int(value)


def _field_value(definition: Record, value: Any) -> Any:
    """Check one custom field value against its definition; raise ``ValueError`` when it does not fit."""
    kind = definition["type"]
    if value is None:
        return None
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if kind in {"integer", "decimal"}:
        return _number(kind, value)
    if kind == "date":
        return date.fromisoformat(str(value)).isoformat()
    if kind == "regexp" and not re.fullmatch(definition.get("regexp_for_validation") or ".*", str(value)):
        raise ValueError(value)
    if kind == "dropdown" and value not in {o["value"] for o in definition.get("custom_field_options", [])}:
        raise ValueError(value)
    return str(value)


def _check_fields(account: Account, values: Any) -> dict[str, Any] | Refusal:
    if not isinstance(values, dict):
        return Refusal("RecordInvalid", "user_fields must be an object of field keys and values", "user_fields")
    out: dict[str, Any] = {}
    for key, value in values.items():
        definition = account.user_fields.get(key)
        if definition is None or not definition.get("active", True):
            continue
        try:
            out[key] = _field_value(definition, value)
        except (ValueError, TypeError):
            kind = definition["type"]
            return Refusal("RecordInvalid", f"{definition['title']}: {value!r} is not a valid {kind} value", key)
    return out


def _check_plain(account: Account, body: dict[str, Any], target: Record | None) -> Refusal | None:
    if "name" in body and not str(body.get("name") or "").strip():
        return Refusal("RecordInvalid", "Name: is too short (minimum one character)", "name")
    email = body.get("email")
    if email is not None and not _EMAIL.match(str(email).strip()):
        return Refusal("RecordInvalid", f"Email: {email} is not properly formatted", "email")
    if email and target is None and account.user_by("email", email) is not None:
        return Refusal(
            "RecordInvalid", f"Email: {email} is already being used by another user", "email", "DuplicateValue"
        )
    external = body.get("external_id")
    holder = account.user_by("external_id", external) if external else None
    if holder is not None and (target is None or holder["id"] != target["id"]):
        return Refusal("RecordInvalid", "External: has already been taken", "external_id", "DuplicateValue")
    org = body.get("organization_id")
    if org is not None and org not in account.organizations:
        return Refusal("RecordInvalid", f"Organization: {org} does not exist", "organization_id")
    if "tags" in body and not (isinstance(body["tags"], list) and all(isinstance(t, str) for t in body["tags"])):
        return Refusal("RecordInvalid", "Tags: must be a list of strings", "tags")
    return None


def check_user(account: Account, body: Any, target: Record | None) -> dict[str, Any] | Refusal:
    """Return the changes ``body`` makes to ``target`` (None: a new user), or why they are refused."""
    if not isinstance(body, dict):
        return Refusal("RecordInvalid", "a user must be a JSON object")
    if target is not None and not target.get("active"):
        return Refusal("RecordNotFound", f"user {target['id']} is deleted")
    refused = _check_plain(account, body, target)
    if refused is not None:
        return refused
    changes = {k: v for k, v in body.items() if k in _PLAIN}
    if "user_fields" in body:
        fields = _check_fields(account, body["user_fields"])
        if isinstance(fields, Refusal):
            return fields
        changes["user_fields"] = {**(target or {}).get("user_fields", {}), **fields}
    return changes


def new_user(account: Account, changes: dict[str, Any]) -> Record | Refusal:
    """Create a user from checked ``changes``; Zendesk needs a name to create one."""
    if not str(changes.get("name") or "").strip():
        return Refusal("RecordInvalid", "Name: is too short (minimum one character)", "name")
    now = account.clock.now()
    user_id = account.new_id(Kind.USERS)
    record: Record = {
        "id": user_id, "name": changes["name"], "email": None, "created_at": now, "updated_at": now,
        "time_zone": "London", "iana_time_zone": "Europe/London", "phone": None, "shared_phone_number": None,
        "photo": None, "locale_id": 1, "locale": "en-US", "organization_id": None, "role": "end-user",
        "role_type": None, "verified": False, "external_id": None, "tags": [], "alias": "", "active": True,
        "shared": False, "shared_agent": False, "details": "", "notes": "", "custom_role_id": None,
        "moderator": False, "ticket_restriction": "requested", "only_private_comments": False,
        "restricted_agent": True, "suspended": False, "report_csv": False, "two_factor_auth_enabled": None,
        "user_fields": {},
    }  # fmt: skip
    record.update(changes)
    account.users[user_id] = record
    account.remember(record)
    return record


def apply_changes(account: Account, user: Record, changes: dict[str, Any]) -> None:
    """Write checked ``changes`` into ``user`` and stamp it."""
    user.update(changes)
    account.touch(user)
    account.remember(user)


def find_for_upsert(account: Account, body: dict[str, Any]) -> Record | None:
    """The live user a create-or-update body names by ``id``, ``external_id`` or ``email``."""
    user_id = body.get("id")
    if isinstance(user_id, int) and user_id in account.users and account.users[user_id].get("active"):
        return account.users[user_id]
    if body.get("external_id"):
        found = account.user_by("external_id", body["external_id"])
        if found is not None:
            return found
    return account.user_by("email", body["email"]) if body.get("email") else None


def upsert(account: Account, body: Any) -> tuple[Record, bool] | Refusal:
    """Create or update one user; return it and whether it was created, or the refusal."""
    if not isinstance(body, dict):
        return Refusal("RecordInvalid", "a user must be a JSON object")
    with account.lock:
        target = find_for_upsert(account, body)
        changes = check_user(account, {k: v for k, v in body.items() if k != "id"}, target)
        if isinstance(changes, Refusal):
            return changes
        if target is None:
            created = new_user(account, changes)
            return created if isinstance(created, Refusal) else (created, True)
        if target.get("email") and "email" in changes:
            changes.pop("email")  # on update an email is added as a secondary identity, the primary stays
        apply_changes(account, target, changes)
        return target, False
