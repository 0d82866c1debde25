"""The HubSpot sandbox over plain HTTP: shapes, limits and their headers, faults, seeded stories."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
)
from hubspot.crm.contacts.exceptions import ApiException as ContactsApiError

from core.errors import ConfigError
from sandbox.common import FaultSpec, RunningSandbox, running_sandbox
from sandbox.common.people import people
from sandbox.hubspot.data import STORY_COMPANY_IDS, STORY_CONTACT_IDS
from sandbox.hubspot.portal import EmailTakenError
from tests.support.hubspot import checked_portal, official_client


@pytest.fixture(scope="module")
def portal() -> Iterator[RunningSandbox]:
    with running_sandbox("hubspot", records=200, seed=3) as running:
        yield running


class Stepped:
    """A clock for the sandbox's rate windows that only the test moves."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hs(portal: RunningSandbox) -> Iterator[RunningSandbox]:
    portal.control.reset()
    portal.control.limits.configure(ten_secondly=190, secondly=19, search_per_second=5, clock=Stepped())
    yield portal
    portal.control.reset()


def _call(sb: RunningSandbox, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or sb.credentials['private_app_token']}"}
    return sb.requests_session().request(method, sb.base_url + path, headers=headers, timeout=10, **kwargs)


def test_stories_are_seeded_with_fixed_ids_and_the_crowd_is_the_shared_population(hs):
    portal = hs.control.portal
    assert portal.get("contacts", STORY_CONTACT_IDS["tomas"]).props["hs_email_optout"] == "true"
    assert portal.get("contacts", STORY_CONTACT_IDS["lena"]).props["email"] == "lena.brandt@mailbox.example.org"
    assert (
        portal.get("companies", STORY_COMPANY_IDS["brightwater-labs.example.com"]).props["name"] == "Brightwater Labs"
    )
    assert (
        portal.find("contacts", "email", "support@brightwater-labs.example.com") is None
    )  # HubSpot has personal addresses
    crowd = {p.email for p in people(3, 200, company_count=40)}
    seeded = {r.props["email"] for r in portal.records["contacts"].values() if int(r.id) > 1000}
    assert seeded == crowd  # the same people as in every other sandbox with this seed (HubSpot keeps emails lower case)


def test_rate_limit_headers_on_crm_calls_not_on_search_and_daily_ones_only_for_a_private_app(hs):
    listed = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert (
        listed.headers["X-HubSpot-RateLimit-Max"] == "190" and listed.headers["X-HubSpot-RateLimit-Remaining"] == "189"
    )
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(listed.headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 100_000 - 1
    searched = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1})
    assert searched.status_code == 200 and not any(h.startswith("X-HubSpot-RateLimit") for h in searched.headers)
    token = _call(
        hs,
        "POST",
        "/oauth/v1/token",
        data={
            "grant_type": "refresh_token",
            **{k: hs.credentials[k] for k in ("client_id", "client_secret", "refresh_token")},
        },
    )
    oauth = _call(hs, "GET", "/crm/v3/objects/companies?limit=1", token=token.json()["access_token"])
    assert oauth.status_code == 200 and "X-HubSpot-RateLimit-Daily" not in oauth.headers


def test_search_has_its_own_rate_of_five_a_second(hs):
    clock = hs.control.limits._clock
    answers = [_call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").status_code == 200  # the general limit is separate
    clock.now += 1.0
    assert _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code == 200


def test_secondly_and_ten_secondly_windows_answer_429_with_their_policy(hs):
    hs.control.limits.configure(ten_secondly=4, secondly=3, search_per_second=5, clock=hs.control.limits._clock)
    codes = [_call(hs, "GET", "/crm/v3/objects/companies?limit=1") for _ in range(4)]
    assert [c.status_code for c in codes] == [200, 200, 200, 429]
    assert codes[2].headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
    assert codes[3].json()["policyName"] == "SECONDLY" and codes[3].headers["Retry-After"] == "1"
    hs.control.limits._clock.now += 1.5
    assert _call(hs, "GET", "/crm/v3/objects/companies?limit=1").status_code == 200
    window = _call(hs, "GET", "/crm/v3/objects/companies?limit=1")
    assert window.status_code == 429 and window.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_daily_limit(hs):
    hs.control.set_api_usage(99, limit=100)
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    spent = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert spent.status_code == 429 and spent.json()["policyName"] == "DAILY"


def test_search_ceiling_and_paging(hs):
    hs.control.search_ceiling = 50
    body = {"limit": 20, "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]}
    second = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "20"}).json()
    assert second["paging"]["next"]["after"] == "40" and second["total"] > 50
    refused = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "40"})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    last = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "30"}).json()
    assert "paging" not in last  # nothing past the ceiling is offered
    too_big = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 201})
    assert too_big.status_code == 400


