"""Record writes shared by the REST, sObject Collections and Bulk 2.0 ingest endpoints.

Each write is checked first (``plan_*``) and applied after (``commit``), so
``allOrNone`` requests can refuse every record when one fails. Per-record errors have
Salesforce's shape: ``{"statusCode": ..., "message": ..., "fields": [...]}``. Checks:
unknown fields (INVALID_FIELD), read-only fields (INVALID_FIELD_FOR_INSERT_UPDATE),
required fields such as ``LastName`` left empty (REQUIRED_FIELD_MISSING), bad emails,
dates and numbers, over-long text, a value outside a restricted picklist
(INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST), deleted targets (ENTITY_IS_DELETED), malformed IDs,
lookups to the wrong object (FIELD_INTEGRITY_EXCEPTION) or to no record
(INVALID_CROSS_REFERENCE_KEY), IDs the control marked to fail
(FIELD_CUSTOM_VALIDATION_EXCEPTION), and the object's own rules (``ObjectDef.on_write``:
an Opportunity's stage and the values it defaults).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sandbox.salesforce.control import SalesforceControl
from sandbox.salesforce.ids import is_id, to18
from sandbox.salesforce.org import Org, Record
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef
from sandbox.salesforce.wire import ErrorCode

__all__ = ["Outcome", "Write", "commit", "error_item", "plan_delete", "plan_insert", "plan_update", "plan_upsert"]

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SYSTEM = {"attributes"}


def error_item(code: ErrorCode | str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    """One per-record error in Salesforce's shape."""
    return {"statusCode": str(code), "message": message, "fields": list(fields or [])}


@dataclass
class Write:
    """One checked write, ready to commit unless it has errors."""

    op: str
    obj: ObjectDef
    target: Record | None = None
    values: Record = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """The result of one committed (or refused) write."""

    id: str | None
    success: bool
    created: bool
    errors: list[dict[str, Any]]


def _coerce(definition: FieldDef, raw: Any) -> tuple[Any, dict[str, Any] | None]:
    name = definition.name
    if raw is None or raw == "":
        return None, None
    try:
        value = _convert(definition, raw)
    except (ValueError, TypeError):
        msg = f"{definition.label}: value not of required type: {raw}"
        return None, error_item(ErrorCode.INVALID_TYPE_ON_FIELD_IN_RECORD, msg, [name])
    if definition.type == FieldType.EMAIL and not _EMAIL_RE.match(str(value)):
        return None, error_item(
            ErrorCode.INVALID_EMAIL_ADDRESS, f"{definition.label}: invalid email address: {raw}", [name]
        )
    if definition.restricted and value not in definition.picklist:
        msg = f"{definition.label}: bad value for restricted picklist field: {value}"
        return None, error_item(ErrorCode.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, msg, [name])
    if isinstance(value, str) and definition.length and len(value) > definition.length:
        msg = f"{definition.label}: data value too large: {value[:40]} (max length={definition.length})"
        return None, error_item(ErrorCode.STRING_TOO_LONG, msg, [name])
    return value, None


def _convert(definition: FieldDef, raw: Any) -> Any:
    kind = definition.type
    if kind == FieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in {"true", "false"}:
            return str(raw).lower() == "true"
        raise ValueError(raw)
    if kind == FieldType.DATETIME:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00").replace("+0000", "+00:00"))
    if kind == FieldType.DATE:
        return date.fromisoformat(str(raw)[:10])
    if kind in {FieldType.DOUBLE, FieldType.CURRENCY, FieldType.PERCENT}:
        return float(raw)
    if kind == FieldType.INT:
        return int(raw)
    if kind in {FieldType.ID, FieldType.REFERENCE}:
        if not is_id(str(raw)):
            raise ValueError(raw)
        return to18(str(raw))
    return str(raw)


def _check_values(write: Write, raw: dict[str, Any], *, creating: bool) -> None:
    denied = []
    for name, value in raw.items():
        if name in _SYSTEM or name == "Id":
            continue
        definition = write.obj.field(name)
        if definition is None:
            msg = f"No such column '{name}' on sobject of type {write.obj.name}"
            write.errors.append(error_item(ErrorCode.INVALID_FIELD, msg, [name]))
            continue
        if not (definition.createable if creating else definition.updateable):
            denied.append(definition.name)
            continue
        converted, problem = _coerce(definition, value)
        if problem:
            write.errors.append(problem)
        else:
            write.values[definition.name] = converted
    if denied:
        msg = (
            f"Unable to create/update fields: {', '.join(denied)}. Please check the security settings of this field "
            "and verify that it is read/write for your profile or permission set."
        )
        write.errors.append(error_item(ErrorCode.INVALID_FIELD_FOR_INSERT_UPDATE, msg, denied))


