"""The properties and groups a fresh HubSpot portal has for deals and tickets.

Options of the pipeline and stage properties come from ``pipelines``: a deal's ``pipeline``
and ``dealstage``, a ticket's ``hs_pipeline`` and ``hs_pipeline_stage``. Both objects' modify
time is ``hs_lastmodifieddate``.
"""

from __future__ import annotations

from typing import Any

from sandbox.hubspot.pipelines import PIPELINES
from sandbox.hubspot.schema import PropertyDef

__all__ = ["SALES_GROUPS", "deal_properties", "ticket_properties"]

SALES_GROUPS = {
    "deals": [("dealinformation", "Deal information")],
    "tickets": [("ticketinformation", "Ticket information")],
}

_PRIORITIES = (("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("URGENT", "Urgent"))
_CATEGORIES = (("PRODUCT_ISSUE", "Product issue"), ("BILLING_ISSUE", "Billing issue"),
               ("FEATURE_REQUEST", "Feature request"), ("GENERAL_INQUIRY", "General inquiry"))  # fmt: skip
_SOURCES = (("EMAIL", "Email"), ("CHAT", "Chat"), ("PHONE", "Phone"), ("FORM", "Form"))
_DEAL_TYPES = (("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))


def _choices(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False} for i, (value, label) in enumerate(pairs)
    ]


def _pipeline_options(obj: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the pipeline property's options, the stage property's options) of ``obj``."""
    pipes = PIPELINES[obj]
    stages = tuple((s.id, s.label) for p in pipes for s in p.stages)
    return _choices(tuple((p.id, p.label) for p in pipes)), _choices(stages)


def _system(group: str) -> list[PropertyDef]:
    return [
        PropertyDef("createdate", "Create Date", "datetime", "date", group, read_only=True),
        PropertyDef("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group, read_only=True),
        PropertyDef("hs_object_id", "Record ID", "number", "number", group, read_only=True, unique=True),
        PropertyDef(
            "hubspot_owner_id", "Owner", "enumeration", "select", group, options=_choices((("910901", "Owner"),))
        ),
    ]


def deal_properties() -> list[PropertyDef]:
    """A fresh portal's deal properties."""
    group = "dealinformation"
    pipelines, stages = _pipeline_options("deals")
    return [
        PropertyDef("dealname", "Deal Name", "string", "text", group),
        PropertyDef("amount", "Amount", "number", "number", group),
        PropertyDef("closedate", "Close Date", "datetime", "date", group),
        PropertyDef("pipeline", "Pipeline", "enumeration", "select", group, options=pipelines),
        PropertyDef("dealstage", "Deal Stage", "enumeration", "radio", group, options=stages),
        PropertyDef("dealtype", "Deal Type", "enumeration", "radio", group, options=_choices(_DEAL_TYPES)),
        PropertyDef("description", "Deal Description", "string", "textarea", group),
        PropertyDef("hs_merged_object_ids", "Merged Deal IDs", "string", "text", group, read_only=True),
        *_system(group),
    ]


def ticket_properties() -> list[PropertyDef]:
    """A fresh portal's ticket properties."""
    group = "ticketinformation"
    pipelines, stages = _pipeline_options("tickets")
    return [
        PropertyDef("subject", "Ticket name", "string", "text", group),
        PropertyDef("content", "Ticket description", "string", "textarea", group),
        PropertyDef("hs_pipeline", "Pipeline", "enumeration", "select", group, options=pipelines),
        PropertyDef("hs_pipeline_stage", "Ticket status", "enumeration", "select", group, options=stages),
        PropertyDef("hs_ticket_priority", "Priority", "enumeration", "select", group, options=_choices(_PRIORITIES)),
        PropertyDef("hs_ticket_category", "Category", "enumeration", "checkbox", group, options=_choices(_CATEGORIES)),
        PropertyDef("source_type", "Source", "enumeration", "select", group, options=_choices(_SOURCES)),
        PropertyDef("closed_date", "Close date", "datetime", "date", group),
        PropertyDef("hs_merged_object_ids", "Merged Ticket IDs", "string", "text", group, read_only=True),
        *_system(group),
    ]
