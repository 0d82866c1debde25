"""Replication resources (``sobjects/{obj}/updated`` and ``/deleted``), deleted records and field lists.

Every exchange of these tests is also checked against the Salesforce contract.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from sandbox.common import RunningSandbox
from tests.contracts.validator import Exchange, exchange_of, validate_all

API = "/services/data/v59.0"


def test_updated_lists_ids_changed_in_the_window(sf: Salesforce, seen: list[Exchange]) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    made = sf.Contact.create({"LastName": "Replicated"})["id"]
    changed = sf.query("SELECT Id FROM Contact WHERE IsDeleted = false ORDER BY Id LIMIT 1")["records"][0]["Id"]
    sf.Contact.update(changed, {"Title": "Replicated"})
    result = sf.Contact.updated(start, datetime.now(UTC) + timedelta(minutes=2))
    assert {made, changed} <= set(result["ids"])
    assert set(result) == {"ids", "latestDateCovered"}
    assert result["latestDateCovered"].endswith(":00.000+0000")  # seconds are ignored
    old = sf.Contact.updated(start - timedelta(days=10), start - timedelta(days=9))
    assert made not in old["ids"]


def test_deleted_lists_ids_and_dates(sf: Salesforce, seen: list[Exchange]) -> None:
    start = datetime.now(UTC) - timedelta(minutes=5)
    made = sf.Contact.create({"LastName": "Binned later"})["id"]
    sf.Contact.delete(made)
    result = sf.Contact.deleted(start, datetime.now(UTC) + timedelta(minutes=2))
    assert set(result) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}
    [record] = [r for r in result["deletedRecords"] if r["id"] == made]
    assert record["deletedDate"].endswith("+0000")


@pytest.mark.parametrize("resource", ["updated", "deleted"])
def test_replication_window_limits(sf: Salesforce, seen: list[Exchange], resource: str) -> None:
    now = datetime.now(UTC)
    call = sf.Contact.updated if resource == "updated" else sf.Contact.deleted
    for start, end in [(now - timedelta(days=40), now - timedelta(days=35)), (now, now - timedelta(hours=1))]:
        with pytest.raises(SalesforceMalformedRequest) as info:
            call(start, end)
        assert info.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_deleted_record_answers_entity_is_deleted(sb: RunningSandbox, sf: Salesforce, seen: list[Exchange]) -> None:
    made = sf.Contact.create({"LastName": "Gone"})["id"]
    sf.Contact.delete(made)
    gone = [{"errorCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Contact.get(made)
    assert info.value.content == gone
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Contact.update(made, {"FirstName": "Back"})
    assert info.value.content == gone
    with pytest.raises(SalesforceResourceNotFound) as info:
        sf.Contact.delete(made)
    assert info.value.content == gone


def test_unknown_field_in_field_list_is_invalid_field(sf: Salesforce, seen: list[Exchange]) -> None:
    some = sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
    assert set(sf.Contact.get(some, params={"fields": "Id,Email"})) == {"attributes", "Id", "Email"}
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Contact.get(some, params={"fields": "Id,Nope"})
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Nope' on entity 'Contact'" in info.value.content[0]["message"]


def test_password_grant_issues_no_refresh_token(sb: RunningSandbox, http: requests.Session) -> None:
    c = sb.credentials
    form = {"grant_type": "password", "client_id": c["consumer_key"], "client_secret": c["consumer_secret"],
            "username": c["username"], "password": c["password"] + c["security_token"]}  # fmt: skip
    response = http.post(c["token_url"], data=form, timeout=10)
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
    assert not validate_all("salesforce", [exchange_of(response)])
