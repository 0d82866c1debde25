"""SOQL's ``FIELDS()`` groups and parent-to-child subqueries, through simple-salesforce.

Every answer is checked against data read another way: the same records queried with
the fields named, or the child records queried on their own by their lookup field.
"""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.contracts.validator import Exchange


def _fields(record: dict[str, Any]) -> set[str]:
    return set(record) - {"attributes"}


def _quoted(ids: list[str]) -> str:
    return ", ".join(f"'{i}'" for i in ids)


def test_fields_standard_is_every_standard_field(sf: Salesforce, seen: list[Exchange]) -> None:
    result = sf.query("SELECT FIELDS(STANDARD) FROM Contact LIMIT 5")
    assert result["totalSize"] == len(result["records"]) == 5 and result["done"] is True
    described = sf.Contact.describe()["fields"]
    standard = [f["name"] for f in described if not f["custom"]]
    assert all(_fields(r) == set(standard) for r in result["records"])
    assert not any(name.endswith("__c") for name in _fields(result["records"][0]))
    ids = [r["Id"] for r in result["records"]]
    named = sf.query(f"SELECT {', '.join(standard)} FROM Contact WHERE Id IN ({_quoted(ids)})")["records"]
    assert {r["Id"]: r for r in named} == {r["Id"]: r for r in result["records"]}


