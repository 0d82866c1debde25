"""Field provisioning: create the custom fields write-back fills, idempotently.

The fields are declared once, in the mapping's ``writeback:`` sections
(``profile_id: Contactpoint_Profile_Id__c``...). ``contactpoint setup salesforce``
reads them and hands this module one ``FieldSpec`` per (object, field, source);
the Salesforce type of each field follows from its source (``TYPE_BY_SOURCE``).

    field_specs(targets, config) ─→ [FieldSpec]   the targets on writable objects
    plan(client, specs, settings) ─→ SetupPlan
        ├── fields       describe each object; CREATE the missing ones
        ├── layouts      each page layout lacking a field: PLACE it in the section
        └── grants       each permission set lacking read (or edit) on a field: GRANT
    apply(client, plan, settings) ─→ SetupPlan with CREATED / PLACED / GRANTED
    SetupPlan.generic(system) ─→ connectors.base.SetupPlan   what ``provision`` returns

Running it again changes nothing. A field that appears between plan and apply
(another admin, a second run) counts as existing, not as an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from connectors.base import SetupAction, SetupChange, WritebackTarget
from connectors.base import SetupPlan as Plan
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SalesforceConfig, SetupSettings
from connectors.salesforce.visibility import (
    GrantChange,
    LayoutChange,
    apply_grants,
    apply_layouts,
    plan_grants,
    plan_layouts,
)
from core.errors import FatalApiError

__all__ = [
    "TYPE_BY_SOURCE",
    "FieldChange",
    "FieldSpec",
    "GrantChange",
    "LayoutChange",
    "SetupPlan",
    "apply",
    "field_metadata",
    "field_specs",
    "plan",
]

log = structlog.get_logger(__name__)

_TEXT_255: dict[str, Any] = {"type": "Text", "length": 255}
TYPE_BY_SOURCE: dict[str, dict[str, Any]] = {
    # an external ID to find a profile's records by, not unique: one profile may hold several duplicates
    "profile_id": {"type": "Text", "length": 64, "externalId": True},
    "enrichment.intent_score": {"type": "Number", "precision": 5, "scale": 2},
    "enrichment.open_tickets": {"type": "Number", "precision": 6, "scale": 0},
    "enrichment.segment": {"type": "Text", "length": 80},
    "suppression.reasons": {"type": "LongTextArea", "length": 4096, "visibleLines": 3},
    "alert.key": {"type": "Text", "length": 255, "externalId": True, "unique": True, "caseSensitive": True},
    "ledger.weekly_cap": {"type": "Number", "precision": 4, "scale": 0},
    "ledger.never_call": {"type": "Checkbox", "defaultValue": False},
}
"""Tooling API ``CustomField`` metadata by write-back source; see ``field_metadata`` for the rest."""

_SUPPRESSION = re.compile(r"^suppression\.[a-z_]+$")


def field_metadata(source: str, api_name: str) -> dict[str, Any]:
    """Return the ``CustomField`` metadata of the field that receives ``source``.

    ``suppression.<scope>`` is a Checkbox, ``golden.<field>`` and any other
    ``enrichment.<name>`` Text(255); the rest is in ``TYPE_BY_SOURCE``.
    """
    if source in TYPE_BY_SOURCE:
        kind = TYPE_BY_SOURCE[source]
    elif _SUPPRESSION.match(source):
        kind = {"type": "Checkbox", "defaultValue": False}
    else:
        kind = _TEXT_255
    label = api_name.removesuffix("__c").replace("_", " ")[:40]
    return {"label": label, **kind, "description": f"Set by Contactpoint write-back from {source}."}


@dataclass(frozen=True)
class FieldSpec:
    """One write-back field: the object, its API name and the value it receives."""

    sobject: str
    field: str
    source: str

    def metadata(self) -> dict[str, Any]:
        """Return this field's Tooling API ``CustomField`` metadata."""
        return field_metadata(self.source, self.field)


def field_specs(targets: Sequence[WritebackTarget], config: SalesforceConfig) -> list[FieldSpec]:
    """Return the write-back targets that land on objects configured as writable, as field specs."""
    writable = {o.name for o in config.objects if o.writable} | set(config.alert_objects)
    return [FieldSpec(t.stream, t.field, t.source) for t in targets if t.stream in writable]


