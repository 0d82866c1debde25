"""Salesforce streams: one small declaration per sObject, and the SOQL built for it.

Every stream is incremental on ``SystemModstamp`` and read with ``queryAll`` so
deleted rows (``IsDeleted``) and merge losers (``MasterRecordId``) come back too.
Values never reach SOQL unescaped: literals go through simple-salesforce's
``format_soql``; field and object names are checked against a strict pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from simple_salesforce.format import format_soql

from connectors.base import StreamSpec
from connectors.failures import unknown_name
from connectors.salesforce.config import ObjectSettings
from core.errors import ConnectorConfigError

__all__ = [
    "CURSOR_FIELD",
    "KNOWN_STREAMS",
    "STANDARD_OBJECTS",
    "SalesforceStream",
    "build_soql",
    "check_name",
    "select_fields",
]

CURSOR_FIELD = "SystemModstamp"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")
_COMPOUND_TYPES = frozenset({"address", "location"})
"""Compound fields: Bulk API cannot read them; their components (MailingStreet...) are read instead."""
_UNREADABLE_TYPES = frozenset({"base64"})


@dataclass(frozen=True)
class SalesforceStream:
    """How one sObject is pulled.

    Attributes:
        name: sObject API name, also the stream name.
        always: Fields every query reads, whatever the configuration.
        can_merge: The object carries ``MasterRecordId`` (merge losers point at the winner).

    """

    name: str
    always: tuple[str, ...] = ("Id", CURSOR_FIELD, "IsDeleted")
    can_merge: bool = True

    def spec(self, *, page_size: int, writable: bool) -> StreamSpec:
        """Return the protocol-level description of this stream."""
        return StreamSpec(
            name=self.name,
            primary_key="Id",
            cursor_field=CURSOR_FIELD,
            page_size=page_size,
            writable=writable,
            description=f"Salesforce {self.name} records (SOQL queryAll on {CURSOR_FIELD}; Bulk API 2.0 when large)",
        )

    def required_fields(self) -> tuple[str, ...]:
        """Fields read on every query of this stream."""
        return (*self.always, "MasterRecordId") if self.can_merge else self.always


KNOWN_STREAMS: Mapping[str, SalesforceStream] = {
    "Contact": SalesforceStream("Contact"),
    "Lead": SalesforceStream("Lead"),
    "Account": SalesforceStream("Account"),
}
"""Streams with a declaration; any other configured sObject gets the default one."""


STANDARD_OBJECTS: tuple[str, ...] = (
    "Account", "Asset", "Campaign", "CampaignMember", "Case", "Contact", "Contract", "Event", "Individual",
    "Lead", "Opportunity", "OpportunityContactRole", "Order", "Product2", "Task", "User",
)  # fmt: skip
"""Standard objects people map; a mapped stream spelt close to one of these but not it is a typo (``Contacts``)."""


def stream_for(name: str) -> SalesforceStream:
    """Return the declaration of ``name`` (a generic one for objects not listed above)."""
    return KNOWN_STREAMS.get(name) or SalesforceStream(name, can_merge=False)


def check_name(name: str, *, what: str) -> str:
    """Return ``name`` when it is a plain SOQL identifier (or dotted path); raise otherwise.

    Raises:
        ConnectorConfigError: The name could carry SOQL syntax.

    """
    if not _NAME.match(name):
        msg = f"{what} {name!r} is not a valid Salesforce API name"
        raise ConnectorConfigError(msg, hint="use letters, digits and underscores only, e.g. Custom_Field__c")
    return name


def select_fields(
    stream: SalesforceStream,
    settings: ObjectSettings,
    described: Iterable[Mapping[str, object]],
    *,
    system: str = "salesforce",
) -> tuple[list[str], set[str]]:
    """Choose the fields to read from a describe result.

    Args:
        stream: The stream's declaration.
        settings: Configured fields (None means every readable field).
        described: The ``fields`` list of an sObject describe.
        system: The configured system name (where the error says the fields are set).

    Returns:
        (fields in query order, names of formula fields among them).

    Raises:
        ConnectorConfigError: A configured field does not exist on the object (with the nearest that does).

    """
    by_name = {str(f["name"]): f for f in described}
    readable = [n for n, f in by_name.items() if f.get("type") not in _COMPOUND_TYPES | _UNREADABLE_TYPES]
    if settings.fields:
        unknown = [f for f in settings.fields if f not in by_name]
        if unknown:
            setting = f"systems.{system}.settings.objects[{stream.name}].fields"
            error = unknown_name("field", unknown, by_name, system=system, owner=stream.name, setting=setting)
            raise error
        wanted = list(settings.fields)
    else:
        wanted = readable
    required = [f for f in stream.required_fields() if f in by_name or f in {"Id", CURSOR_FIELD}]
    fields = list(dict.fromkeys([*required, *wanted]))
    formulas = {n for n in fields if by_name.get(n, {}).get("calculated")}
    return fields, formulas


def build_soql(
    stream: str,
    fields: Iterable[str],
    *,
    since: datetime | None,
    where: Mapping[str, str | int | bool] | None = None,
) -> str:
    """Build the incremental query, oldest change first, with every value escaped.

    ``since`` is inclusive (``>=``): records sharing the bookmark's timestamp are
    read again and de-duplicated by Id, so none is skipped.
    """
    names = ", ".join(check_name(f, what="field") for f in fields)
    clauses: list[str] = []
    if since is not None:
        clauses.append(format_soql(f"{CURSOR_FIELD} >= {{}}", since))
    for field, value in sorted((where or {}).items()):
        clauses.append(format_soql(f"{check_name(field, what='filter field')} = {{}}", value))
    where_sql = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f"SELECT {names} FROM {check_name(stream, what='object')}{where_sql} ORDER BY {CURSOR_FIELD} ASC, Id ASC"
