"""The properties and property groups a fresh HubSpot portal has, for contacts and companies (deals, tickets: ``sales``).

A property has HubSpot's definition shape (``name``, ``label``, ``type``,
``fieldType``, ``groupName``, ``options``...). ``type`` says how values are checked
and compared in search: ``string``, ``number``, ``date``, ``datetime``, ``bool``,
``enumeration``. Values are stored and sent as strings, as HubSpot sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CURSOR_PROPERTY",
    "DEFAULT_PROPERTIES",
    "OBJECT_TYPES",
    "PropertyDef",
    "Schema",
    "check_value",
    "object_type",
]

OBJECT_TYPES = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
"""Object names and their type IDs; either form names the object in a URL."""

SUBSCRIPTION_TYPES = {
    "1001": ("Marketing Information", "Product news, offers and events"),
    "1002": ("One to One", "Emails from your account team"),
    "1003": ("Customer Service Communication", "Updates about your support requests"),
}
"""The portal's email subscription types: ID -> (name, description); each has its contact property
``hs_email_optout_<id>`` ("Opted out of email: <name>")."""
CURSOR_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate", "deals": "hs_lastmodifieddate",
                   "tickets": "hs_lastmodifieddate"}  # fmt: skip
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "tickets": (
        "content",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
        "hs_pipeline",
        "hs_pipeline_stage",
        "hs_ticket_category",
        "hs_ticket_priority",
        "subject",
    ),
}
"""What a read returns when the client names no properties (as HubSpot does)."""

_CREATED = datetime(2019, 8, 6, 13, 50, 1, tzinfo=UTC)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
              "evangelist", "other")  # fmt: skip


def object_type(name: str) -> str | None:
    """Return ``contacts``, ``companies``, ``deals`` or ``tickets`` for a name or type ID in a URL, else None."""
    key = name.lower()
    if key in OBJECT_TYPES:
        return key
    return next((obj for obj, type_id in OBJECT_TYPES.items() if type_id == key), None)


@dataclass
class PropertyDef:
    """One property's definition."""

    name: str
    label: str
    type: str
    field_type: str
    group: str
    options: list[dict[str, Any]] = field(default_factory=list)
    read_only: bool = False
    unique: bool = False
    description: str = ""
    custom: bool = False
    archived: bool = False
    created_at: datetime = _CREATED
    updated_at: datetime = _CREATED

    def as_json(self) -> dict[str, Any]:
        """The definition as the properties API returns it."""
        from sandbox.hubspot.wire import iso

        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": self.description,
            "groupName": self.group,
            "options": self.options,
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "hubspotDefined": not self.custom,
            "formField": not self.read_only,
            "archived": self.archived,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "modificationMetadata": {
                "archivable": self.custom,
                "readOnlyDefinition": not self.custom,
                "readOnlyValue": self.read_only,
            },
        }


def _text(name: str, label: str, group: str = "contactinformation", **kw: Any) -> PropertyDef:
    return PropertyDef(name, label, "string", "text", group, **kw)


def _options(values: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"label": v.title(), "value": v, "displayOrder": i, "hidden": False} for i, v in enumerate(values)]


def _labelled(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    return [
        {"label": label, "value": value, "displayOrder": i, "hidden": False} for i, (value, label) in enumerate(pairs)
    ]


_LEAD_STATUSES = (
    ("NEW", "New"), ("OPEN", "Open"), ("IN_PROGRESS", "In Progress"), ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"), ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"), ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
)  # fmt: skip
"""HubSpot's default ``hs_lead_status`` options."""
_EMPLOYEES = ("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+")
"""HubSpot's default ``numemployees`` options (a contact's; a company's ``numberofemployees`` is a number)."""


BOOL_OPTIONS = [
    {"label": "Yes", "value": "true", "displayOrder": 0, "hidden": False},
    {"label": "No", "value": "false", "displayOrder": 1, "hidden": False},
]