@dataclass(frozen=True)
class FieldChange:
    """One write-back field on one object, and what setup does about it."""

    spec: FieldSpec
    action: SetupAction

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        return {
            "object": self.spec.sobject,
            "field": self.spec.field,
            "source": self.spec.source,
            "action": self.action.value,
            "type": self.spec.metadata()["type"],
        }

    def describe(self) -> str:
        """Return the line ``setup`` prints."""
        kind = self.spec.metadata()["type"]
        state = self.action.say("create", "created")
        return f"field {self.spec.sobject}.{self.spec.field} ({kind}, from {self.spec.source}): {state}"


@dataclass(frozen=True)
class SetupPlan:
    """Everything setup would do (or did): fields, layout placements and access grants."""

    fields: list[FieldChange] = field(default_factory=list)
    layouts: list[LayoutChange] = field(default_factory=list)
    grants: list[GrantChange] = field(default_factory=list)

    def pending(self) -> int:
        """Return how many changes are still to make."""
        changes: list[Any] = [*self.fields, *self.layouts, *self.grants]
        return sum(c.action.pending for c in changes)

    def done(self) -> int:
        """Return how many changes were made."""
        changes: list[Any] = [*self.fields, *self.layouts, *self.grants]
        return sum(c.action is SetupAction.DONE for c in changes)

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        return {
            "fields": [c.as_dict() for c in self.fields],
            "layouts": [c.as_dict() for c in self.layouts],
            "grants": [c.as_dict() for c in self.grants],
            "pending": self.pending(),
            "done": self.done(),
        }

    def generic(self, system: str) -> Plan:
        """Return the plan in the connector contract's terms (what ``setup`` prints)."""
        groups: list[tuple[str, list[FieldChange] | list[LayoutChange] | list[GrantChange]]] = [
            ("fields", self.fields), ("layouts", self.layouts), ("grants", self.grants)]  # fmt: skip
        changes = tuple(SetupChange(kind, c.action, c.describe(), c.as_dict()) for kind, group in groups for c in group)
        return Plan(system, changes, kinds=tuple(kind for kind, _ in groups))


def plan(client: SalesforceClient, specs: Sequence[FieldSpec], settings: SetupSettings) -> SetupPlan:
    """Find what is missing: fields, their places on the page layouts, read/edit access."""
    changes: list[FieldChange] = []
    for sobject in dict.fromkeys(s.sobject for s in specs):
        existing = {str(f["name"]).lower() for f in client.describe(sobject).get("fields", [])}
        for spec in (s for s in specs if s.sobject == sobject):
            changes.append(
                FieldChange(spec, SetupAction.EXISTS if spec.field.lower() in existing else SetupAction.CREATE)
            )
    layouts = plan_layouts(client, [(s.sobject, s.field) for s in specs])
    grants = plan_grants(client, [(s.sobject, s.field) for s in specs], settings)
    return SetupPlan(changes, layouts, grants)


def apply(client: SalesforceClient, setup: SetupPlan, settings: SetupSettings) -> SetupPlan:
    """Make the pending changes of ``setup`` (fields first); return what was done.

    Raises:
        FatalApiError: Salesforce refused a change for another reason than it being there already.
    """
    fields = [_create_field(client, change) for change in setup.fields]
    layouts = apply_layouts(client, setup.layouts, section=settings.layout_section)
    grants = apply_grants(client, setup.grants)
    return SetupPlan(fields, layouts, grants)


def _create_field(client: SalesforceClient, change: FieldChange) -> FieldChange:
    if change.action is not SetupAction.CREATE:
        return change
    spec = change.spec
    body = {"FullName": f"{spec.sobject}.{spec.field}", "Metadata": spec.metadata()}
    try:
        client.tooling_create("CustomField", body)
    except FatalApiError as err:
        if err.context.get("error_code") != "DUPLICATE_DEVELOPER_NAME":
            raise
        return replace(change, action=SetupAction.EXISTS)
    log.info("salesforce.field_created", system=client.system, stream=spec.sobject, record_id=spec.field)
    return replace(change, action=SetupAction.DONE)
