from __future__ import annotations

import csv
import io
from collections import Counter

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceMalformedRequest

from sandbox.common import RunningSandbox
from sandbox.salesforce.schema import WIDE_FIELD_COUNT, wide_field_name

API = "/services/data/v59.0"


def test_query_all_pages_with_batch_size(sb: RunningSandbox, sf: Salesforce) -> None:
    result = sf.query_all(
        "SELECT Id, Email, Account.Name, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id",
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    ids = [r["Id"] for r in result["records"]]
    live = sum(1 for r in sb.app.org.records["Contact"].values() if not r["IsDeleted"])
    assert len(ids) == len(set(ids)) == live == result["totalSize"]
    assert live > 200
    assert sb.control.requests.count("GET /services/data/v59.0/query/") == 2
    with_account = [r for r in result["records"] if r["Account"]]
    assert with_account[0]["Account"]["attributes"]["type"] == "Account"
    assert result["records"][0]["SystemModstamp"].endswith("+0000")


def test_system_modstamp_has_ties(sf: Salesforce) -> None:
    rows = sf.query_all("SELECT SystemModstamp FROM Contact")["records"]
    assert max(Counter(r["SystemModstamp"] for r in rows).values()) >= 2


def test_query_all_shows_deleted_and_merge_losers(sf: Salesforce) -> None:
    deleted = sf.query_all(
        "SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE IsDeleted = true", include_deleted=True
    )
    assert deleted["totalSize"] > 0
    assert any(r["MasterRecordId"] for r in deleted["records"])
    plain = sf.query("SELECT Id FROM Contact WHERE IsDeleted = true")
    assert plain["totalSize"] == 0


def test_query_errors_have_salesforce_shape(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id, Bogus__c FROM Contact")
    assert info.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Contact WHERE")
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_escaped_values_match_stored_values(sf: Salesforce) -> None:
    created = sf.Contact.create({"LastName": "O'Hara \\ Sons", "FirstName": "Q"})
    found = sf.query("SELECT Id FROM Contact WHERE LastName = 'o\\'hara \\\\ sons'")
    assert [r["Id"] for r in found["records"]] == [created["id"]]


def test_describe_reports_formula_and_external_id(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Contact.describe()["fields"]}
    assert fields["Contactpoint_Score_Formula__c"]["calculated"] is True
    assert fields["Contactpoint_Score_Formula__c"]["updateable"] is False
    assert not any(name.startswith("Contactpoint_") and name.endswith("_Id__c") for name in fields)  # fresh org
    assert fields["MailingCity"]["compoundFieldName"] == "MailingAddress"
    assert fields["AccountId"]["relationshipName"] == "Account"


def test_formula_changes_without_system_modstamp(sb: RunningSandbox, sf: Salesforce) -> None:
    query = "SELECT Id, SystemModstamp, Contactpoint_Score_Formula__c FROM Contact WHERE HasOptedOutOfEmail = false"
    before = {r["Id"]: r for r in sf.query_all(query)["records"]}
    sb.control.change_formula()
    after = {r["Id"]: r for r in sf.query_all(query)["records"]}
    assert all(after[i]["SystemModstamp"] == before[i]["SystemModstamp"] for i in before)
    assert any(after[i]["Contactpoint_Score_Formula__c"] != before[i]["Contactpoint_Score_Formula__c"] for i in before)


def test_collections_update_reports_per_record_errors(sb: RunningSandbox, sf: Salesforce) -> None:
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 3")["records"]]
    sb.control.fail_records([ids[2]])
    records = [
        {"attributes": {"type": "Contact"}, "Id": ids[0], "LastName": ""},
        {"attributes": {"type": "Contact"}, "Id": ids[1], "Title": "Chief Listener"},
        {"attributes": {"type": "Contact"}, "Id": ids[2], "Title": "Never"},
    ]
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[1] == {"id": ids[1], "success": True, "errors": []}
    assert results[2]["errors"][0]["statusCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert sf.Contact.get(ids[1])["Title"] == "Chief Listener"


def test_collections_all_or_none_rolls_back(sf: Salesforce) -> None:
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 2")["records"]]
    records = [
        {"attributes": {"type": "Contact"}, "Id": ids[0], "Title": "Rolled"},
        {"attributes": {"type": "Contact"}, "Id": ids[1], "Email": "not-an-email"},
    ]
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": True, "records": records})
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert sf.Contact.get(ids[0])["Title"] != "Rolled"


def test_upsert_by_external_id(sf: Salesforce) -> None:
    metadata = {"label": "Upsert key", "type": "Text", "length": 64, "externalId": True, "unique": True}
    sf.toolingexecute(
        "sobjects/CustomField", method="POST", json={"FullName": "Contact.Cp_Key__c", "Metadata": metadata}
    )
    assert {f["name"]: f for f in sf.Contact.describe()["fields"]}["Cp_Key__c"]["externalId"] is True
    assert sf.Contact.upsert("Cp_Key__c/cp-123", {"LastName": "Upserted"}) == 201
    assert sf.Contact.upsert("Cp_Key__c/cp-123", {"LastName": "Again"}) == 200
    rows = sf.query("SELECT LastName FROM Contact WHERE Cp_Key__c = 'cp-123'")["records"]
    assert [r["LastName"] for r in rows] == ["Again"]


def test_bulk2_query_pages_with_locator(sf: Salesforce) -> None:
    pages = list(sf.bulk2.Contact.query("SELECT Id, Email, Account.Name FROM Contact", max_records=100, wait=0))
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(pages) > 2
    assert list(rows[0]) == ["Id", "Email", "Account.Name"]
    assert len({r["Id"] for r in rows}) == len(rows) == sf.query("SELECT COUNT() FROM Contact")["totalSize"]


def test_bulk2_ingest_reports_successes_and_failures(sf: Salesforce) -> None:
    records = [{"LastName": "Bulk", "Email": "bulk@example.com"}, {"LastName": "", "Email": "bulk2@example.com"}]
    summary = sf.bulk2.Contact.insert(records=records, wait=0)[0]
    assert (summary["numberRecordsProcessed"], summary["numberRecordsFailed"]) == (2, 1)
    failed = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_failed_records(summary["job_id"]))))
    assert failed[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING:")
    good = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(summary["job_id"]))))
    assert good[0]["sf__Created"] == "true"
    assert sf.Contact.get(good[0]["sf__Id"])["Email"] == "bulk@example.com"