def _contact_properties() -> list[PropertyDef]:
    return [
        _text("email", "Email", unique=True),
        _text("firstname", "First Name"),
        _text("lastname", "Last Name"),
        _text("phone", "Phone Number"),
        _text("mobilephone", "Mobile Phone Number"),
        _text("company", "Company Name"),
        _text("jobtitle", "Job Title"),
        _text("address", "Street Address"),
        _text("city", "City"),
        _text("state", "State/Region"),
        _text("zip", "Postal Code"),
        _text("country", "Country/Region"),
        PropertyDef("date_of_birth", "Date of birth", "date", "date", "contactinformation"),
        _text("website", "Website URL"),
        _text("fax", "Fax Number"),
        _text("salutation", "Salutation"),
        _text("industry", "Industry"),
        _text("twitterhandle", "Twitter Username"),
        PropertyDef("hs_whatsapp_phone_number", "WhatsApp Phone Number", "string", "phonenumber", "contactinformation"),
        PropertyDef("message", "Message", "string", "textarea", "contactinformation"),
        PropertyDef(
            "hs_lead_status",
            "Lead Status",
            "enumeration",
            "radio",
            "contactinformation",
            options=_labelled(_LEAD_STATUSES),
        ),
        PropertyDef(
            "numemployees",
            "Number of Employees",
            "enumeration",
            "select",
            "contactinformation",
            options=_labelled(tuple((v, v) for v in _EMPLOYEES)),
        ),
        PropertyDef(
            "hubspot_owner_id",
            "Contact owner",
            "enumeration",
            "select",
            "contactinformation",
            options=_labelled((("910901", "Owner"),)),
        ),
        PropertyDef(
            "lifecyclestage",
            "Lifecycle Stage",
            "enumeration",
            "radio",
            "contactinformation",
            options=_options(_LIFECYCLE),
        ),
        PropertyDef(
            "hs_email_optout",
            "Unsubscribed from all email",
            "bool",
            "booleancheckbox",
            "emailinformation",
            options=BOOL_OPTIONS,
            read_only=True,
        ),
        *(
            PropertyDef(
                f"hs_email_optout_{sid}",
                f"Opted out of email: {name}",
                "bool",
                "booleancheckbox",
                "emailinformation",
                options=BOOL_OPTIONS,
                read_only=True,
            )
            for sid, (name, _) in SUBSCRIPTION_TYPES.items()
        ),
        _text("hs_merged_object_ids", "Merged Contact IDs", read_only=True),
        PropertyDef("associatedcompanyid", "Primary Associated Company ID", "number", "number", "contactinformation"),
        *_system("lastmodifieddate"),
    ]


def _company_properties() -> list[PropertyDef]:
    group = "companyinformation"
    return [
        _text("name", "Company name", group),
        _text("domain", "Company Domain Name", group),
        _text("industry", "Industry", group),
        PropertyDef("numberofemployees", "Number of Employees", "number", "number", group),
        PropertyDef("annualrevenue", "Annual Revenue", "number", "number", group),
        _text("phone", "Phone Number", group),
        _text("address", "Street Address", group),
        _text("city", "City", group),
        _text("zip", "Postal Code", group),
        _text("country", "Country/Region", group),
        _text("hs_merged_object_ids", "Merged Company IDs", group, read_only=True),
        *_system("hs_lastmodifieddate"),
    ]


def _system(modified: str) -> list[PropertyDef]:
    return [
        PropertyDef("createdate", "Create Date", "datetime", "date", "contactinformation", read_only=True),
        PropertyDef(modified, "Last Modified Date", "datetime", "date", "contactinformation", read_only=True),
        PropertyDef("hs_object_id", "Record ID", "number", "number", "contactinformation", read_only=True, unique=True),
    ]


_GROUPS = {
    "contacts": [("contactinformation", "Contact information"), ("emailinformation", "Email information")],
    "companies": [("companyinformation", "Company information")],
}


@dataclass
class Schema:
    """The property definitions and groups of one object type."""

    properties: dict[str, PropertyDef]
    groups: dict[str, dict[str, Any]]

    @classmethod
    def default(cls, obj: str) -> Schema:
        """A fresh portal's properties and groups for ``contacts``, ``companies``, ``deals`` or ``tickets``."""
        from sandbox.hubspot.sales import SALES_GROUPS, deal_properties, ticket_properties

        makers = {"contacts": _contact_properties, "companies": _company_properties, "deals": deal_properties,
                  "tickets": ticket_properties}  # fmt: skip
        props = makers[obj]()
        groups = {
            name: {"name": name, "label": label, "displayOrder": i, "archived": False}
            for i, (name, label) in enumerate((_GROUPS | SALES_GROUPS)[obj])
        }
        return cls({p.name: p for p in props}, groups)

    def live(self, name: str) -> PropertyDef | None:
        """The property called ``name`` unless archived."""
        prop = self.properties.get(name)
        return prop if prop is not None and not prop.archived else None


def check_value(prop: PropertyDef, value: Any) -> tuple[str | None, str | None]:
    """Return (the value as stored, None) or (None, HubSpot's error code) for a value written to ``prop``."""
    if value is None or value == "":
        return "", None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if prop.type == "number":
        try:
            float(text)
        except ValueError:
            return None, "INVALID_DECIMAL"
    elif prop.type == "bool" and text.lower() not in {"true", "false"}:
        return None, "INVALID_BOOLEAN"
    elif prop.type == "enumeration" and text not in {o["value"] for o in prop.options}:
        return None, "INVALID_OPTION"
    elif prop.name == "email" and not _EMAIL.match(text):
        return None, "INVALID_EMAIL"
    elif prop.type in {"date", "datetime"} and not _valid_date(text):
        return None, "INVALID_DATE"
    return (text.lower() if prop.type == "bool" else text), None


def _valid_date(text: str) -> bool:
    from sandbox.hubspot.wire import parse_instant

    return parse_instant(text) is not None
