"""The sandbox org's objects and fields, and their describe JSON.

Objects: ``Account``, ``Contact``, ``Lead``, ``User`` and ``Wide_Object__c`` (450
long-named custom fields, so a SOQL query naming them all passes Salesforce's URL
limit). ``Contact.Contactpoint_Score_Formula__c`` is a formula field: its value can
change without ``SystemModstamp`` moving. Custom fields created through the Tooling
API are added at run time with ``ObjectDef.add_field``. Parent-to-child relationships
(``Account.Contacts``, ``Account.Opportunities``; ``Tasks`` of Accounts, Contacts, Leads and
Opportunities) are listed in ``CHILD_RELATIONSHIPS``, which describe's ``childRelationships``
and SOQL subqueries read. ``Task`` (``activities``) and ``Opportunity`` (``opportunities``)
are defined in their own modules and added when the sandbox starts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "CHILD_RELATIONSHIPS", "ChildRelationship", "FieldDef", "FieldType", "ObjectDef", "WIDE_FIELD_COUNT",
    "add_system_fields", "build_objects",
]  # fmt: skip

WIDE_FIELD_COUNT = 450


class FieldType(StrEnum):
    """Salesforce field types the sandbox uses (describe ``type``)."""

    ID = "id"
    STRING = "string"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    TEXTAREA = "textarea"
    PICKLIST = "picklist"
    COMBOBOX = "combobox"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    DOUBLE = "double"
    INT = "int"
    CURRENCY = "currency"
    PERCENT = "percent"
    REFERENCE = "reference"
    ADDRESS = "address"


_SOAP_TYPES = {
    FieldType.ID: "tns:ID",
    FieldType.REFERENCE: "tns:ID",
    FieldType.BOOLEAN: "xsd:boolean",
    FieldType.DATETIME: "xsd:dateTime",
    FieldType.DATE: "xsd:date",
    FieldType.DOUBLE: "xsd:double",
    FieldType.CURRENCY: "xsd:double",
    FieldType.PERCENT: "xsd:double",
    FieldType.INT: "xsd:int",
    FieldType.ADDRESS: "urn:address",
}


@dataclass(frozen=True)
class FieldDef:
    """One field of an object, as describe reports it."""

    name: str
    type: FieldType
    label: str = ""
    custom: bool = False
    calculated: bool = False
    updateable: bool = True
    createable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    length: int = 0
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    compound_field_name: str | None = None
    formula: str | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    """A restricted picklist: a value outside ``picklist`` is refused (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)."""
    default: str | None = None

    def describe(self) -> dict[str, Any]:
        """This field's entry in the describe ``fields`` list."""
        text = self.type in _TEXT_TYPES
        return {
            "aggregatable": self.type != FieldType.TEXTAREA,
            "autoNumber": False,
            "byteLength": self.length * 3
            if text or self.type == FieldType.PICKLIST
            else 18 * (self.type == FieldType.ID),
            "calculated": self.calculated,
            "calculatedFormula": self.formula,
            "caseSensitive": False,
            "compoundFieldName": self.compound_field_name,
            "createable": self.createable,
            "custom": self.custom,
            "defaultValue": False if self.type == FieldType.BOOLEAN else self.default,
            "defaultedOnCreate": self.type == FieldType.BOOLEAN or self.name in _SYSTEM_FIELDS or bool(self.default),
            "deprecatedAndHidden": False,
            "digits": 0,
            "externalId": self.external_id,
            "filterable": self.type != FieldType.ADDRESS,
            "groupable": self.type not in {FieldType.DOUBLE, FieldType.PERCENT, FieldType.DATETIME, FieldType.ADDRESS},
            "idLookup": self.type == FieldType.ID or self.external_id,
            "label": self.label or self.name,
            "length": self.length,
            "name": self.name,
            "nameField": self.name == "Name",
            "nillable": self.nillable,
            "picklistValues": [
                {"active": True, "defaultValue": v == self.default, "label": v, "validFor": None, "value": v}
                for v in self.picklist
            ],
            "precision": _PRECISION.get(self.type, 0),
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "restrictedPicklist": self.restricted,
            "scale": 2 if self.type in {FieldType.DOUBLE, FieldType.CURRENCY} else 0,
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
            "sortable": self.type not in {FieldType.TEXTAREA, FieldType.ADDRESS},
            "type": self.type.value,
            "unique": self.unique,
            "updateable": self.updateable,
        }


