"""Field provisioning: create the custom fields write-back fills, idempotently.

``contactpoint setup salesforce`` calls ``plan`` (describe each writable object, list
which write-back fields exist and which are missing) and, unless ``--dry-run``,
``apply`` (one Tooling API ``CustomField`` create per missing field). Running it
again changes nothing. A field that appears between plan and apply (another admin,
a second run) counts as existing, not as an error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from core.errors import FatalApiError

__all__ = ["FIELD_SPECS", "FieldAction", "FieldChange", "apply", "plan"]

log = structlog.get_logger(__name__)


class FieldAction(StrEnum):
    """What setup does (or did) for one field."""

    EXISTS = "exists"
    CREATE = "create"
    CREATED = "created"


FIELD_SPECS: dict[str, dict[str, Any]] = {
    "profile_id": {"label": "Contactpoint Profile ID", "type": "Text", "length": 64, "externalId": True},
    "intent": {"label": "Contactpoint Intent Score", "type": "Number", "precision": 5, "scale": 2},
    "segment": {"label": "Contactpoint Segment", "type": "Text", "length": 80},
    "open_tickets": {"label": "Contactpoint Open Tickets", "type": "Number", "precision": 6, "scale": 0},
    "suppressed": {"label": "Contactpoint Suppressed", "type": "Checkbox", "defaultValue": False},
    "suppression_reason": {"label": "Contactpoint Suppression Reason", "type": "Text", "length": 255},
}
"""Tooling API ``CustomField`` metadata of each write-back field, by logical name."""


@dataclass
class FieldChange:
    """One write-back field on one object, and what setup does about it."""

    sobject: str
    field: str
    logical: str
    action: FieldAction
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        return {
            "object": self.sobject,
            "field": self.field,
            "logical": self.logical,
            "action": self.action.value,
            "type": self.metadata.get("type"),
        }


def plan(client: SalesforceClient, config: SalesforceConfig) -> list[FieldChange]:
    """List every write-back field of every writable object, marking those to create."""
    changes: list[FieldChange] = []
    for obj in (o for o in config.objects if o.writable):
        existing = {str(f["name"]) for f in client.describe(obj.name).get("fields", [])}
        for logical, name in config.writeback.by_logical_name().items():
            action = FieldAction.EXISTS if name in existing else FieldAction.CREATE
            changes.append(FieldChange(obj.name, name, logical, action, dict(FIELD_SPECS[logical])))
    return changes


def apply(client: SalesforceClient, changes: list[FieldChange]) -> list[FieldChange]:
    """Create the fields marked CREATE; return the changes with their outcome.

    Raises:
        FatalApiError: Salesforce refused a field for another reason than it existing.
    """
    done: list[FieldChange] = []
    for change in changes:
        if change.action is not FieldAction.CREATE:
            done.append(change)
            continue
        body = {"FullName": f"{change.sobject}.{change.field}", "Metadata": change.metadata}
        try:
            client.tooling_create("CustomField", body)
        except FatalApiError as err:
            if err.context.get("error_code") != "DUPLICATE_DEVELOPER_NAME":
                raise
            done.append(FieldChange(change.sobject, change.field, change.logical, FieldAction.EXISTS, change.metadata))
            continue
        log.info("salesforce.field_created", system=client.system, stream=change.sobject, record_id=change.field)
        done.append(FieldChange(change.sobject, change.field, change.logical, FieldAction.CREATED, change.metadata))
    return done
