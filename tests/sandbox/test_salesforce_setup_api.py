"""The sandbox pieces ``setup salesforce`` relies on, and fixes found while writing the connector."""

from __future__ import annotations

import csv
import io

import certifi
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.common import RunningSandbox
from sandbox.salesforce.bulk import _decode_locator, _encode_locator

API = "/services/data/v59.0"


def test_bulk_locator_round_trips_offsets_whose_base64_needs_padding() -> None:
    for offset in (50, 2000, 50000, 123456):
        locator = _encode_locator(offset)
        assert not locator.endswith("=")
        assert _decode_locator(locator) == offset
    assert _encode_locator(50000) == "NTAwMDA"
    with pytest.raises(ValueError):
        _decode_locator("not base64!")


def test_bulk2_query_pages_with_a_page_size_whose_locators_need_padding(sf: Salesforce) -> None:
    # offsets 50, 250: base64 of two or five digits ends in padding, which the locator drops
    pages = list(sf.bulk2.Contact.query("SELECT Id FROM Contact", max_records=50, wait=0))
    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(pages) > 5
    assert len({r["Id"] for r in rows}) == len(rows) == sf.query("SELECT COUNT() FROM Contact")["totalSize"]


def test_collections_update_accepts_lower_case_id(sf: Salesforce) -> None:
    ids = [r["Id"] for r in sf.query("SELECT Id FROM Contact LIMIT 2")["records"]]
    records = [
        {"attributes": {"type": "Contact"}, "id": ids[0], "Title": "Lower"},
        {"attributes": {"type": "Contact"}, "Id": ids[1], "Title": "Upper"},
    ]
    results = sf.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})
    assert [r["success"] for r in results] == [True, True]
    assert [sf.Contact.get(i)["Title"] for i in ids] == ["Lower", "Upper"]


def test_requests_session_trusts_the_sandbox_ca_over_requests_ca_bundle(
    sb: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # a bundle without the sandbox's CA
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{sb.base_url}/services/data", timeout=10)
    response = sb.requests_session().get(f"{sb.base_url}/services/data", timeout=10)
    assert response.status_code == 200


def _layouts(sf: Salesforce, sobject: str) -> dict[str, str]:
    rows = sf.toolingexecute(f"query/?q=SELECT+Id,Name+FROM+Layout+WHERE+TableEnumOrId='{sobject}'")["records"]
    return {r["Name"]: r["Id"] for r in rows}


def test_layouts_are_listed_read_and_updated_with_metadata(sf: Salesforce) -> None:
    layouts = _layouts(sf, "Contact")
    assert set(layouts) == {"Contact Layout", "Contact (Support) Layout"}
    layout = sf.toolingexecute(f"sobjects/Layout/{layouts['Contact Layout']}")
    assert layout["FullName"] == "Contact-Contact Layout"
    metadata = layout["Metadata"]
    items = [i for s in metadata["layoutSections"] for c in s["layoutColumns"] for i in c["layoutItems"]]
    assert {"field": "LastName", "behavior": "Required"} in items
    metadata["layoutSections"].append(
        {"label": "Extra", "customLabel": True, "style": "OneColumn",
         "layoutColumns": [{"layoutItems": [{"field": "Title", "behavior": "Readonly"}]}]}
    )  # fmt: skip
    with pytest.raises(SalesforceMalformedRequest) as twice:  # Title is already in the first section
        sf.toolingexecute(f"sobjects/Layout/{layouts['Contact Layout']}", method="PATCH", json={"Metadata": metadata})
    assert twice.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    metadata["layoutSections"][-1]["layoutColumns"][0]["layoutItems"][0]["field"] = "DoNotCall"
    sf.toolingexecute(f"sobjects/Layout/{layouts['Contact Layout']}", method="PATCH", json={"Metadata": metadata})
    again = sf.toolingexecute(f"sobjects/Layout/{layouts['Contact Layout']}")["Metadata"]
    assert again["layoutSections"][-1]["label"] == "Extra"
    metadata["layoutSections"][-1]["layoutColumns"][0]["layoutItems"][0]["field"] = "No_Such__c"
    with pytest.raises(SalesforceMalformedRequest):
        sf.toolingexecute(f"sobjects/Layout/{layouts['Contact Layout']}", method="PATCH", json={"Metadata": metadata})


def test_field_permissions_insert_update_and_duplicate(sf: Salesforce) -> None:
    sets = sf.query("SELECT Id, Profile.Name FROM PermissionSet WHERE IsOwnedByProfile = true")["records"]
    by_profile = {r["Profile"]["Name"]: r["Id"] for r in sets}
    assert set(by_profile) == {"System Administrator", "Standard User", "Contactpoint Integration"}
    user = sf.query("SELECT Profile.Name FROM User")["records"][0]
    assert user["Profile"]["Name"] == "Contactpoint Integration"
    row = {"ParentId": by_profile["Standard User"], "SobjectType": "Contact", "Field": "Contact.Title",
           "PermissionsRead": True, "PermissionsEdit": False}  # fmt: skip
    created = sf.FieldPermissions.create(row)
    assert created["success"] is True and created["id"].startswith("01k")
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.FieldPermissions.create(row)
    assert duplicate.value.content[0]["errorCode"] == "DUPLICATE_VALUE"
    with pytest.raises(SalesforceMalformedRequest) as edit_only:
        sf.FieldPermissions.update(created["id"], {"PermissionsRead": False, "PermissionsEdit": True})
    assert edit_only.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert sf.FieldPermissions.update(created["id"], {"PermissionsEdit": True}) == 204
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.FieldPermissions.create({**row, "Field": "Contact.Nope__c"})
    assert unknown.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    rows = sf.query("SELECT Field, PermissionsEdit FROM FieldPermissions WHERE Field IN ('Contact.Title')")
    assert [(r["Field"], r["PermissionsEdit"]) for r in rows["records"]] == [("Contact.Title", True)]