def _check_references(org: Org, write: Write) -> None:
    """Refuse a lookup to an object of the wrong type, or to a record that does not exist or is deleted."""
    for name, value in write.values.items():
        definition = write.obj.fields[name]
        known = [t for t in definition.reference_to if t in org.objects]
        if definition.type != FieldType.REFERENCE or value is None or not known:
            continue
        sobject = org.object_for_id(str(value))
        target = org.get(sobject, str(value)) if sobject in known else None
        if sobject not in known:
            msg = f"{definition.label}: id value of incorrect type: {value}"
            write.errors.append(error_item(ErrorCode.FIELD_INTEGRITY_EXCEPTION, msg, [name]))
        elif target is None:
            write.errors.append(error_item(ErrorCode.INVALID_CROSS_REFERENCE_KEY, "invalid cross reference id", [name]))
        elif target.get("IsDeleted"):
            write.errors.append(error_item(ErrorCode.ENTITY_IS_DELETED, "entity is deleted", [name]))


def _check_required(write: Write, *, creating: bool) -> None:
    missing = []
    for definition in write.obj.fields.values():
        if definition.nillable or not definition.createable or definition.type == FieldType.BOOLEAN:
            continue
        present = definition.name in write.values
        value = write.values.get(definition.name)
        if (creating and not present and definition.default is None) or (
            present and (value is None or not str(value).strip())
        ):
            missing.append(definition.name)
    if missing:
        msg = f"Required fields are missing: [{', '.join(missing)}]"
        write.errors.append(error_item(ErrorCode.REQUIRED_FIELD_MISSING, msg, missing))


def _check_object_rules(write: Write) -> None:
    if write.obj.on_write is not None and not (write.target or {}).get("IsDeleted"):
        write.errors.extend(write.obj.on_write(write.target, write.values))


def _check_target(write: Write, control: SalesforceControl, record_id: str) -> None:
    if write.target is None:
        msg = f"{write.obj.label} ID: id value of incorrect type: {record_id}"
        write.errors.append(error_item(ErrorCode.MALFORMED_ID, msg, ["Id"]))
        return
    if write.target.get("IsDeleted"):
        write.errors.append(error_item(ErrorCode.ENTITY_IS_DELETED, "entity is deleted", []))
    if write.target["Id"] in control.failing_ids:
        msg = "Contactpoint sandbox validation rule: this record does not accept changes"
        write.errors.append(error_item(ErrorCode.FIELD_CUSTOM_VALIDATION_EXCEPTION, msg, []))


def plan_update(org: Org, control: SalesforceControl, obj: ObjectDef, record_id: str, raw: dict[str, Any]) -> Write:
    """Check an update of record ``record_id`` with ``raw`` field values."""
    write = Write("update", obj)
    write.target = org.get(obj.name, record_id) if is_id(record_id) else None
    _check_target(write, control, record_id)
    _check_values(write, raw, creating=False)
    _check_object_rules(write)
    _check_references(org, write)
    _check_required(write, creating=False)
    return write


def plan_insert(org: Org, control: SalesforceControl, obj: ObjectDef, raw: dict[str, Any]) -> Write:
    """Check an insert of a new ``obj`` record."""
    write = Write("insert", obj)
    if raw.get("Id"):
        write.errors.append(error_item(ErrorCode.INVALID_FIELD, "cannot specify Id in an insert call", ["Id"]))
    _check_values(write, raw, creating=True)
    _check_object_rules(write)
    _check_references(org, write)
    _check_required(write, creating=True)
    return write


def plan_upsert(
    org: Org, control: SalesforceControl, obj: ObjectDef, ext_field: FieldDef, value: str, raw: dict[str, Any]
) -> Write:
    """Check an upsert keyed by external ID field ``ext_field`` = ``value``."""
    matches = org.find_by(obj.name, ext_field.name, value)
    if len(matches) > 1:
        write = Write("upsert", obj)
        msg = f"{ext_field.name}: more than one record found for external id field: {[r['Id'] for r in matches]}"
        write.errors.append(error_item(ErrorCode.DUPLICATE_VALUE, msg, [ext_field.name]))
        return write
    body = {k: v for k, v in raw.items() if k.lower() != ext_field.name.lower()}
    if matches:
        write = plan_update(org, control, obj, matches[0]["Id"], body)
    else:
        write = plan_insert(org, control, obj, body | {ext_field.name: value})
    write.op = "upsert"
    return write


def plan_delete(org: Org, control: SalesforceControl, obj: ObjectDef, record_id: str) -> Write:
    """Check a delete of record ``record_id``."""
    write = Write("delete", obj)
    write.target = org.get(obj.name, record_id) if is_id(record_id) else None
    _check_target(write, control, record_id)
    if write.target is not None and write.target["Id"] in control.undeletable_ids:
        msg = (f"Your attempt to delete {write.obj.label} {write.target['Id']} could not be completed because it is "
               "associated with the following cases.: 00001026")  # fmt: skip
        write.errors.append(error_item(ErrorCode.DELETE_FAILED, msg, []))
    return write


def commit(org: Org, write: Write) -> Outcome:
    """Apply a checked write (or report its errors); returns its outcome."""
    if write.errors:
        return Outcome(id=None, success=False, created=False, errors=write.errors)
    with org.lock:
        if write.target is None:
            record = org.insert(write.obj.name, write.values)
            return Outcome(id=record["Id"], success=True, created=True, errors=[])
        if write.op == "delete":
            org.update(write.target, {"IsDeleted": True})
        else:
            org.update(write.target, write.values)
        return Outcome(id=write.target["Id"], success=True, created=False, errors=[])