@dataclass(frozen=True)
class ChildRelationship:
    """A parent-to-child relationship: the parent reads the ``child`` records whose lookup ``field`` names it."""

    child: str
    field: str
    name: str
    cascade_delete: bool = False

    def describe(self) -> dict[str, Any]:
        """This relationship's entry in the describe ``childRelationships`` list."""
        return {
            "cascadeDelete": self.cascade_delete,
            "childSObject": self.child,
            "deprecatedAndHidden": False,
            "field": self.field,
            "junctionIdListNames": [],
            "junctionReferenceTo": [],
            "relationshipName": self.name,
            "restrictedDelete": False,
        }


CHILD_RELATIONSHIPS: dict[str, tuple[ChildRelationship, ...]] = {
    "Account": (
        ChildRelationship("Contact", "AccountId", "Contacts"),
        ChildRelationship("Opportunity", "AccountId", "Opportunities", cascade_delete=True),
        ChildRelationship("Task", "WhatId", "Tasks", cascade_delete=True),
    ),
    "Contact": (ChildRelationship("Task", "WhoId", "Tasks", cascade_delete=True),),
    "Lead": (ChildRelationship("Task", "WhoId", "Tasks", cascade_delete=True),),
    "Opportunity": (ChildRelationship("Task", "WhatId", "Tasks", cascade_delete=True),),
}
"""The named child relationships of each parent object (activities are deleted with their parent)."""

_TEXT_TYPES = {
    FieldType.STRING,
    FieldType.EMAIL,
    FieldType.PHONE,
    FieldType.URL,
    FieldType.TEXTAREA,
    FieldType.COMBOBOX,
}
_PRECISION = {FieldType.DOUBLE: 18, FieldType.CURRENCY: 18, FieldType.PERCENT: 3}
_SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp", "OwnerId", "CreatedById")


