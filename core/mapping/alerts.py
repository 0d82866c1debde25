"""The ``alerts:`` section of a mapping: how a policy alert becomes a record in the system.

    alerts:
      Task:                                   # the object the policies' alert targets name
        key_field: Contactpoint_Alert_Key__c  # an external ID: the Task is upserted on it
        fields:
          Subject: alert.title
          Description: alert.text
          WhoId: record.id                    # the Contact the alert is about
          OwnerId: record.OwnerId             # that Contact's owner, as pulled
          Priority: {constant: High}

``AlertTemplate.render`` turns one stored alert and the record it is attached to into
the vendor fields; the key field is set to the alert's key, so writing it again never
creates a second record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.mapping.paths import parse_path

__all__ = ["ALERT_VALUES", "AlertTemplate", "check_alert_value"]

ALERT_VALUES = ("alert.key", "alert.title", "alert.text", "alert.kind", "alert.raised_at", "alert.source", "record.id")
"""The names a field may take its value from, besides ``record.<path>`` and ``{constant: ...}``."""


def check_alert_value(value: Any) -> str | None:
    """Return what is wrong with one field's value spec (None when it is fine)."""
    if isinstance(value, dict):
        return None if set(value) == {"constant"} else "a value is a name (alert.title) or {constant: ...}"
    if value in ALERT_VALUES:
        return None
    if isinstance(value, str) and value.startswith("record.") and len(value) > len("record."):
        try:
            parse_path(value.removeprefix("record."))
        except ValueError as err:
            return str(err)
        return None
    return f"'{value}' is not an alert value; valid: {', '.join(ALERT_VALUES)}, record.<path>, {{constant: ...}}"


@dataclass(frozen=True)
class AlertTemplate:
    """One object alerts become in a system."""

    object: str
    key_field: str
    fields: Mapping[str, Any]

    def render(
        self, alert: Mapping[str, Any], record_id: str | None, record: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Return the vendor fields for one alert attached to ``record`` (its ID and its pulled raw data)."""
        out: dict[str, Any] = {}
        for vendor_field, spec in self.fields.items():
            if isinstance(spec, dict):
                out[vendor_field] = spec["constant"]
            elif spec == "record.id":
                out[vendor_field] = record_id
            elif spec.startswith("record."):
                out[vendor_field] = parse_path(spec.removeprefix("record.")).get(record or {})
            else:
                out[vendor_field] = alert.get(spec.removeprefix("alert."))
        out[self.key_field] = alert["key"]
        return {name: value for name, value in out.items() if value is not None}