def test_archived_contacts_are_listed_apart_and_merged_ids_lead_to_the_winner(hs):
    archived = _call(hs, "GET", "/crm/v3/objects/contacts?archived=true&limit=100&properties=lastmodifieddate").json()
    assert archived["results"] and all(r["archived"] and r["archivedAt"] for r in archived["results"])
    ids = {r["id"] for r in archived["results"]}
    searched = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 200}).json()["results"]
    assert not ids & {r["id"] for r in searched}
    winner = next(r for r in hs.control.portal.live("contacts") if r.props.get("hs_merged_object_ids"))
    loser = winner.props["hs_merged_object_ids"].split(";")[0]
    assert loser not in ids  # a merge leaves nothing in the recycle bin
    assert (
        _call(hs, "GET", f"/crm/v3/objects/contacts/{loser}").json()["id"] == winner.id
    )  # the old ID reads the winner


def test_batch_upsert_refuses_duplicates_and_over_100_inputs(hs):
    inputs = [{"idProperty": "email", "id": f"p{n}@example.com", "properties": {}} for n in range(101)]
    assert _call(hs, "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}).status_code == 400
    twice = [{"id": "101", "properties": {"jobtitle": "a"}}, {"id": "101", "properties": {"jobtitle": "b"}}]
    refused = _call(hs, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": twice})
    assert refused.status_code == 400 and "Duplicate" in refused.json()["message"]


def test_oauth_errors_and_expired_tokens(hs):
    form = {"grant_type": "refresh_token", "client_id": hs.credentials["client_id"],
            "client_secret": hs.credentials["client_secret"], "refresh_token": "na1-0000-wrong"}  # fmt: skip
    bad = _call(hs, "POST", "/oauth/v1/token", data=form)
    assert bad.status_code == 400 and bad.json()["status"] == "BAD_REFRESH_TOKEN"
    good = _call(hs, "POST", "/oauth/v1/token", data=form | {"refresh_token": hs.credentials["refresh_token"]}).json()
    info = _call(hs, "GET", f"/oauth/v1/access-tokens/{good['access_token']}").json()
    assert info["hub_id"] == 24681357 and "crm.objects.contacts.write" in info["scopes"]
    hs.control.inject(FaultSpec("expire_tokens"))
    expired = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1", token=good["access_token"])
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").status_code == 200  # a private app's token lives on


def test_faults_unavailable_malformed_event_and_unknown(hs):
    hs.control.inject(FaultSpec("unavailable", retry_after=3))
    down = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert down.status_code == 503 and down.headers["Retry-After"] == "3"
    event_id = hs.control.corrupt_event()
    events = _call(hs, "GET", "/email/public/v1/events?limit=5").json()["events"]
    assert next(e for e in events if e["id"] == event_id)["created"] == "yesterday"
    with pytest.raises(ConfigError, match="unknown HubSpot sandbox fault"):
        hs.control.inject(FaultSpec("earthquake"))
    admin = hs.requests_session().post(f"{hs.base_url}/__sandbox__/faults", json={"kind": "search_rate_limited"},
                                       headers={"X-Sandbox-Admin-Token": hs.admin_token})  # fmt: skip
    assert admin.status_code == 200 and admin.json()["pending"]["search"] == 1
    assert _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code == 429


def test_events_are_newest_first_and_offsets_keep_their_place(hs):
    first = _call(hs, "GET", "/email/public/v1/events?limit=50").json()
    created = [e["created"] for e in first["events"] if isinstance(e["created"], int)]
    assert created == sorted(created, reverse=True) and first["hasMore"]
    hs.control.portal.add_event(
        type(hs.control.portal.events[0])("brand-new", 4_102_444_800_000, "SENT", "x@example.com")
    )
    second = _call(hs, "GET", f"/email/public/v1/events?limit=50&offset={first['offset']}").json()
    assert not {e["id"] for e in first["events"]} & {e["id"] for e in second["events"]}
    assert "brand-new" not in {e["id"] for e in second["events"]}


# -- what HubSpot's own client sees, every exchange checked against the contract ------------------


@pytest.fixture
def checked(portal: RunningSandbox) -> Iterator[RunningSandbox]:
    with checked_portal(portal) as sb:
        yield sb


_client = official_client


def _live_emails(sb: RunningSandbox) -> list[str]:
    records = sb.control.portal.records["contacts"].values()
    return [r.props["email"].lower() for r in records if not r.archived and r.props.get("email")]


def test_no_write_path_lets_two_contacts_share_an_email(checked):
    maya = "maya.lindqvist@northwind-analytics.example.com"
    batch = _client(checked).crm.contacts.batch_api
    with pytest.raises(ContactsApiError) as taken:
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            {"properties": {"email": "first.new@example.com"}},
            {"properties": {"email": maya.upper(), "firstname": "Dup"}},
        ]))  # fmt: skip
    assert taken.value.status == 409
    assert json.loads(taken.value.body)["category"] == "CONFLICT"
    assert json.loads(taken.value.body)["message"] == "Contact already exists. Existing ID: 101"
    twice = [{"properties": {"email": "twice@example.com"}}, {"properties": {"email": "TWICE@example.com"}}]
    within = _call(checked, "POST", "/crm/v3/objects/contacts/batch/create", json={"inputs": twice})
    assert within.status_code == 400 and within.json()["category"] == "VALIDATION_ERROR"
    assert "twice@example.com" in within.json()["message"]
    patched = _call(checked, "PATCH", "/crm/v3/objects/contacts/103", json={"properties": {"email": maya}})
    assert patched.status_code == 409 and patched.json()["message"] == "Contact already exists. Existing ID: 101"
    updates = [{"id": "104", "properties": {"email": maya.title()}}]
    updated = _call(checked, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": updates})
    assert updated.status_code == 409 and updated.json()["category"] == "CONFLICT"
    swap = [{"id": "103", "properties": {"email": "same@example.com"}}, {"id": "104", "properties": {"email": "same@example.com"}}]  # fmt: skip
    assert _call(checked, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": swap}).status_code == 400
    member = {"name": "member_no", "label": "Member number", "type": "string", "fieldType": "text",
              "groupName": "contactinformation", "hasUniqueValue": True}  # fmt: skip
    assert _call(checked, "POST", "/crm/v3/properties/contacts", json=member).status_code in {201, 409}
    upsert = [{"idProperty": "member_no", "id": "M-1", "properties": {"email": maya}}]
    upserted = _call(checked, "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": upsert})
    assert upserted.status_code == 409 and upserted.json()["message"] == "Contact already exists. Existing ID: 101"
    kept = _call(checked, "PATCH", "/crm/v3/objects/contacts/101", json={"properties": {"email": maya.upper()}})
    assert kept.status_code == 200  # a contact may keep its own address, in any case
    assert "first.new@example.com" not in _live_emails(checked)  # a refused batch writes nothing
    emails = _live_emails(checked)
    assert len(emails) == len(set(emails))
    portal = checked.control.portal
    with pytest.raises(EmailTakenError):  # the store itself refuses, whatever path a write takes
        portal.update("contacts", portal.get("contacts", "105"), {"email": maya})


def test_list_paging_link_is_absolute_and_continues_the_same_request(checked):
    query = "/crm/v3/objects/contacts?limit=2&archived=true&properties=email"
    first = _call(checked, "GET", query).json()
    after = first["paging"]["next"]["after"]
    assert first["paging"]["next"]["link"] == f"{checked.base_url}{query}&after={after}"
    second = checked.requests_session().get(
        first["paging"]["next"]["link"],
        headers={"Authorization": f"Bearer {checked.credentials['private_app_token']}"},
        timeout=10,
    )
    rows = second.json()["results"]
    assert rows and all(r["archived"] and "email" in r["properties"] for r in rows)
    assert not {r["id"] for r in rows} & {r["id"] for r in first["results"]}
    searched = _call(checked, "POST", "/crm/v3/objects/contacts/search", json={"limit": 2}).json()
    assert searched["paging"]["next"] == {"after": "2"}  # search pages by offset, with no link


def test_asked_properties_come_with_the_id_and_the_create_and_modify_times(checked):
    api = _client(checked).crm
    always = {"createdate", "hs_object_id", "lastmodifieddate"}
    page = api.contacts.basic_api.get_page(limit=2, properties=["email"])
    assert all(set(c.properties) == always | {"email"} for c in page.results)
    one = api.contacts.basic_api.get_by_id("101", properties=["email"])
    assert set(one.properties) == always | {"email"} and one.properties["hs_object_id"] == "101"
    found = api.contacts.search_api.do_search(PublicObjectSearchRequest(limit=2, properties=["email"]))
    assert all(set(c.properties) == always | {"email"} for c in found.results)
    read = api.contacts.batch_api.read(BatchReadInputSimplePublicObjectId(inputs=[{"id": "101"}], properties=["email"]))
    assert set(read.results[0].properties) == always | {"email"}
    company = api.companies.basic_api.get_by_id("201", properties=["name"])
    assert set(company.properties) == {"name", "createdate", "hs_lastmodifieddate", "hs_object_id"}


def test_an_unknown_id_is_hubspots_object_not_found(checked):
    missing = _call(checked, "GET", "/crm/v3/objects/contacts/99999999")
    body = missing.json()
    assert missing.status_code == 404
    assert {k: v for k, v in body.items() if k != "correlationId"} == {
        "status": "error",
        "message": "Object not found.  objectId are usually numeric.",
        "context": {"id": ["99999999"]},
        "category": "OBJECT_NOT_FOUND",
    }
    by_email = _call(checked, "GET", "/crm/v3/objects/contacts/nobody@example.com?idProperty=email")
    assert by_email.status_code == 404 and by_email.json()["context"] == {"id": ["nobody@example.com"]}


def test_contacts_and_companies_read_their_associations(checked):
    crm = _client(checked).crm
    maya = crm.contacts.basic_api.get_by_id("101", associations=["companies"])
    assert [(a.id, a.type) for a in maya.associations["companies"].results] == [
        ("201", "contact_to_company"),
        ("201", "contact_to_company_unlabeled"),
    ]
    assert crm.contacts.basic_api.get_by_id("101").associations is None  # only when asked
    page = crm.contacts.basic_api.get_page(limit=5, associations=["companies"], properties=["associatedcompanyid"])
    assert all(
        {a.id for a in c.associations["companies"].results} == {c.properties["associatedcompanyid"]}
        for c in page.results
    )
    northwind = crm.companies.basic_api.get_by_id("201", associations=["contacts"])
    assert ("101", "company_to_contact") in {(a.id, a.type) for a in northwind.associations["contacts"].results}
    v4 = crm.associations.v4.basic_api.get_page("contacts", "101", "companies")
    assert [(str(r.to_object_id), sorted(t.type_id for t in r.association_types)) for r in v4.results] == [
        ("201", [1, 279])
    ]


def test_a_contact_gains_companies_and_a_primary_one_through_the_associations_api(checked):
    from hubspot.crm.associations.v4 import (
        AssociationSpec,
        BatchInputPublicAssociationMultiPost,
        PublicAssociationMultiPost,
        PublicObjectId,
    )
    from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate

    crm = _client(checked).crm
    contact = crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "assoc.one@example.com", "lastname": "One"})
    )
    first, second = (crm.companies.basic_api.create(CompanyInput(properties={"name": n})).id for n in ("A Co", "B Co"))
    v4 = crm.associations.v4.basic_api

    def companies() -> list[tuple[str, list[int]]]:
        found = v4.get_page("contacts", contact.id, "companies").results
        return [(str(r.to_object_id), sorted(t.type_id for t in r.association_types)) for r in found]

    def primary() -> tuple[str | None, str]:
        props = crm.contacts.basic_api.get_by_id(contact.id, properties=["associatedcompanyid"]).properties
        return props.get("associatedcompanyid") or None, props["lastmodifieddate"]

    v4.create_default("contacts", contact.id, "companies", first)  # unlabeled: not the primary company
    assert companies() == [(first, [279])] and primary()[0] is None
    before = primary()[1]
    spec = [AssociationSpec(association_category="HUBSPOT_DEFINED", association_type_id=1)]
    made = v4.create("contacts", contact.id, "companies", second, spec)
    assert made.labels == ["Primary"]
    assert companies() == [(first, [279]), (second, [1, 279])]
    now_primary, modified = primary()
    assert now_primary == second and modified > before  # the change reaches an incremental pull
    back = v4.get_page("companies", second, "contacts").results
    assert [(str(r.to_object_id), sorted(t.type_id for t in r.association_types)) for r in back] == [
        (contact.id, [2, 280])
    ]
    v4.archive("contacts", contact.id, "companies", second)
    assert companies() == [(first, [279])] and primary()[0] is None
    from_company = PublicAssociationMultiPost(_from=PublicObjectId(id=first), to=PublicObjectId(id=contact.id),
                                              types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                                     association_type_id=2)])  # fmt: skip
    crm.associations.v4.batch_api.create(
        "companies", "contacts", BatchInputPublicAssociationMultiPost(inputs=[from_company])
    )
    assert companies() == [(first, [1, 279])] and primary()[0] == first


