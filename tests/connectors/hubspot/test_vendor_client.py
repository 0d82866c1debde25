"""HubSpot's own Python client (hubspot-api-client) against the sandbox, unchanged but for the URL.

What such a client ordinarily does: list and page, fetch one, create, update, archive,
search with paging, batch writes with per-record errors (207), properties and groups,
subscription statuses, OAuth tokens, and the errors (401, 404, 429). Every exchange is
also checked against the HubSpot contract.
"""

from __future__ import annotations

from collections.abc import Iterator

import hubspot
import pytest
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException, UnauthorizedException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from urllib3.util.retry import Retry

from sandbox.common.runner import RunningSandbox, running_sandbox
from tests.contracts.validator import validate_all

from .traffic import captured

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox("hubspot", records=120, seed=5) as running:
        yield running


@pytest.fixture
def sb(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox, its faults cleared, limits high enough for a client in a hurry; traffic contract-checked."""
    sandbox.control.reset()
    sandbox.control.limits.configure(ten_secondly=10_000, secondly=1000, search_per_second=100)
    with captured(sandbox) as seen:
        yield sandbox
    problems = validate_all("hubspot", seen)
    assert seen and not problems, "\n".join(problems[:10])


def client(sb: RunningSandbox, **kwargs) -> hubspot.Client:
    token = kwargs.pop("access_token", sb.credentials["private_app_token"])
    return hubspot.Client.create(access_token=token, host=sb.base_url, ssl_ca_cert=str(sb.ca_file), **kwargs)


def test_list_pages_fetch_one_and_by_email(sb):
    api = client(sb).crm.contacts.basic_api
    seen, after = [], None
    while True:
        page = api.get_page(limit=50, after=after, properties=["email", "firstname"])
        seen += [c.id for c in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(seen) == len(set(seen)) == sum(1 for _ in sb.control.portal.live("contacts"))
    maya = api.get_by_id("101", properties=["email", "lifecyclestage"])
    assert maya.properties["email"] == "maya.lindqvist@northwind-analytics.example.com"
    same = api.get_by_id("MAYA.LINDQVIST@northwind-analytics.example.com", id_property="email")
    assert same.id == "101"
    archived = api.get_page(limit=100, archived=True)
    assert archived.results and all(c.archived and c.archived_at for c in archived.results)


def test_create_update_archive_and_404(sb):
    api = client(sb).crm.contacts.basic_api
    made = api.create(
        SimplePublicObjectInputForCreate(properties={"email": "ines.new@example.org", "firstname": "Ines"})
    )
    changed = api.update(made.id, SimplePublicObjectInput(properties={"jobtitle": "CFO"}))
    assert changed.properties["jobtitle"] == "CFO" and changed.updated_at >= made.updated_at
    with pytest.raises(ApiException) as conflict:
        api.create(SimplePublicObjectInputForCreate(properties={"email": "Ines.New@example.org"}))
    assert conflict.value.status == 409 and f"Existing ID: {made.id}" in conflict.value.body
    api.archive(made.id)
    with pytest.raises(NotFoundException):
        api.get_by_id(made.id)
    with pytest.raises(ApiException) as bad:
        api.update("101", SimplePublicObjectInput(properties={"no_such_property": "x"}))
    assert bad.value.status == 400 and "PROPERTY_DOESNT_EXIST" in bad.value.body


def test_search_pages_with_after_and_stops_at_the_ceiling(sb):
    api = client(sb).crm.contacts.search_api
    request = PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}],
        sorts=["lastmodifieddate"], properties=["email", "lifecyclestage"], limit=10,
    )  # fmt: skip
    found, after = [], None
    while True:
        request.after = after
        page = api.do_search(request)
        found += page.results
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(found) == page.total > 10 and all(c.properties["lifecyclestage"] == "lead" for c in found)
    sb.control.search_ceiling = 30
    with pytest.raises(ApiException) as ceiling:
        api.do_search(PublicObjectSearchRequest(limit=20, after="20"))
    assert ceiling.value.status == 400 and "at most 30 results" in ceiling.value.body
    sb.control.search_ceiling = 10_000


def test_batch_update_and_upsert_report_failures_per_record(sb):
    batch = client(sb).crm.contacts.batch_api
    sb.control.fail_records(["1003"])
    answer = batch.update(BatchInputSimplePublicObjectBatchInput(inputs=[
        {"id": "1001", "properties": {"jobtitle": "Analyst"}},
        {"id": "1003", "properties": {"jobtitle": "Analyst"}},
        {"id": "424242", "properties": {"jobtitle": "Analyst"}},
    ]))  # fmt: skip
    assert type(answer).__name__ == "BatchResponseSimplePublicObjectWithErrors" and answer.num_errors == 2
    assert {e.category: e.context["ids"] for e in answer.errors} == {
        "VALIDATION_ERROR": ["1003"],
        "OBJECT_NOT_FOUND": ["424242"],
    }
    assert [r.id for r in answer.results] == ["1001"]
    upserted = batch.upsert(BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        {"idProperty": "email", "id": "maya.lindqvist@northwind-analytics.example.com", "properties": {"jobtitle": "CDO"}},
        {"idProperty": "email", "id": "brand.new@example.com", "properties": {"firstname": "Brand"}},
    ]))  # fmt: skip
    assert sorted((r.id == "101", r.new) for r in upserted.results) == [(False, True), (True, False)]
    read = batch.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": "101"}], properties=["jobtitle"]))
    assert read.results[0].properties["jobtitle"] == "CDO"


def test_properties_and_groups(sb):
    props = client(sb).crm.properties
    group = props.groups_api.create("contacts", PropertyGroupCreate(name="vendor_test", label="Vendor test"))
    made = props.core_api.create("contacts", PropertyCreate(name="vendor_score", label="Score", type="number",
                                                            field_type="number", group_name=group.name))  # fmt: skip
    assert made.type == "number" and props.core_api.get_by_name("contacts", "vendor_score").group_name == "vendor_test"
    assert "vendor_score" in {p.name for p in props.core_api.get_all("contacts").results}
    from hubspot.crm.properties.exceptions import ApiException as PropertiesError

    with pytest.raises(PropertiesError) as again:
        props.groups_api.create("contacts", PropertyGroupCreate(name="vendor_test", label="Vendor test"))
    assert again.value.status == 409
    props.core_api.archive("contacts", "vendor_score")
    assert "vendor_score" not in {p.name for p in props.core_api.get_all("contacts").results}


def test_subscription_statuses_and_unsubscribe(sb):
    prefs = client(sb).communication_preferences
    tomas = prefs.status_api.get_email_status("tomas.okafor@harbourline.example.com")
    assert {s.status for s in tomas.subscription_statuses} == {"NOT_SUBSCRIBED"}
    assert {s.source_of_status for s in tomas.subscription_statuses} == {"PORTAL_WIDE_STATUS"}
    from hubspot.communication_preferences import PublicUpdateSubscriptionStatusRequest

    maya = "maya.lindqvist@northwind-analytics.example.com"
    contacts = client(sb).crm.contacts.basic_api
    optout = "hs_email_optout_1001"
    before = contacts.get_by_id(maya, id_property="email", properties=[optout, "lastmodifieddate"]).properties
    done = prefs.status_api.unsubscribe(
        PublicUpdateSubscriptionStatusRequest(email_address=maya, subscription_id="1001")
    )
    assert done.status == "NOT_SUBSCRIBED"
    assert len(prefs.definition_api.get_page().subscription_definitions) == 3
    # HubSpot sets "Opted out of email: <type>" when an integration opts a contact out of a type,
    # which moves the contact's lastmodifieddate: an incremental pull of contacts sees the change
    after = contacts.get_by_id(maya, id_property="email", properties=[optout, "lastmodifieddate"]).properties
    assert (before[optout], after[optout]) == ("false", "true")
    assert after["lastmodifieddate"] > before["lastmodifieddate"]
    labels = {p.name: p.label for p in client(sb).crm.properties.core_api.get_all("contacts").results}
    assert labels[optout] == "Opted out of email: Marketing Information"
    # the status is the address's: a contact made for it afterwards shows it
    later = "not.yet.a.contact@example.org"
    prefs.status_api.unsubscribe(PublicUpdateSubscriptionStatusRequest(email_address=later, subscription_id="1002"))
    made = contacts.create(SimplePublicObjectInputForCreate(properties={"email": later}))
    shown = contacts.get_by_id(made.id, properties=["hs_email_optout_1002", "hs_email_optout_1001"]).properties
    assert (shown["hs_email_optout_1002"], shown.get("hs_email_optout_1001")) == ("true", None)


def test_oauth_refresh_token_then_calls_with_the_access_token(sb):
    creds = sb.credentials
    tokens = client(sb).oauth.tokens_api.create(grant_type="refresh_token", client_id=creds["client_id"],
                                                client_secret=creds["client_secret"], refresh_token=creds["refresh_token"])  # fmt: skip
    assert tokens.expires_in == 1800
    page = client(sb, access_token=tokens.access_token).crm.companies.basic_api.get_page(limit=5)
    assert len(page.results) == 5
    sb.control.tokens.expire_all()
    from hubspot.crm.companies.exceptions import UnauthorizedException as CompaniesUnauthorized

    with pytest.raises(CompaniesUnauthorized) as expired:
        client(sb, access_token=tokens.access_token).crm.companies.basic_api.get_page(limit=5)
    assert "EXPIRED_AUTHENTICATION" in expired.value.body


def test_refused_token_and_rate_limit_errors(sb):
    with pytest.raises(UnauthorizedException) as refused:
        client(sb, access_token="pat-na1-not-a-token").crm.contacts.basic_api.get_page()
    assert "INVALID_AUTHENTICATION" in refused.value.body
    sb.control.fail_next(1, status=429, retry_after=1)
    with pytest.raises(ApiException) as limited:
        client(sb, retry=Retry(total=False)).crm.contacts.basic_api.get_page()
    assert limited.value.status == 429 and limited.value.headers["Retry-After"] == "1"
    assert '"policyName": "TEN_SECONDLY_ROLLING"' in limited.value.body
    sb.control.fail_next(1, status=429, retry_after=1)
    before = sb.control.requests.count("GET /crm/v3/objects/contacts")
    assert client(sb).crm.contacts.basic_api.get_page(limit=1).results  # urllib3 waits out Retry-After by itself
    assert sb.control.requests.count("GET /crm/v3/objects/contacts") == before + 2