def test_fields_custom_and_all_with_other_fields(sf: Salesforce) -> None:
    custom = sf.query("SELECT Name, FIELDS(CUSTOM) FROM Wide_Object__c ORDER BY Name LIMIT 2")["records"]
    described = {f["name"]: f for f in sf.Wide_Object__c.describe()["fields"]}
    custom_names = {name for name, f in described.items() if f["custom"]}
    assert len(custom) == 2 and len(custom_names) > 400
    for record in custom:
        assert _fields(record) == custom_names | {"Name"}
        row = sf.Wide_Object__c.get(record["attributes"]["url"].rsplit("/", 1)[1])
        assert {name: row[name] for name in _fields(record)} == {name: record[name] for name in _fields(record)}
    everything = sf.query("SELECT FIELDS(ALL) FROM Contact ORDER BY Id LIMIT 200")["records"]
    every_field = {f["name"] for f in sf.Contact.describe()["fields"]}
    assert all(_fields(r) == every_field for r in everything)
    assert len(everything) == 200
    first = sf.Contact.get(everything[0]["Id"])
    assert first["Email"] == everything[0]["Email"]
    assert first["Contactpoint_Score_Formula__c"] == everything[0]["Contactpoint_Score_Formula__c"]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FIELDS(ALL) FROM Contact",
        "SELECT Id, FIELDS(CUSTOM) FROM Contact LIMIT 201",
        "SELECT Id, (SELECT FIELDS(ALL) FROM Contacts) FROM Account LIMIT 5",
    ],
)
def test_unbounded_fields_need_a_limit_of_200(sf: Salesforce, seen: list[Exchange], text: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(text)
    assert info.value.status == 400
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert "The SOQL FIELDS function must have a LIMIT of at most 200" in info.value.content[0]["message"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("SELECT Id, Email, id FROM Contact LIMIT 5", "id"),
        ("SELECT Id, FIELDS(ALL) FROM Contact LIMIT 5", "Id"),
        ("SELECT Name, Account.Name, account.name FROM Contact LIMIT 5", "account.name"),
    ],
)
def test_a_field_selected_twice_is_refused(sf: Salesforce, seen: list[Exchange], text: str, field: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query(text)
    assert info.value.status == 400
    assert info.value.content[0] == {"errorCode": "INVALID_FIELD", "message": f"duplicate field selected: {field}"}
    assert sf.query("SELECT Name, Account.Name FROM Contact LIMIT 1")["totalSize"] == 1  # two fields named Name


def test_fields_group_must_be_all_standard_or_custom(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT FIELDS(EVERYTHING) FROM Contact LIMIT 5")
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_contacts_subquery_matches_contacts_by_account_id(sf: Salesforce, seen: list[Exchange]) -> None:
    accounts = sf.query_all("SELECT Id, (SELECT Id, Email FROM Contacts) FROM Account")["records"]
    contacts = sf.query_all("SELECT Id, Email, AccountId FROM Contact WHERE AccountId != null")["records"]
    expected: dict[str, dict[str, Any]] = {}
    for contact in contacts:
        expected.setdefault(contact["AccountId"], {})[contact["Id"]] = contact["Email"]
    assert len(accounts) == sf.query("SELECT COUNT() FROM Account")["totalSize"]
    assert sum(1 for a in accounts if a["Contacts"]) >= 50
    for account in accounts:
        children = account["Contacts"]
        if account["Id"] not in expected:
            assert children is None
            continue
        assert children["done"] is True and children["totalSize"] == len(children["records"])
        assert {c["Id"]: c["Email"] for c in children["records"]} == expected[account["Id"]]
        for child in children["records"]:
            assert _fields(child) == {"Id", "Email"}
            assert child["attributes"] == {
                "type": "Contact",
                "url": f"/services/data/v59.0/sobjects/Contact/{child['Id']}",
            }


def test_subquery_where_order_and_limit_apply_per_account(sf: Salesforce) -> None:
    inner = "SELECT Id, LastName FROM Account.Contacts WHERE Email != null ORDER BY LastName DESC, Id LIMIT 2"
    accounts = sf.query(f"SELECT Id, Name, ({inner}) FROM Account ORDER BY Name LIMIT 8")["records"]
    assert len(accounts) == 8
    for account in accounts:
        alone = sf.query(
            f"SELECT Id, LastName FROM Contact WHERE AccountId = '{account['Id']}' AND Email != null "
            "ORDER BY LastName DESC, Id LIMIT 2"
        )["records"]
        got = account["Contacts"]["records"] if account["Contacts"] else []
        assert [(c["Id"], c["LastName"]) for c in got] == [(c["Id"], c["LastName"]) for c in alone]
    nobody = sf.query("SELECT Id, (SELECT Id FROM Contacts WHERE Email = 'nobody@nowhere.invalid') FROM Account")
    assert nobody["records"] and all(a["Contacts"] is None for a in nobody["records"])


def test_tasks_subquery_reads_who_id(sf: Salesforce, seen: list[Exchange]) -> None:
    contact = sf.query("SELECT Id FROM Contact ORDER BY Id LIMIT 1")["records"][0]
    task = sf.Task.create({"Subject": "Call", "WhoId": contact["Id"]})
    try:
        text = f"SELECT Id, (SELECT Id, Subject FROM Tasks ORDER BY Id) FROM Contact WHERE Id = '{contact['Id']}'"
        row = sf.query(text)["records"][0]
        alone = sf.query(f"SELECT Id, Subject FROM Task WHERE WhoId = '{contact['Id']}' ORDER BY Id")["records"]
        assert [(t["Id"], t["Subject"]) for t in row["Tasks"]["records"]] == [(t["Id"], t["Subject"]) for t in alone]
        assert task["id"] in [t["Id"] for t in row["Tasks"]["records"]]
        assert row["Tasks"]["records"][0]["attributes"]["type"] == "Task"
    finally:
        sf.Task.delete(task["id"])


def test_unknown_relationship_is_invalid_type(sf: Salesforce, seen: list[Exchange]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id, (SELECT Id FROM Contactz) FROM Account")
    error = info.value.content[0]
    assert error["errorCode"] == "INVALID_TYPE"
    assert "Didn't understand relationship 'Contactz' in FROM part of query call" in error["message"]
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id, (SELECT Id FROM Contacts) FROM Contact")  # Contacts is Account's, not Contact's
    assert info.value.content[0]["errorCode"] == "INVALID_TYPE"


def test_describe_lists_child_relationships(sf: Salesforce, seen: list[Exchange]) -> None:
    account = {r["relationshipName"]: r for r in sf.Account.describe()["childRelationships"]}
    assert account["Contacts"] == {
        "cascadeDelete": False,
        "childSObject": "Contact",
        "deprecatedAndHidden": False,
        "field": "AccountId",
        "junctionIdListNames": [],
        "junctionReferenceTo": [],
        "relationshipName": "Contacts",
        "restrictedDelete": False,
    }
    assert (account["Tasks"]["childSObject"], account["Tasks"]["field"]) == ("Task", "WhatId")
    contact = sf.Contact.describe()["childRelationships"]
    assert [(r["childSObject"], r["field"], r["relationshipName"]) for r in contact] == [("Task", "WhoId", "Tasks")]
    reference = {f["name"]: f for f in sf.Contact.describe()["fields"]}["AccountId"]
    assert reference["referenceTo"] == ["Account"]  # the lookup each child relationship reads back