def test_tooling_custom_field_create_is_idempotent_by_error(sf: Salesforce) -> None:
    body = {"FullName": "Contact.Cp_Golden_Email__c", "Metadata": {"label": "Golden email", "type": "Email"}}
    created = sf.toolingexecute("sobjects/CustomField", method="POST", json=body)
    assert created["success"] is True
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.toolingexecute("sobjects/CustomField", method="POST", json=body)
    assert info.value.content[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    listed = sf.toolingexecute(
        "query/?q=SELECT+Id,DeveloperName+FROM+CustomField+WHERE+TableEnumOrId='Contact'", method="GET"
    )
    assert "Cp_Golden_Email" in {r["DeveloperName"] for r in listed["records"]}
    assert "Cp_Golden_Email__c" in {f["name"] for f in sf.Contact.describe()["fields"]}


def test_long_soql_url_gets_414(sb: RunningSandbox, http: requests.Session) -> None:
    fields = ", ".join(wide_field_name(i) for i in range(1, WIDE_FIELD_COUNT + 1))
    response = http.get(
        f"{sb.base_url}{API}/query",
        params={"q": f"SELECT {fields} FROM Wide_Object__c"},
        headers={"Authorization": f"Bearer {sb.credentials['session_id']}"},
    )
    assert response.status_code == 414
    assert response.json()[0]["errorCode"] == "URI_TOO_LONG"


def test_soap_login_with_security_token(sb: RunningSandbox, http: requests.Session) -> None:
    c = sb.credentials
    sf = Salesforce(username=c["username"], password=c["password"], security_token=c["security_token"],
                    domain=c["domain"], session=http)  # fmt: skip
    assert sf.sf_instance == sb.base_url.removeprefix("https://")
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 150
    with pytest.raises(SalesforceAuthenticationFailed) as info:
        Salesforce(username=c["username"], password="wrong", security_token="x", domain=c["domain"], session=http)
    assert info.value.code == "INVALID_LOGIN"


def test_jwt_bearer_login_through_simple_salesforce(sb: RunningSandbox, http: requests.Session) -> None:
    c = sb.credentials
    sf = Salesforce(username=c["username"], consumer_key=c["consumer_key"], privatekey_file=c["private_key_file"],
                    domain=c["domain"], session=http)  # fmt: skip
    accounts = sum(1 for _ in sb.app.org.live("Account"))  # 60 of the crowd (300 / 5) and the stories' companies
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == accounts > 60


def test_jwt_signed_by_another_key_is_refused(sb: RunningSandbox, http: requests.Session) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    claims = {
        "iss": sb.credentials["consumer_key"],
        "sub": sb.credentials["username"],
        "aud": sb.base_url,
        "exp": 4102444800,
    }
    grant = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt.encode(claims, pem, algorithm="RS256"),
    }
    response = http.post(sb.credentials["token_url"], data=grant)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


