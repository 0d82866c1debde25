"""Bulk API 1.0 in the Salesforce sandbox: simple-salesforce's ``sf.bulk`` unchanged, and the API's refusals."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests
from simple_salesforce import Salesforce

from sandbox.common import RunningSandbox
from sandbox.salesforce.bulk1 import BATCH_LIMIT
from tests.contracts.validator import exchange_of, validate_all

ASYNC = "/services/async/59.0"


def _live(sb: RunningSandbox, sobject: str, email_prefix: str) -> dict[str, dict]:
    records = sb.app.org.records[sobject].values()
    return {r["Id"]: r for r in records if str(r.get("Email") or "").startswith(email_prefix) and not r["IsDeleted"]}


def test_simple_salesforces_bulk_inserts_queries_updates_and_deletes(sb, sf: Salesforce, seen) -> None:
    people = [
        {"FirstName": "Ana", "LastName": "Bulk", "Email": "bulk1-ana@example.com", "Birthdate": "1990-04-01"},
        {"FirstName": "Ben", "LastName": "Bulk", "Email": "bulk1-ben@example.com"},
        {"FirstName": "No", "Email": "bulk1-nolast@example.com"},  # LastName is required
    ]
    results = sf.bulk.Contact.insert(people, batch_size=2)
    assert [(r["success"], r["created"]) for r in results] == [(True, True), (True, True), (False, False)]
    assert results[2]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert results[2]["errors"][0]["fields"] == ["LastName"] and results[2]["id"] is None
    assert set(_live(sb, "Contact", "bulk1-")) == {results[0]["id"], results[1]["id"]}

    found = sf.bulk.Contact.query("SELECT Id, Email, Birthdate, CreatedDate FROM Contact WHERE Email LIKE 'bulk1-%'")
    by_email = {r["Email"]: r for r in found}
    assert set(by_email) == {"bulk1-ana@example.com", "bulk1-ben@example.com"}
    ana = by_email["bulk1-ana@example.com"]
    assert ana["attributes"]["type"] == "Contact" and ana["Id"] == results[0]["id"]
    assert ana["Birthdate"] == int(datetime(1990, 4, 1, tzinfo=UTC).timestamp() * 1000)  # epoch milliseconds
    assert abs(ana["CreatedDate"] / 1000 - time.time()) < 600

    updated = sf.bulk.Contact.update([{"Id": results[1]["id"], "Title": "Buyer"}])
    assert updated[0]["success"] and sb.app.org.records["Contact"][results[1]["id"]]["Title"] == "Buyer"
    deleted = sf.bulk.Contact.delete([{"Id": results[0]["id"]}])
    assert deleted[0]["success"] and set(_live(sb, "Contact", "bulk1-")) == {results[1]["id"]}
    everything = sf.bulk.Contact.query_all("SELECT Id, IsDeleted FROM Contact WHERE Email LIKE 'bulk1-%'")
    assert sorted((r["Id"], r["IsDeleted"]) for r in everything) == sorted(
        [(results[0]["id"], True), (results[1]["id"], False)]
    )
    assert len([x for x in seen if "/services/async/" in x.url]) >= 12  # every exchange follows the contract
    sf.bulk.Contact.delete([{"Id": results[1]["id"]}])  # the package's other tests count the org's records


def _checked(response: requests.Response) -> requests.Response:
    problems = validate_all("salesforce", [exchange_of(response)])
    assert not problems, "\n".join(problems)
    return response


def _bulk_session(sb: RunningSandbox) -> requests.Session:
    session = sb.requests_session()
    session.headers.update({"X-SFDC-Session": sb.credentials["session_id"], "Content-Type": "application/json"})
    return session


def test_bulk_v1_refuses_what_salesforce_refuses(sb) -> None:
    bulk = _bulk_session(sb)
    url = f"{sb.base_url}{ASYNC}/job"
    anonymous = sb.requests_session().post(url, json={"operation": "insert", "object": "Contact"})
    assert anonymous.status_code == 400 and anonymous.json()["exceptionCode"] == "InvalidSessionId"
    unknown = _checked(bulk.post(url, json={"operation": "insert", "object": "Nope__c", "contentType": "JSON"}))
    assert unknown.status_code == 400 and unknown.json()["exceptionCode"] == "InvalidJob"
    job = _checked(bulk.post(url, json={"operation": "insert", "object": "Contact", "contentType": "JSON"})).json()
    too_many = [{"LastName": f"L{i}"} for i in range(BATCH_LIMIT + 1)]
    refused = _checked(bulk.post(f"{url}/{job['id']}/batch", json=too_many))
    assert refused.status_code == 400 and refused.json()["exceptionCode"] == "InvalidBatch"
    closed = _checked(bulk.post(f"{url}/{job['id']}", json={"state": "Closed"})).json()
    assert closed["state"] == "Closed" and closed["numberBatchesTotal"] == 0
    late = _checked(bulk.post(f"{url}/{job['id']}/batch", json=[{"LastName": "Late"}]))
    assert late.status_code == 400 and late.json()["exceptionCode"] == "InvalidJobState"

    query = _checked(bulk.post(url, json={"operation": "query", "object": "Contact", "contentType": "JSON"})).json()
    batch = bulk.post(f"{url}/{query['id']}/batch", data="SELECT COUNT() FROM Contact").json()
    failed = _checked(bulk.get(f"{url}/{query['id']}/batch/{batch['id']}")).json()
    assert failed["state"] == "Failed" and failed["stateMessage"].startswith("InvalidBatch : ")
    assert "Aggregate" in failed["stateMessage"]
    assert _checked(bulk.get(f"{url}/{query['id']}/batch/{batch['id']}/result")).json() == []


def test_a_csv_job_takes_and_answers_csv(sb) -> None:
    bulk = _bulk_session(sb)
    url = f"{sb.base_url}{ASYNC}/job"
    job = bulk.post(url, json={"operation": "insert", "object": "Lead", "contentType": "CSV"}).json()
    rows = "LastName,Company,Email,Country\nCsv,Acme,bulk1-csv@example.com,USA\n,NoName,bulk1-bad@example.com,\n"
    batch = bulk.post(f"{url}/{job['id']}/batch", data=rows.encode(), headers={"Content-Type": "text/csv"}).json()
    answer = bulk.get(f"{url}/{job['id']}/batch/{batch['id']}/result")
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.text.splitlines()
    assert lines[0] == '"Id","Success","Created","Error"'
    assert lines[1].endswith('"true","true",""') and lines[2].startswith('"","false","false","REQUIRED_FIELD_MISSING:')
    (lead,) = _live(sb, "Lead", "bulk1-csv").values()
    assert (lead["Country"], lead["Company"]) == ("USA", "Acme")
    info = _checked(bulk.get(f"{url}/{job['id']}")).json()
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"], info["numberBatchesCompleted"]) == (2, 1, 1)
    gone = bulk.post(url, json={"operation": "delete", "object": "Lead", "contentType": "CSV"}).json()
    bulk.post(f"{url}/{gone['id']}/batch", data=f"Id\n{lead['Id']}\n".encode(), headers={"Content-Type": "text/csv"})
    assert not _live(sb, "Lead", "bulk1-csv")  # deleted by a CSV delete job, as the other tests count the org's Leads
