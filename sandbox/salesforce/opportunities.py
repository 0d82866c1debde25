"""Opportunities: the ``Opportunity`` sObject, a sale or pending deal, usually of an Account.

As the Object Reference describes it (sforce_api_objects_opportunity.htm), with the
stages of a fresh org's sales process (OpportunityStage):

- ``Name``, ``StageName`` and ``CloseDate`` are required (REQUIRED_FIELD_MISSING);
- ``StageName`` is a picklist describe does not mark restricted, but a value must be one
  of the org's stages: another is refused with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST
  ("Stage: bad value for restricted picklist field: ...");
- setting a stage defaults ``Probability`` (percent) and ``ForecastCategoryName`` (a
  restricted picklist) from it, unless the same write sets them;
- ``IsClosed`` and ``IsWon`` follow the stage, ``ForecastCategory`` the forecast category
  name, ``ExpectedRevenue`` is ``Amount * Probability / 100``, and ``FiscalYear``,
  ``FiscalQuarter`` and ``Fiscal`` come from ``CloseDate`` (the default fiscal year starts in
  January); none of them can be written;
- ``AccountId`` looks up an Account (relationship ``Account``; child relationship
  ``Account.Opportunities``), and Tasks name an Opportunity in ``WhatId`` (``Opportunity.Tasks``).

Create, read, update, delete and query go through the usual sObject, Collections,
composite, Bulk 2.0 and query resources.

Seeded opportunities (``install_opportunities``) use their own random stream and key
prefix ``006``, and are stamped between their Account's creation and last change, so
adding them changes no other record, ID or stamp.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.salesforce.org import INTEGRATION_USER_ID, Org, Record
from sandbox.salesforce.schema import FieldDef, FieldType, ObjectDef, add_system_fields
from sandbox.salesforce.wire import ErrorCode
from sandbox.salesforce.writes import error_item

__all__ = ["FORECAST_CATEGORIES", "OPPORTUNITY_TYPES", "STAGES", "Stage", "install_opportunities", "opportunity"]


@dataclass(frozen=True)
class Stage:
    """One opportunity stage (an ``OpportunityStage`` row): its defaults and whether it closes or wins the deal."""

    name: str
    probability: float
    forecast_category_name: str
    closed: bool = False
    won: bool = False


STAGES = (
    Stage("Prospecting", 10.0, "Pipeline"),
    Stage("Qualification", 10.0, "Pipeline"),
    Stage("Needs Analysis", 20.0, "Pipeline"),
    Stage("Value Proposition", 50.0, "Pipeline"),
    Stage("Id. Decision Makers", 60.0, "Pipeline"),
    Stage("Perception Analysis", 70.0, "Pipeline"),
    Stage("Proposal/Price Quote", 75.0, "Pipeline"),
    Stage("Negotiation/Review", 90.0, "Pipeline"),
    Stage("Closed Won", 100.0, "Closed", closed=True, won=True),
    Stage("Closed Lost", 0.0, "Omitted", closed=True),
)
"""The stages of a fresh org's sales process, in order."""
FORECAST_CATEGORIES = {
    "Omitted": "Omitted",
    "Pipeline": "Pipeline",
    "Best Case": "BestCase",
    "Most Likely": "MostLikely",
    "Commit": "Forecast",
    "Closed": "Closed",
}
"""``ForecastCategoryName`` values and the ``ForecastCategory`` each one sets."""
OPPORTUNITY_TYPES = (
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
    "New Customer",
)
_STAGES = {s.name: s for s in STAGES}
_READ_ONLY: dict[str, Any] = {"createable": False, "updateable": False}


