"""Property provisioning: the group and properties write-back fills, made idempotently.

The properties are declared once, in the mapping's ``writeback:`` sections
(``profile_id: contactpoint_profile_id``...). ``contactpoint setup hubspot`` hands the
targets to ``provision``; the HubSpot type of each property follows from its source
(``TYPE_BY_SOURCE``). For each writable object with targets:

    groups       GET  /crm/v3/properties/{object}/groups   the group missing: CREATE
    properties   GET  /crm/v3/properties/{object}           each property missing: CREATE

Running it again changes nothing; a group or property that appears between plan and
apply (HubSpot answers 409) counts as existing. A property that exists with another
type is reported, not changed: HubSpot keeps values of the old type.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from connectors.base import SetupAction, SetupChange, SetupPlan, WritebackTarget
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from core.errors import ConnectorConfigError

__all__ = ["KINDS", "TYPE_BY_SOURCE", "Change", "apply", "plan", "property_definition"]

log = structlog.get_logger(__name__)

KINDS = ("groups", "properties")
_TEXT = {"type": "string", "fieldType": "text"}
TYPE_BY_SOURCE: dict[str, dict[str, Any]] = {
    # not unique: one profile may hold several duplicate contacts, each stamped with it
    "profile_id": {"type": "string", "fieldType": "text"},
    "enrichment.intent_score": {"type": "number", "fieldType": "number"},
    "enrichment.open_tickets": {"type": "number", "fieldType": "number"},
    "suppression.reasons": {"type": "string", "fieldType": "textarea"},
    "ledger.weekly_cap": {"type": "number", "fieldType": "number"},
}
"""HubSpot property types by write-back source; ``suppression.<scope>`` is a checkbox, the rest text."""

_SUPPRESSION = re.compile(r"^suppression\.[a-z_]+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def property_definition(source: str, name: str, group: str) -> dict[str, Any]:
    """Return the ``POST /crm/v3/properties/{object}`` body of the property receiving ``source``."""
    if source in TYPE_BY_SOURCE:
        kind = TYPE_BY_SOURCE[source]
    elif _SUPPRESSION.match(source):
        kind = {"type": "bool", "fieldType": "booleancheckbox",
                "options": [{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}]}  # fmt: skip
    else:
        kind = _TEXT
    label = name.replace("_", " ").capitalize()[:100]
    return {"name": name, "label": label, "groupName": group, **kind,
            "description": f"Set by Contactpoint write-back from {source}."}  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One group or property and what setup does about it."""

    kind: str
    obj: str
    name: str
    action: SetupAction
    body: dict[str, Any]
    note: str = ""

    def line(self) -> str:
        """The line ``setup`` prints."""
        if self.kind == "groups":
            return (
                f"property group {self.obj}.{self.name} ({self.body['label']}): {self.action.say('create', 'created')}"
            )
        source = self.body["description"].removeprefix("Set by Contactpoint write-back from ").rstrip(".")
        state = self.action.say("create", "created")
        return f"property {self.obj}.{self.name} ({self.body['type']}, from {source}): {state}{self.note}"

    def generic(self) -> SetupChange:
        """The change in the connector contract's terms."""
        detail = {"object": self.obj, "name": self.name, "action": self.action.value}
        if self.kind == "properties":
            detail |= {"type": self.body["type"], "fieldType": self.body["fieldType"], "group": self.body["groupName"]}
        return SetupChange(self.kind, self.action, self.line(), detail)


def _targets(targets: Sequence[WritebackTarget], config: HubSpotConfig) -> list[WritebackTarget]:
    writable = {o.name for o in config.objects if o.writable}
    chosen = [t for t in targets if t.stream in writable]
    bad = sorted({t.field for t in chosen if not _NAME.match(t.field)})
    if bad:
        msg = f"HubSpot property names must be lower case letters, digits and _; the mapping names {', '.join(bad)}"
        raise ConnectorConfigError(
            msg, hint="rename them in the mapping's writeback: section, e.g. contactpoint_profile_id"
        )
    return chosen


def plan(client: HubSpotClient, targets: Sequence[WritebackTarget], config: HubSpotConfig) -> list[Change]:
    """Find what is missing: the group and the properties on each writable object the targets name.

    Raises:
        ConnectorConfigError: A target's property name is not one HubSpot accepts.
    """
    group, label = config.setup.group_name, config.setup.group_label
    changes: list[Change] = []
    chosen = _targets(targets, config)
    for obj in dict.fromkeys(t.stream for t in chosen):
        groups = {g["name"] for g in client.groups(obj) if not g.get("archived")}
        action = SetupAction.EXISTS if group in groups else SetupAction.CREATE
        changes.append(Change("groups", obj, group, action, {"name": group, "label": label, "displayOrder": -1}))
        existing = {p["name"]: p for p in client.properties(obj)}
        for target in (t for t in chosen if t.stream == obj):
            body = property_definition(target.source, target.field, group)
            found = existing.get(target.field)
            note = (
                f" (it is {found.get('type')}, not {body['type']}; left as it is)"
                if found and found.get("type") != body["type"]
                else ""
            )
            changes.append(
                Change("properties", obj, target.field, SetupAction.EXISTS if found else SetupAction.CREATE, body, note)
            )
    return changes


def apply(client: HubSpotClient, changes: Sequence[Change]) -> list[Change]:
    """Make the pending changes (groups first, as their properties need them); return what was done.

    Raises:
        ConnectorError: HubSpot refused a change for another reason than it being there already.
    """
    done = []
    for change in changes:
        if change.action is not SetupAction.CREATE:
            done.append(change)
            continue
        path = f"/crm/v3/properties/{change.obj}" + ("/groups" if change.kind == "groups" else "")
        made = client.create(path, change.body, operation=f"create_{change.kind[:-1]}", stream=change.obj)
        if made:
            log.info("hubspot.property_created", system=client.system, stream=change.obj, record_id=change.name)
        done.append(replace(change, action=SetupAction.DONE if made else SetupAction.EXISTS))
    return done


def as_plan(system: str, changes: Sequence[Change]) -> SetupPlan:
    """The changes as the connector contract's ``SetupPlan``."""
    return SetupPlan(system, tuple(c.generic() for c in changes), kinds=KINDS)
