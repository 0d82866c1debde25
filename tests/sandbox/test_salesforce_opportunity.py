"""The ``Opportunity`` sObject, through simple-salesforce, and its seeded deals.

Describe follows the Object Reference; the stage drives ``Probability``, ``IsClosed``,
``IsWon`` and the forecast category; every answer is checked against the same data
read another way (a subquery against a direct query, an aggregate against sums made here).
"""

from __future__ import annotations

import copy
import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.salesforce.activities import install_activities
from sandbox.salesforce.data import seed_org
from sandbox.salesforce.opportunities import STAGES, install_opportunities
from sandbox.salesforce.org import Org
from tests.contracts.validator import Exchange

API = "/services/data/v59.0"
CLOSE = "2026-03-31"


def _refusal(sf: Salesforce, values: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.Opportunity.create(values)
    content: list[dict[str, Any]] = refused.value.content
    assert len(content) == 1
    return content[0]


def _an_account_with_deals(sf: Salesforce) -> str:
    grouped = (
        "SELECT AccountId, COUNT(Id) FROM Opportunity WHERE AccountId != null GROUP BY AccountId HAVING COUNT(Id) > 1"
    )
    return str(sf.query(grouped)["records"][0]["AccountId"])


def test_describe_follows_the_object_reference(sf: Salesforce, seen: list[Exchange]) -> None:
    described = sf.Opportunity.describe()
    assert (described["name"], described["keyPrefix"], described["label"]) == ("Opportunity", "006", "Opportunity")
    fields = {f["name"]: f for f in described["fields"]}
    required = {n for n, f in fields.items() if f["createable"] and not f["nillable"] and not f["defaultedOnCreate"]}
    assert required == {"Name", "StageName", "CloseDate"}
    kinds = {n: fields[n]["type"] for n in ("Amount", "Probability", "ExpectedRevenue", "CloseDate", "StageName")}
    assert kinds == {"Amount": "currency", "Probability": "percent", "ExpectedRevenue": "currency",
                     "CloseDate": "date", "StageName": "picklist"}  # fmt: skip
    stage = fields["StageName"]
    assert [v["value"] for v in stage["picklistValues"]] == [
        "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
        "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
    ]  # fmt: skip
    assert stage["restrictedPicklist"] is False and fields["ForecastCategoryName"]["restrictedPicklist"] is True
    account = fields["AccountId"]
    assert (account["referenceTo"], account["relationshipName"]) == (["Account"], "Account")
    for name in ("IsClosed", "IsWon", "ExpectedRevenue", "ForecastCategory", "FiscalYear"):
        assert (fields[name]["createable"], fields[name]["updateable"]) == (False, False), name
    assert fields["Probability"]["createable"] and fields["Probability"]["updateable"]
    children = {(r["childSObject"], r["field"], r["relationshipName"]) for r in described["childRelationships"]}
    assert children == {("Task", "WhatId", "Tasks")}
    parents = {r["relationshipName"]: r for r in sf.Account.describe()["childRelationships"]}
    assert (parents["Opportunities"]["childSObject"], parents["Opportunities"]["field"]) == ("Opportunity", "AccountId")


def test_an_accounts_deals_directly_and_through_its_subquery(sf: Salesforce, seen: list[Exchange]) -> None:
    account_id = _an_account_with_deals(sf)
    direct = sf.query(f"SELECT Id, Amount, Account.Name FROM Opportunity WHERE AccountId = '{account_id}' ORDER BY Id")
    nested = sf.query(
        f"SELECT Id, Name, (SELECT Id, Amount FROM Opportunities ORDER BY Id) FROM Account WHERE Id = '{account_id}'"
    )["records"][0]
    assert nested["Opportunities"]["totalSize"] == direct["totalSize"] > 1
    assert [(r["Id"], r["Amount"]) for r in nested["Opportunities"]["records"]] == [
        (r["Id"], r["Amount"]) for r in direct["records"]
    ]
    assert {r["Account"]["Name"] for r in direct["records"]} == {nested["Name"]}


def test_create_derives_probability_and_state_from_the_stage(sf: Salesforce, seen: list[Exchange]) -> None:
    account_id = _an_account_with_deals(sf)
    values = {"Name": "Derived", "StageName": "Negotiation/Review", "CloseDate": CLOSE, "Amount": 1000,
              "AccountId": account_id}  # fmt: skip
    created = sf.Opportunity.create(values)
    assert created["success"] is True and created["id"].startswith("006")
    row = sf.Opportunity.get(created["id"])
    assert (row["Probability"], row["ExpectedRevenue"], row["IsClosed"], row["IsWon"]) == (90.0, 900.0, False, False)
    assert (row["ForecastCategoryName"], row["ForecastCategory"]) == ("Pipeline", "Pipeline")
    assert (row["CloseDate"], row["FiscalYear"], row["FiscalQuarter"], row["Fiscal"]) == (CLOSE, 2026, 1, "2026 1")
    lost = sf.Opportunity.create({"Name": "Lost", "StageName": "Closed Lost", "CloseDate": CLOSE, "Probability": 5})
    read = sf.query(f"SELECT IsClosed, IsWon, Probability, ForecastCategory FROM Opportunity WHERE Id = '{lost['id']}'")
    assert {k: v for k, v in read["records"][0].items() if k != "attributes"} == {
        "IsClosed": True, "IsWon": False, "Probability": 5.0, "ForecastCategory": "Omitted",
    }  # fmt: skip


def test_required_fields_and_picklists_are_refused(sf: Salesforce, seen: list[Exchange]) -> None:
    missing = _refusal(sf, {"Name": "No stage"})
    assert missing == {"errorCode": "REQUIRED_FIELD_MISSING", "fields": ["StageName", "CloseDate"],
                       "message": "Required fields are missing: [StageName, CloseDate]"}  # fmt: skip
    assert _refusal(sf, {"Description": "nothing"})["fields"] == ["Name", "StageName", "CloseDate"]
    stage = _refusal(sf, {"Name": "Bad stage", "StageName": "Almost There", "CloseDate": CLOSE})
    assert stage == {"errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["StageName"],
                     "message": "Stage: bad value for restricted picklist field: Almost There"}  # fmt: skip
    forecast = _refusal(sf, {"Name": "F", "StageName": "Prospecting", "CloseDate": CLOSE, "ForecastCategoryName": "X"})
    assert (forecast["errorCode"], forecast["fields"]) == (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        ["ForecastCategoryName"],
    )
    won = _refusal(sf, {"Name": "W", "StageName": "Prospecting", "CloseDate": CLOSE, "IsWon": True})
    assert (won["errorCode"], won["fields"]) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["IsWon"])