def _fiscal(record: Record) -> tuple[int, int] | None:
    close = record.get("CloseDate")
    return (close.year, (close.month - 1) // 3 + 1) if isinstance(close, date) else None


def _expected_revenue(record: Record) -> float | None:
    amount, probability = record.get("Amount"), record.get("Probability")
    if not isinstance(amount, int | float) or not isinstance(probability, int | float):
        return None
    return round(amount * probability / 100, 2)


def _stage_of(record: Record) -> Stage | None:
    return _STAGES.get(str(record.get("StageName")))


def _on_write(stored: Record | None, values: Record) -> list[dict[str, Any]]:
    """Refuse an unknown stage; default ``Probability`` and ``ForecastCategoryName`` from a newly set one."""
    if "StageName" not in values or values["StageName"] is None:
        return []  # a missing stage is REQUIRED_FIELD_MISSING
    stage = _STAGES.get(values["StageName"])
    if stage is None:
        msg = f"Stage: bad value for restricted picklist field: {values['StageName']}"
        return [error_item(ErrorCode.INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, msg, ["StageName"])]
    if stored is None or stored.get("StageName") != stage.name:
        values.setdefault("Probability", stage.probability)
        values.setdefault("ForecastCategoryName", stage.forecast_category_name)
    return []


def opportunity() -> ObjectDef:
    """The ``Opportunity`` object (key prefix ``006``), in describe order."""
    obj = ObjectDef("Opportunity", "Opportunity", "006", on_write=_on_write)
    add_system_fields(obj, merge=False)
    obj.add_field(FieldDef("AccountId", FieldType.REFERENCE, "Account ID", length=18, reference_to=("Account",),
                           relationship_name="Account"))  # fmt: skip
    obj.add_field(FieldDef("IsPrivate", FieldType.BOOLEAN, "Private", nillable=False))
    obj.add_field(FieldDef("Name", FieldType.STRING, "Name", length=120, nillable=False))
    obj.add_field(FieldDef("Description", FieldType.TEXTAREA, "Description", length=32_000))
    obj.add_field(FieldDef("StageName", FieldType.PICKLIST, "Stage", length=255, nillable=False,
                           picklist=tuple(s.name for s in STAGES)))  # fmt: skip
    obj.add_field(FieldDef("Amount", FieldType.CURRENCY, "Amount"))
    obj.add_field(FieldDef("Probability", FieldType.PERCENT, "Probability (%)"))
    obj.add_field(FieldDef("ExpectedRevenue", FieldType.CURRENCY, "Expected Amount", **_READ_ONLY))
    obj.add_field(FieldDef("TotalOpportunityQuantity", FieldType.DOUBLE, "Quantity"))
    obj.add_field(FieldDef("CloseDate", FieldType.DATE, "Close Date", nillable=False))
    obj.add_field(FieldDef("Type", FieldType.PICKLIST, "Opportunity Type", length=255, picklist=OPPORTUNITY_TYPES))
    obj.add_field(FieldDef("NextStep", FieldType.STRING, "Next Step", length=255))
    # Lead, Contact and Opportunity share the org's one Lead Source value set
    obj.add_field(FieldDef("LeadSource", FieldType.PICKLIST, "Lead Source", length=255, picklist=("Web", "Partner")))
    for name, label in (("IsClosed", "Closed"), ("IsWon", "Won")):
        obj.add_field(FieldDef(name, FieldType.BOOLEAN, label, nillable=False, **_READ_ONLY))
    obj.add_field(FieldDef("ForecastCategory", FieldType.PICKLIST, "Forecast Category", length=40, restricted=True,
                           picklist=tuple(dict.fromkeys(FORECAST_CATEGORIES.values())), **_READ_ONLY))  # fmt: skip
    obj.add_field(FieldDef("ForecastCategoryName", FieldType.PICKLIST, "Forecast Category", length=255,
                           restricted=True, picklist=tuple(FORECAST_CATEGORIES)))  # fmt: skip
    obj.add_field(FieldDef("HasOpportunityLineItem", FieldType.BOOLEAN, "Has Line Item", nillable=False, **_READ_ONLY))
    obj.add_field(FieldDef("LastActivityDate", FieldType.DATE, "Last Activity", **_READ_ONLY))
    obj.add_field(FieldDef("FiscalQuarter", FieldType.INT, "Fiscal Quarter", **_READ_ONLY))
    obj.add_field(FieldDef("FiscalYear", FieldType.INT, "Fiscal Year", **_READ_ONLY))
    obj.add_field(FieldDef("Fiscal", FieldType.STRING, "Fiscal Period", length=6, **_READ_ONLY))
    obj.derived["ExpectedRevenue"] = _expected_revenue
    obj.derived["IsClosed"] = lambda record: bool((stage := _stage_of(record)) and stage.closed)
    obj.derived["IsWon"] = lambda record: bool((stage := _stage_of(record)) and stage.won)
    obj.derived["ForecastCategory"] = lambda record: FORECAST_CATEGORIES.get(str(record.get("ForecastCategoryName")))
    obj.derived["FiscalYear"] = lambda record: (fiscal := _fiscal(record)) and fiscal[0]
    obj.derived["FiscalQuarter"] = lambda record: (fiscal := _fiscal(record)) and fiscal[1]
    obj.derived["Fiscal"] = lambda record: (fiscal := _fiscal(record)) and f"{fiscal[0]} {fiscal[1]}"
    return obj


_DEALS = ("Platform", "Renewal", "Expansion", "Pilot", "Services", "Support Plan")


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in ``[start, end]`` to the millisecond."""
    if not isinstance(start, datetime) or not isinstance(end, datetime) or end <= start:
        return end if isinstance(end, datetime) else start
    moment = start + (end - start) * rng.random()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _deal(account: Record, number: int, rng: random.Random) -> Record:
    stage = rng.choice(STAGES)
    created = _moment(rng, account["CreatedDate"], account["SystemModstamp"])
    modified = _moment(rng, created, account["SystemModstamp"])
    return {
        "AccountId": account["Id"],
        "IsPrivate": False,
        "Name": f"{account['Name']} - {rng.choice(_DEALS)} {number}",
        "Description": None,
        "StageName": stage.name,
        "Amount": float(rng.randint(2, 400) * 500),
        "Probability": stage.probability,
        "TotalOpportunityQuantity": None,
        "CloseDate": created.date() + timedelta(days=rng.randint(14, 180)),
        "Type": rng.choice(OPPORTUNITY_TYPES),
        "NextStep": None if stage.closed else rng.choice(("Send proposal", "Book demo", "Legal review", None)),
        "LeadSource": rng.choice(("Web", "Partner", None)),
        "ForecastCategoryName": stage.forecast_category_name,
        "HasOpportunityLineItem": False,
        "LastActivityDate": None,
        "CreatedDate": created,
        "LastModifiedDate": modified,
        "SystemModstamp": modified,
    }


def install_opportunities(org: Org, *, seed: int) -> None:
    """Add ``Opportunity`` to ``org`` with zero to three deals per live Account, the same for the same seed."""
    obj = opportunity()
    org.add_object(obj)
    rng = random.Random(f"salesforce:{seed}:opportunities")
    for account in list(org.live("Account")):
        for number in range(1, rng.randint(0, 3) + 1):
            record: Record = {"Id": org.new_id(obj.key_prefix), "IsDeleted": False, "OwnerId": INTEGRATION_USER_ID}
            record |= _deal(account, number, rng)
            org.records[obj.name][record["Id"]] = record
