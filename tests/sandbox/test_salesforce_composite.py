"""``composite`` and ``composite/batch``: subrequests run through the sandbox's own handlers.

Every exchange of these tests is also checked against the Salesforce contract.
"""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.common import RunningSandbox
from tests.contracts.validator import Exchange

API = "/services/data/v59.0"


def _sub(method: str, url: str, ref: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"method": method, "url": f"{API}/{url}", "referenceId": ref}
    return out | ({"body": body} if body is not None else {})


def test_composite_chains_references(sf: Salesforce, seen: list[Exchange]) -> None:
    body = {
        "allOrNone": False,
        "compositeRequest": [
            _sub("POST", "sobjects/Account", "newAccount", {"Name": "Composite Co"}),
            _sub("POST", "sobjects/Contact", "newContact", {"LastName": "Comp", "AccountId": "@{newAccount.id}"}),
            _sub("GET", "sobjects/Contact/@{newContact.id}?fields=Id,AccountId", "readContact"),
            _sub("GET", "query?q=SELECT+Id+FROM+Account+WHERE+Id+=+'@{newAccount.id}'", "findAccount"),
        ],
    }
    results = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["referenceId"] for r in results] == ["newAccount", "newContact", "readContact", "findAccount"]
    assert [r["httpStatusCode"] for r in results] == [201, 201, 200, 200]
    account_id = results[0]["body"]["id"]
    assert results[0]["httpHeaders"]["Location"] == f"{API}/sobjects/Account/{account_id}"
    assert results[2]["body"]["AccountId"] == account_id
    assert results[3]["body"]["totalSize"] == 1


def test_composite_all_or_none_rolls_back(sf: Salesforce, seen: list[Exchange]) -> None:
    body = {
        "allOrNone": True,
        "compositeRequest": [
            _sub("POST", "sobjects/Contact", "good", {"LastName": "Rolled Back Composite"}),
            _sub("POST", "sobjects/Contact", "bad", {"LastName": "X", "Email": "not an email"}),
        ],
    }
    results = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [400, 400]
    assert results[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert results[1]["body"][0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    assert sf.query("SELECT COUNT() FROM Contact WHERE LastName = 'Rolled Back Composite'")["totalSize"] == 0


def test_composite_reference_to_a_failed_subrequest_halts(sf: Salesforce, seen: list[Exchange]) -> None:
    body = {
        "compositeRequest": [
            _sub("POST", "sobjects/Contact", "bad", {"Email": "x@example.com"}),
            _sub("GET", "sobjects/Contact/@{bad.id}", "after"),
        ],
    }
    results = sf.restful("composite", method="POST", json=body)["compositeResponse"]
    assert results[0]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert (results[1]["httpStatusCode"], results[1]["body"][0]["errorCode"]) == (400, "PROCESSING_HALTED")


def test_composite_and_batch_refuse_more_than_25_subrequests(sf: Salesforce) -> None:
    """Requests the contract (maxItems 25) calls invalid: not contract-checked."""
    body = {"compositeRequest": [_sub("GET", "limits", f"r{i}") for i in range(26)]}
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite", method="POST", json=body)
    assert info.value.content[0]["errorCode"] == "LIMIT_EXCEEDED"
    batch = {"batchRequests": [{"method": "GET", "url": "v59.0/limits"}] * 26}
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.restful("composite/batch", method="POST", json=batch)
    assert info.value.content[0]["errorCode"] == "LIMIT_EXCEEDED"


def test_batch_runs_independent_subrequests(sb: RunningSandbox, sf: Salesforce, seen: list[Exchange]) -> None:
    some = sf.query("SELECT Id FROM Contact LIMIT 1")["records"][0]["Id"]
    body = {
        "batchRequests": [
            {"method": "GET", "url": "v59.0/limits"},
            {"method": "PATCH", "url": f"v59.0/sobjects/Contact/{some}", "richInput": {"Title": "Batched"}},
            {"method": "GET", "url": f"v59.0/sobjects/Contact/{some}?fields=Title"},
            {"method": "GET", "url": "v59.0/sobjects/Contact/003000000000001AAA"},
            {"method": "GET", "url": "v59.0/query?q=SELECT+Id+FROM+Contact+LIMIT+1"},
        ]
    }
    answer = sf.restful("composite/batch", method="POST", json=body)
    assert answer["hasErrors"] is True
    results = answer["results"]
    assert [r["statusCode"] for r in results] == [200, 204, 200, 404, 200]
    assert results[1]["result"] is None
    assert results[2]["result"]["Title"] == "Batched"
    halted = sf.restful("composite/batch", method="POST", json=body | {"haltOnError": True})["results"]
    assert [r["statusCode"] for r in halted] == [200, 204, 200, 404, 412]
    assert halted[4]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