@dataclass
class ObjectDef:
    """One object: name, key prefix and fields in describe order."""

    name: str
    label: str
    key_prefix: str
    custom: bool = False
    fields: dict[str, FieldDef] = field(default_factory=dict)
    derived: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    """Read-only fields Salesforce computes from others (``Task.IsClosed``), by name."""
    on_write: Callable[[dict[str, Any] | None, dict[str, Any]], list[dict[str, Any]]] | None = None
    """The object's own rules for a checked write: given the stored record (None on create) and the
    written values, fills in what Salesforce defaults from them (``Opportunity.Probability`` from
    ``StageName``) and returns per-record errors."""
    _by_lower: dict[str, FieldDef] = field(default_factory=dict, repr=False)

    def add_field(self, definition: FieldDef) -> None:
        """Add (or replace) a field."""
        self.fields[definition.name] = definition
        self._by_lower[definition.name.lower()] = definition

    def field(self, name: str) -> FieldDef | None:
        """The field named ``name`` (any case), or None."""
        return self._by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        """The reference field whose relationship is called ``name`` (any case), or None."""
        lower = name.lower()
        for definition in self.fields.values():
            if definition.relationship_name and definition.relationship_name.lower() == lower:
                return definition
        return None

    def child_relationship(self, name: str) -> ChildRelationship | None:
        """The child relationship called ``name`` (any case), or None."""
        lower = name.lower()
        return next((c for c in CHILD_RELATIONSHIPS.get(self.name, ()) if c.name.lower() == lower), None)

    def summary(self, version: str) -> dict[str, Any]:
        """This object's entry in the describeGlobal ``sobjects`` list."""
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {
            "activateable": False,
            "createable": True,
            "custom": self.custom,
            "customSetting": False,
            "deletable": True,
            "deprecatedAndHidden": False,
            "feedEnabled": False,
            "hasSubtypes": False,
            "isSubtype": False,
            "keyPrefix": self.key_prefix,
            "label": self.label,
            "labelPlural": f"{self.label}s",
            "layoutable": True,
            "mergeable": self.name in {"Account", "Contact", "Lead"},
            "mruEnabled": True,
            "name": self.name,
            "queryable": True,
            "replicateable": True,
            "retrieveable": True,
            "searchable": True,
            "triggerable": True,
            "undeletable": True,
            "updateable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    def describe(self, version: str) -> dict[str, Any]:
        """The ``sobjects/{name}/describe`` JSON."""
        return self.summary(version) | {
            "actionOverrides": [],
            "childRelationships": [c.describe() for c in CHILD_RELATIONSHIPS.get(self.name, ())],
            "compactLayoutable": True,
            "fields": [f.describe() for f in self.fields.values()],
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [],
            "searchLayoutable": True,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [{"label": "All records", "name": "everything"}],
        }


def add_system_fields(obj: ObjectDef, *, merge: bool) -> None:
    """Add the fields every object has (``Id``, ``OwnerId``, the dates); ``MasterRecordId`` when ``merge``."""
    ro: dict[str, Any] = {"updateable": False, "createable": False}
    obj.add_field(FieldDef("Id", FieldType.ID, "Record ID", nillable=False, length=18, **ro))
    obj.add_field(FieldDef("IsDeleted", FieldType.BOOLEAN, "Deleted", nillable=False, **ro))
    if merge:
        obj.add_field(
            FieldDef(
                "MasterRecordId",
                FieldType.REFERENCE,
                "Master Record ID",
                length=18,
                **ro,
                reference_to=(obj.name,),
                relationship_name="MasterRecord",
            )
        )
    obj.add_field(
        FieldDef(
            "OwnerId", FieldType.REFERENCE, "Owner ID", length=18, reference_to=("User",), relationship_name="Owner"
        )
    )
    for name, label in (("CreatedDate", "Created Date"), ("LastModifiedDate", "Last Modified Date")):
        obj.add_field(FieldDef(name, FieldType.DATETIME, label, nillable=False, **ro))
    obj.add_field(FieldDef("SystemModstamp", FieldType.DATETIME, "System Modstamp", nillable=False, **ro))


def _address(obj: ObjectDef, prefix: str) -> None:
    """The parts of an address and their compound field (a Lead's have no prefix: ``City``, ``Address``)."""
    compound = f"{prefix}Address"
    for part, length in (("Street", 255), ("City", 40), ("State", 80), ("PostalCode", 20), ("Country", 80)):
        obj.add_field(
            FieldDef(
                f"{prefix}{part}", FieldType.STRING, f"{prefix} {part}", length=length, compound_field_name=compound
            )
        )
    obj.add_field(FieldDef(compound, FieldType.ADDRESS, f"{prefix} Address", updateable=False, createable=False))


def _person_extras(obj: ObjectDef) -> None:
    """Standard fields Contacts and Leads share (Salesforce Field Reference, Contact and Lead)."""
    obj.add_field(FieldDef("Salutation", FieldType.PICKLIST, "Salutation", length=40,
                           picklist=("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx.")))  # fmt: skip
    obj.add_field(FieldDef("Fax", FieldType.PHONE, "Fax", length=40))
    obj.add_field(FieldDef("Description", FieldType.TEXTAREA, "Description", length=32000))
    # set by Salesforce's bounce management when an email to the person bounces; cleared by hand
    obj.add_field(_text("EmailBouncedReason", 255))
    obj.add_field(FieldDef("EmailBouncedDate", FieldType.DATETIME, "Email Bounced Date"))


def _text(name: str, length: int = 80, **kw: Any) -> FieldDef:
    return FieldDef(name, FieldType.STRING, name, length=length, **kw)


def _account() -> ObjectDef:
    obj = ObjectDef("Account", "Account", "001")
    add_system_fields(obj, merge=True)
    obj.add_field(_text("Name", 255, nillable=False))
    obj.add_field(FieldDef("Type", FieldType.PICKLIST, "Account Type", length=255, picklist=("Customer", "Prospect")))
    obj.add_field(FieldDef("Industry", FieldType.PICKLIST, "Industry", length=255))
    obj.add_field(FieldDef("Phone", FieldType.PHONE, "Account Phone", length=40))
    obj.add_field(FieldDef("Website", FieldType.URL, "Website", length=255))
    obj.add_field(FieldDef("NumberOfEmployees", FieldType.INT, "Employees"))
    obj.add_field(FieldDef("AnnualRevenue", FieldType.CURRENCY, "Annual Revenue"))
    _address(obj, "Billing")
    return obj


def _contact() -> ObjectDef:
    obj = ObjectDef("Contact", "Contact", "003")
    add_system_fields(obj, merge=True)
    obj.add_field(
        FieldDef(
            "AccountId",
            FieldType.REFERENCE,
            "Account ID",
            length=18,
            reference_to=("Account",),
            relationship_name="Account",
        )
    )
    obj.add_field(_text("FirstName", 40))
    obj.add_field(_text("LastName", 80, nillable=False))
    obj.add_field(_text("Name", 121, updateable=False, createable=False, nillable=False))
    obj.add_field(_text("Title", 128))
    obj.add_field(FieldDef("Email", FieldType.EMAIL, "Email", length=80))
    obj.add_field(FieldDef("Phone", FieldType.PHONE, "Business Phone", length=40))
    obj.add_field(FieldDef("MobilePhone", FieldType.PHONE, "Mobile Phone", length=40))
    obj.add_field(FieldDef("Birthdate", FieldType.DATE, "Birthdate"))
    obj.add_field(FieldDef("HasOptedOutOfEmail", FieldType.BOOLEAN, "Email Opt Out", nillable=False))
    obj.add_field(FieldDef("DoNotCall", FieldType.BOOLEAN, "Do Not Call", nillable=False))
    obj.add_field(FieldDef("LeadSource", FieldType.PICKLIST, "Lead Source", length=255, picklist=("Web", "Partner")))
    obj.add_field(_text("Department", 80))
    obj.add_field(FieldDef("HomePhone", FieldType.PHONE, "Home Phone", length=40))
    obj.add_field(FieldDef("OtherPhone", FieldType.PHONE, "Other Phone", length=40))
    _person_extras(obj)
    _address(obj, "Mailing")
    obj.add_field(
        FieldDef(
            "Contactpoint_Score_Formula__c",
            FieldType.DOUBLE,
            "Contactpoint Score",
            custom=True,
            calculated=True,
            updateable=False,
            createable=False,
            formula="IF(HasOptedOutOfEmail, 0, Engagement_Index__c * TODAY_FACTOR)",
        )
    )
    return obj


def _lead() -> ObjectDef:
    obj = ObjectDef("Lead", "Lead", "00Q")
    add_system_fields(obj, merge=True)
    obj.add_field(_text("FirstName", 40))
    obj.add_field(_text("LastName", 80, nillable=False))
    obj.add_field(_text("Name", 121, updateable=False, createable=False, nillable=False))
    obj.add_field(_text("Title", 128))
    obj.add_field(_text("Company", 255, nillable=False))
    obj.add_field(FieldDef("Email", FieldType.EMAIL, "Email", length=80))
    obj.add_field(FieldDef("Phone", FieldType.PHONE, "Phone", length=40))
    obj.add_field(FieldDef("MobilePhone", FieldType.PHONE, "Mobile Phone", length=40))
    obj.add_field(FieldDef("Website", FieldType.URL, "Website", length=255))
    obj.add_field(FieldDef("Industry", FieldType.PICKLIST, "Industry", length=255))
    obj.add_field(FieldDef("DoNotCall", FieldType.BOOLEAN, "Do Not Call", nillable=False))
    obj.add_field(FieldDef("Rating", FieldType.PICKLIST, "Rating", length=40, picklist=("Hot", "Warm", "Cold")))
    obj.add_field(FieldDef("NumberOfEmployees", FieldType.INT, "Employees"))
    obj.add_field(FieldDef("AnnualRevenue", FieldType.CURRENCY, "Annual Revenue"))
    _person_extras(obj)
    obj.add_field(FieldDef("Status", FieldType.PICKLIST, "Status", length=255, picklist=("Open", "Working", "Closed")))
    obj.add_field(FieldDef("LeadSource", FieldType.PICKLIST, "Lead Source", length=255, picklist=("Web", "Partner")))
    obj.add_field(FieldDef("HasOptedOutOfEmail", FieldType.BOOLEAN, "Email Opt Out", nillable=False))
    _address(obj, "")
    obj.add_field(FieldDef("IsConverted", FieldType.BOOLEAN, "Converted", nillable=False, updateable=False))
    obj.add_field(
        FieldDef(
            "ConvertedContactId",
            FieldType.REFERENCE,
            "Converted Contact ID",
            length=18,
            updateable=False,
            reference_to=("Contact",),
            relationship_name="ConvertedContact",
        )
    )
    return obj


_USER_LOCALE_FIELDS = (
    ("TimeZoneSidKey", "Time Zone"),
    ("LocaleSidKey", "Locale"),
    ("LanguageLocaleKey", "Language"),
    ("EmailEncodingKey", "Email Encoding"),
)


def _user() -> ObjectDef:
    obj = ObjectDef("User", "User", "005")
    add_system_fields(obj, merge=False)
    obj.add_field(_text("Username", 80, nillable=False))
    obj.add_field(_text("FirstName", 40))
    obj.add_field(_text("LastName", 80, nillable=False))
    obj.add_field(_text("Name", 121, updateable=False, createable=False))
    obj.add_field(_text("Alias", 8, nillable=False))
    obj.add_field(_text("Title", 80))
    obj.add_field(FieldDef("Email", FieldType.EMAIL, "Email", length=128, nillable=False))
    obj.add_field(FieldDef("IsActive", FieldType.BOOLEAN, "Active", nillable=False))
    obj.add_field(FieldDef("UserType", FieldType.PICKLIST, "User Type", length=40, updateable=False, createable=False,
                           picklist=("Standard", "AutomatedProcess")))  # fmt: skip
    for name, label in _USER_LOCALE_FIELDS:
        obj.add_field(FieldDef(name, FieldType.PICKLIST, label, length=40, nillable=False))
    obj.add_field(
        FieldDef("ProfileId", FieldType.REFERENCE, "Profile ID", length=18, reference_to=("Profile",),
                 relationship_name="Profile")
    )  # fmt: skip
    return obj


def wide_field_name(index: int) -> str:
    """The name of ``Wide_Object__c``'s custom field number ``index`` (1-based), about 40 characters long."""
    return f"Wide_Attribute_{index:03d}_Long_Description__c"


def _wide() -> ObjectDef:
    obj = ObjectDef("Wide_Object__c", "Wide Object", "a00", custom=True)
    add_system_fields(obj, merge=False)
    obj.add_field(_text("Name", 80, nillable=False))
    for i in range(1, WIDE_FIELD_COUNT + 1):
        obj.add_field(_text(wide_field_name(i), 255, custom=True))
    return obj


def build_objects() -> dict[str, ObjectDef]:
    """A fresh set of the org's objects, keyed by name."""
    return {o.name: o for o in (_account(), _contact(), _lead(), _user(), _wide())}
