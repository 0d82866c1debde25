"""User field provisioning: create the custom user fields write-back fills, idempotently.

The fields are declared once, in the mapping's ``writeback:`` section of ``users``
(``profile_id: user_fields.contactpoint_profile_id``...). ``contactpoint setup zendesk``
hands ``plan`` the write-back targets; each ``user_fields.<key>`` on the users stream is
a custom user field whose type follows from its source (``TYPE_BY_SOURCE``); plain
attributes (``notes``, ``tags``) need nothing.

    plan(client, targets) ─→ [FieldChange]     list user_fields once; CREATE the missing keys
    apply(client, changes) ─→ [FieldChange]    POST user_fields for each; DONE
    as_plan(system, changes) ─→ SetupPlan      what ``provision`` returns

Running it again changes nothing. A key created between plan and apply (another admin,
a second run) counts as existing. A field that exists with another type is left as it
is and its line says so: changing a field's type is an admin's decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from connectors.base import SetupAction, SetupChange, SetupPlan, WritebackTarget
from connectors.helpdesk.zendesk.client import ZendeskClient
from connectors.helpdesk.zendesk.writeback import FIELD_PREFIX
from core.errors import FatalApiError

__all__ = ["TYPE_BY_SOURCE", "FieldChange", "apply", "as_plan", "field_type", "plan"]

log = structlog.get_logger(__name__)

TYPE_BY_SOURCE: dict[str, str] = {
    "profile_id": "text",
    "enrichment.intent_score": "decimal",
    "enrichment.open_tickets": "integer",
    "enrichment.segment": "text",
    "suppression.reasons": "textarea",
}
"""Zendesk user field type by write-back source; see ``field_type`` for the rest."""

_SUPPRESSION = re.compile(r"^suppression\.[a-z_]+$")


def field_type(source: str) -> str:
    """Return the user field type for ``source``: ``suppression.<scope>`` is a checkbox, others text by default."""
    if source in TYPE_BY_SOURCE:
        return TYPE_BY_SOURCE[source]
    return "checkbox" if _SUPPRESSION.match(source) else "text"


@dataclass(frozen=True)
class FieldChange:
    """One write-back user field, and what setup does about it."""

    key: str
    source: str
    type: str
    action: SetupAction
    existing_type: str | None = None

    def definition(self) -> dict[str, Any]:
        """The ``user_field`` body that creates it."""
        title = self.key.replace("_", " ").strip().capitalize()
        return {"key": self.key, "type": self.type, "title": title[:255],
                "description": f"Set by Contactpoint write-back from {self.source}.", "active": True}  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form printed by ``setup --json``."""
        return {"field": f"{FIELD_PREFIX}{self.key}", "key": self.key, "source": self.source, "type": self.type,
                "action": self.action.value, "existing_type": self.existing_type}  # fmt: skip

    def describe(self) -> str:
        """Return the line ``setup`` prints."""
        state = self.action.say("create", "created")
        if self.existing_type and self.existing_type != self.type:
            state += f", but as {self.existing_type}: change it in Admin Center if write-back fails"
        return f"user field {self.key} ({self.type}, from {self.source}): {state}"


def wanted(targets: Sequence[WritebackTarget]) -> list[tuple[str, str]]:
    """(key, source) of every ``user_fields.<key>`` target on the users stream, first mention kept."""
    seen: dict[str, str] = {}
    for target in targets:
        if target.stream == "users" and target.field.startswith(FIELD_PREFIX):
            seen.setdefault(target.field.removeprefix(FIELD_PREFIX), target.source)
    return list(seen.items())


def plan(client: ZendeskClient, targets: Sequence[WritebackTarget]) -> list[FieldChange]:
    """Find which write-back user fields are missing (one listing of the account's user fields)."""
    needed = wanted(targets)
    if not needed:
        return []
    existing = {str(f["key"]): str(f.get("type")) for f in client.user_fields()}
    changes = []
    for key, source in needed:
        action = SetupAction.EXISTS if key in existing else SetupAction.CREATE
        changes.append(FieldChange(key, source, field_type(source), action, existing.get(key)))
    return changes


def apply(client: ZendeskClient, changes: Sequence[FieldChange]) -> list[FieldChange]:
    """Create the pending user fields; return what was done.

    Raises:
        FatalApiError: Zendesk refused a field for another reason than its key being taken.
    """
    done = []
    for change in changes:
        if not change.action.pending:
            done.append(change)
            continue
        try:
            client.create_user_field(change.definition())
        except FatalApiError as err:
            if "already being used" not in err.message and "DuplicateValue" not in err.message:
                raise
            done.append(replace(change, action=SetupAction.EXISTS))
            continue
        log.info("zendesk.user_field_created", system=client.system, stream="users", field=change.key)
        done.append(replace(change, action=SetupAction.DONE))
    return done


def as_plan(system: str, changes: Sequence[FieldChange]) -> SetupPlan:
    """Return the changes in the connector contract's terms (what ``setup`` prints)."""
    items = tuple(SetupChange("user_fields", c.action, c.describe(), c.as_dict()) for c in changes)
    return SetupPlan(system, items, kinds=("user_fields",))