def test_client_credentials_and_refresh_token(sb: RunningSandbox, http: requests.Session) -> None:
    c = sb.credentials
    response = http.post(
        c["token_url"], data={"grant_type": "client_credentials"}, auth=(c["consumer_key"], c["consumer_secret"])
    )
    body = response.json()
    assert response.status_code == 200
    assert body["instance_url"] == sb.base_url and body["token_type"] == "Bearer"
    sf = Salesforce(instance_url=body["instance_url"], session_id=body["access_token"], session=http)
    assert sf.query("SELECT COUNT() FROM Contact")["totalSize"] > 0
    refreshed = http.post(c["token_url"], data={"grant_type": "refresh_token", "refresh_token": c["refresh_token"],
                                                "client_id": c["consumer_key"]})  # fmt: skip
    assert refreshed.status_code == 200
    bad = http.post(c["token_url"], data={"grant_type": "password", "client_id": c["consumer_key"],
                                          "client_secret": c["consumer_secret"], "username": c["username"],
                                          "password": "nope"})  # fmt: skip
    assert bad.json() == {"error": "invalid_grant", "error_description": "authentication failure"}


def test_delete_record_goes_to_the_recycle_bin(sb: RunningSandbox, sf: Salesforce, http: requests.Session) -> None:
    created = sf.Contact.create({"LastName": "Binned"})
    assert sf.Contact.delete(created["id"]) == 204
    url = f"{sb.base_url}{API}/sobjects/Contact/{created['id']}"
    headers = {"Authorization": f"Bearer {sb.credentials['session_id']}"}
    again = http.delete(url, headers=headers, timeout=10)
    assert (again.status_code, again.json()[0]["errorCode"]) == (404, "ENTITY_IS_DELETED")
    assert http.get(url, headers=headers, timeout=10).status_code == 404
    binned = sf.query_all(f"SELECT Id, IsDeleted FROM Contact WHERE Id = '{created['id']}'", include_deleted=True)
    assert [r["IsDeleted"] for r in binned["records"]] == [True]
    unknown = http.delete(f"{sb.base_url}{API}/sobjects/Contact/003000000000001AAA", headers=headers, timeout=10)
    assert (unknown.status_code, unknown.json()[0]["errorCode"]) == (404, "NOT_FOUND")


def test_offset_over_2000_is_refused(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Contact ORDER BY Id LIMIT 10 OFFSET 2001")
    assert info.value.content[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_aggregate_query_answers_aggregate_results(sf: Salesforce) -> None:
    result = sf.query("SELECT LeadSource, COUNT(Id) FROM Contact GROUP BY LeadSource")
    assert result["done"] is True
    assert {r["attributes"]["type"] for r in result["records"]} == {"AggregateResult"}
    total = sum(r["expr0"] for r in result["records"])
    assert total == sf.query("SELECT COUNT() FROM Contact")["totalSize"]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT COUNT() FROM Contact",
        "SELECT LeadSource, COUNT(Id) FROM Contact GROUP BY LeadSource",
        "SELECT Id FROM Contact LIMIT 10 OFFSET 5",
    ],
)
def test_bulk2_query_refuses_what_bulk_does_not_support(sb: RunningSandbox, http: requests.Session, query: str) -> None:
    response = http.post(
        f"{sb.base_url}{API}/jobs/query",
        json={"operation": "query", "query": query},
        headers={"Authorization": f"Bearer {sb.credentials['session_id']}"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "API_ERROR"