def test_a_record_created_with_associations_has_them_and_a_bad_one_creates_nothing(checked):
    from hubspot.crm.companies import SimplePublicObjectInputForCreate as CompanyInput
    from hubspot.crm.contacts import (
        BatchInputSimplePublicObjectBatchInputForCreate,
        SimplePublicObjectBatchInputForCreate,
        SimplePublicObjectInputForCreate,
    )
    from hubspot.crm.contacts.exceptions import ApiException

    crm = _client(checked).crm
    company = crm.companies.basic_api.create(CompanyInput(properties={"name": "Inline Co"})).id
    primary = [{"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}]}]
    made = crm.contacts.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"email": "inline.one@example.com"}, associations=primary)
    )
    read = crm.contacts.basic_api.get_by_id(made.id, properties=["associatedcompanyid"])
    assert read.properties["associatedcompanyid"] == company
    unlabeled = [
        {"to": {"id": company}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}
    ]
    batch = crm.contacts.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(
            inputs=[
                SimplePublicObjectBatchInputForCreate(
                    properties={"email": "inline.two@example.com"}, associations=unlabeled
                )
            ]
        )
    )
    (two,) = batch.results
    linked = crm.associations.v4.basic_api.get_page("contacts", two.id, "companies").results
    assert [(str(r.to_object_id), [t.type_id for t in r.association_types]) for r in linked] == [(company, [279])]
    missing = [
        {"to": {"id": "999999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}
    ]
    before = len(list(checked.control.portal.live("contacts")))
    with pytest.raises(ApiException) as refused:
        crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "inline.three@example.com"}, associations=missing)
        )
    assert refused.value.status == 400 and len(list(checked.control.portal.live("contacts"))) == before


def test_a_contact_takes_hubspots_common_default_properties_and_refuses_an_unknown_lead_status(checked):
    from hubspot.crm.contacts import SimplePublicObjectInputForCreate
    from hubspot.crm.contacts.exceptions import ApiException

    crm = _client(checked).crm
    given = {"email": "props.one@example.com", "website": "https://example.com", "fax": "+1 555 0199",
             "salutation": "Dr.", "industry": "Software", "twitterhandle": "@props", "message": "Call me",
             "hs_whatsapp_phone_number": "+15550100", "hs_lead_status": "IN_PROGRESS", "numemployees": "25-50",
             "hubspot_owner_id": "910901"}  # fmt: skip
    made = crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(properties=given))
    read = crm.contacts.basic_api.get_by_id(made.id, properties=list(given)).properties
    assert {k: read[k] for k in given} == given
    status = next(p for p in crm.properties.core_api.get_all("contacts").results if p.name == "hs_lead_status")
    assert (status.type, status.field_type) == ("enumeration", "radio") and "BAD_TIMING" in [
        o.value for o in status.options
    ]
    with pytest.raises(ApiException) as refused:
        crm.contacts.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"email": "props.two@example.com", "hs_lead_status": "HOT"})
        )
    assert refused.value.status == 400