def test_moving_the_stage_to_closed_won_wins_the_deal(sf: Salesforce, seen: list[Exchange]) -> None:
    deal = sf.Opportunity.create({"Name": "To win", "StageName": "Prospecting", "CloseDate": CLOSE, "Amount": 250})
    assert sf.Opportunity.update(deal["id"], {"StageName": "Closed Won"}) == 204
    row = sf.Opportunity.get(deal["id"])
    assert (row["IsWon"], row["IsClosed"], row["Probability"], row["ForecastCategory"]) == (True, True, 100.0, "Closed")
    assert row["ExpectedRevenue"] == 250.0 and row["SystemModstamp"] > row["CreatedDate"]
    sf.Opportunity.update(deal["id"], {"StageName": "Qualification", "Probability": 35})  # set with the stage: kept
    row = sf.Opportunity.get(deal["id"])
    assert (row["IsWon"], row["IsClosed"], row["Probability"]) == (False, False, 35.0)
    assert sf.Opportunity.delete(deal["id"]) == 204
    assert sf.query(f"SELECT COUNT() FROM Opportunity WHERE Id = '{deal['id']}'")["totalSize"] == 0


def test_sum_of_amounts_by_account_matches_the_rows(sf: Salesforce, seen: list[Exchange]) -> None:
    grouped = sf.query("SELECT AccountId, SUM(Amount) FROM Opportunity GROUP BY AccountId")["records"]
    rows = sf.query_all("SELECT AccountId, Amount FROM Opportunity")["records"]
    sums: dict[str | None, float | None] = {}
    for row in rows:
        amount = row["Amount"]
        total = sums.get(row["AccountId"])
        sums[row["AccountId"]] = total if amount is None else (total or 0.0) + amount
    assert {r["AccountId"]: r["expr0"] for r in grouped} == pytest.approx(sums)
    assert len([a for a in sums if a]) > 10


