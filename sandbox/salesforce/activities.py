"""Activities: the ``Task`` sObject, a to-do about a person, assigned to a user.

``WhoId`` names the person (a Contact or a Lead: a polymorphic reference, read
through the ``Who`` relationship), ``WhatId`` what it is about (an Account or an
Opportunity, read through ``What``), ``OwnerId`` the user it is assigned to. ``Status``
and ``Priority`` are required but defaulted on create (``Not Started``, ``Normal``);
``IsClosed`` and ``IsHighPriority`` are computed from them. Create, read, update and query go through the usual sObject,
Collections, Bulk 2.0 and query resources.

Salesforce has no standard external ID on Task. A client that must create a Task once
(an alert raised again by a later run) creates a custom external-ID field with the
Tooling API (``Task.Contactpoint_Alert_Key__c``: Text, ``externalId``, ``unique``) and
upserts on it (``PATCH sobjects/Task/Contactpoint_Alert_Key__c/{key}``); without one it
has to query first (``WHERE WhoId = ... AND Subject = ...``), which two concurrent runs
can both pass.
"""

from __future__ import annotations

from sandbox.salesforce.org import Org
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef, add_system_fields

__all__ = ["TASK_PRIORITIES", "TASK_STATUSES", "install_activities"]

TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
"""Task statuses of a fresh org; only ``Completed`` is a closed one."""
TASK_PRIORITIES = ("High", "Normal", "Low")
_CLOSED = {"Completed"}


def _task() -> ObjectDef:
    obj = ObjectDef("Task", "Task", "00T")
    add_system_fields(obj, merge=False)
    # OwnerId stays optional on create: the signed-in user is the default owner
    obj.add_field(FieldDef("OwnerId", FieldType.REFERENCE, "Assigned To ID", length=18, reference_to=("User",),
                           relationship_name="Owner"))  # fmt: skip
    obj.add_field(FieldDef("WhoId", FieldType.REFERENCE, "Name ID", length=18, reference_to=("Contact", "Lead"),
                           relationship_name="Who"))  # fmt: skip
    obj.add_field(FieldDef("WhatId", FieldType.REFERENCE, "Related To ID", length=18, reference_to=("Account", "Opportunity"),
                           relationship_name="What"))  # fmt: skip
    obj.add_field(FieldDef("Subject", FieldType.COMBOBOX, "Subject", length=255,
                           picklist=("Call", "Send Letter", "Send Quote", "Other")))  # fmt: skip
    obj.add_field(FieldDef("ActivityDate", FieldType.DATE, "Due Date Only"))
    obj.add_field(FieldDef("Status", FieldType.PICKLIST, "Status", length=40, nillable=False, picklist=TASK_STATUSES,
                           default="Not Started"))  # fmt: skip
    obj.add_field(FieldDef("Priority", FieldType.PICKLIST, "Priority", length=40, nillable=False,
                           picklist=TASK_PRIORITIES, default="Normal"))  # fmt: skip
    obj.add_field(FieldDef("Description", FieldType.TEXTAREA, "Comments", length=32_000))
    obj.add_field(
        FieldDef("Type", FieldType.PICKLIST, "Type", length=40, picklist=("Call", "Email", "Meeting", "Other"))
    )
    obj.add_field(FieldDef("TaskSubtype", FieldType.PICKLIST, "Task Subtype", length=40, updateable=False,
                           picklist=("Task", "Email", "Call"), default="Task"))  # fmt: skip
    for name, label in (("IsClosed", "Closed"), ("IsHighPriority", "High Priority")):
        obj.add_field(FieldDef(name, FieldType.BOOLEAN, label, nillable=False, updateable=False, createable=False))
    obj.derived["IsClosed"] = lambda record: record.get("Status") in _CLOSED
    obj.derived["IsHighPriority"] = lambda record: record.get("Priority") == "High"
    return obj


def install_activities(org: Org) -> None:
    """Add the ``Task`` object (with no records) to ``org``."""
    org.add_object(_task())