def test_collections_composite_and_bulk_write_opportunities(sf: Salesforce) -> None:
    records = [
        {
            "attributes": {"type": "Opportunity"},
            "Name": "Batch A",
            "StageName": "Value Proposition",
            "CloseDate": CLOSE,
        },
        {"attributes": {"type": "Opportunity"}, "Name": "Batch B", "StageName": "Won-ish", "CloseDate": CLOSE},
    ]
    saved = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in saved] == [True, False]
    assert saved[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    composite = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{API}/sobjects/Account", "referenceId": "acct", "body": {"Name": "Deal Co"}},
            {"method": "POST", "url": f"{API}/sobjects/Opportunity", "referenceId": "deal",
             "body": {"Name": "First deal", "StageName": "Closed Won", "CloseDate": CLOSE, "AccountId": "@{acct.id}"}},
            {"method": "POST", "url": f"{API}/sobjects/Task", "referenceId": "task",
             "body": {"Subject": "Call", "WhatId": "@{deal.id}"}},
        ],
    }  # fmt: skip
    results = sf.restful("composite", method="POST", json=composite)["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 201]
    account_id, deal_id = results[0]["body"]["id"], results[1]["body"]["id"]
    nested = sf.query(
        f"SELECT Id, IsWon, (SELECT Id, What.Name FROM Tasks) FROM Opportunity WHERE AccountId = '{account_id}'"
    )["records"]
    assert [(r["Id"], r["IsWon"]) for r in nested] == [(deal_id, True)]
    assert [t["What"]["Name"] for t in nested[0]["Tasks"]["records"]] == ["First deal"]
    bulk = [
        {"Name": "Bulk deal", "StageName": "Closed Lost", "CloseDate": CLOSE},
        {"Name": "No stage", "CloseDate": CLOSE},
    ]
    summary = sf.bulk2.Opportunity.insert(records=bulk, wait=0)[0]
    assert (summary["numberRecordsProcessed"], summary["numberRecordsFailed"]) == (2, 1)
    good = list(csv.DictReader(io.StringIO(sf.bulk2.Opportunity.get_successful_records(summary["job_id"]))))
    assert sf.Opportunity.get(good[0]["sf__Id"])["IsClosed"] is True


def _fresh_org(seed: int) -> Org:
    org = Org(clock=lambda: datetime(2026, 1, 5, tzinfo=UTC))
    seed_org(org, records=60, seed=seed)
    install_activities(org)
    return org


def test_seeded_deals_are_deterministic_and_leave_the_rest_of_the_org_alone() -> None:
    org = _fresh_org(3)
    before = copy.deepcopy(org.records)
    counters = dict(org._counters)
    install_opportunities(org, seed=3)
    assert {n: r for n, r in org.records.items() if n != "Opportunity"} == before
    assert {p: n for p, n in org._counters.items() if p != "006"} == counters
    deals = list(org.records["Opportunity"].values())
    again = _fresh_org(3)
    install_opportunities(again, seed=3)
    assert list(again.records["Opportunity"].values()) == deals
    other = _fresh_org(4)
    install_opportunities(other, seed=4)
    assert [d["Name"] for d in other.records["Opportunity"].values()] != [d["Name"] for d in deals]
    accounts = org.records["Account"]
    assert len(accounts) // 2 < len(deals) <= 3 * len(accounts)
    stages = {s.name for s in STAGES}
    for deal in deals:
        account = accounts[deal["AccountId"]]
        assert account["CreatedDate"] <= deal["CreatedDate"] <= deal["SystemModstamp"] <= account["SystemModstamp"]
        assert deal["StageName"] in stages and deal["Amount"] > 0 and deal["Id"].startswith("006")
