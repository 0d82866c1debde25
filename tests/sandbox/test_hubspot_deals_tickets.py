"""Deals, tickets and their pipelines in the HubSpot sandbox, through HubSpot's own client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hubspot.crm.deals import PublicObjectSearchRequest, SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.deals.exceptions import ApiException as DealsApiError
from hubspot.crm.tickets import SimplePublicObjectInputForCreate as TicketInput
from hubspot.crm.tickets.exceptions import ApiException as TicketsApiError

from sandbox.common import RunningSandbox, running_sandbox
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.seed_sales import FIRST_DEAL_ID
from tests.support.hubspot import checked_portal, official_client


@pytest.fixture(scope="module")
def portal() -> Iterator[RunningSandbox]:
    with running_sandbox("hubspot", records=200, seed=3) as running:
        yield running


@pytest.fixture
def hs(portal: RunningSandbox) -> Iterator[RunningSandbox]:
    with checked_portal(portal) as checked:
        yield checked


_client = official_client


def _live(sb: RunningSandbox, obj: str) -> list[str]:
    store: Portal = sb.control.portal
    return [r.id for r in store.live(obj)]


def test_seeding_deals_leaves_contacts_and_companies_as_they_were():
    from sandbox.hubspot import data

    fixed = datetime(2026, 4, 1, tzinfo=UTC)
    with_sales, without = Portal(clock=lambda: fixed), Portal(clock=lambda: fixed)
    data.seed_portal(with_sales, records=60, seed=5)
    original = data.seed_sales
    try:
        data.seed_sales = lambda *a, **k: None  # type: ignore[assignment]
        data.seed_portal(without, records=60, seed=5)
    finally:
        data.seed_sales = original  # type: ignore[assignment]
    for obj in ("contacts", "companies"):
        assert {i: (r.props, r.modified) for i, r in with_sales.records[obj].items()} == {
            i: (r.props, r.modified) for i, r in without.records[obj].items()
        }
    assert with_sales._last_now == without._last_now and with_sales.new_id() == without.new_id()
    assert len(with_sales.records["deals"]) == 12 and len(with_sales.records["tickets"]) == 6
    assert not without.records["deals"]


def test_get_page_and_get_all_list_every_seeded_deal(hs):
    deals = _client(hs).crm.deals
    page = deals.basic_api.get_page(limit=5, properties=["dealname", "dealstage"])
    assert [d.id for d in page.results] == _live(hs, "deals")[:5]
    assert set(page.results[0].properties) == {
        "dealname",
        "dealstage",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }
    assert page.paging.next.after == str(int(page.results[-1].id) + 1)
    every = deals.get_all(properties=["amount"])
    assert [d.id for d in every] == _live(hs, "deals")
    store = hs.control.portal
    assert all(d.properties["amount"] == store.records["deals"][d.id].props["amount"] for d in every)
    default = deals.basic_api.get_by_id(str(FIRST_DEAL_ID))
    assert set(default.properties) == {"amount", "closedate", "createdate", "dealname", "dealstage",
                                       "hs_lastmodifieddate", "hs_object_id", "pipeline"}  # fmt: skip


def test_create_update_and_search_deals(hs):
    deals = _client(hs).crm.deals
    made = deals.basic_api.create(SimplePublicObjectInputForCreate(properties={
        "dealname": "Sandbox expansion", "amount": "1500", "dealstage": "contractsent"}))  # fmt: skip
    assert made.properties["pipeline"] == "default"  # no pipeline named: the default one
    moved = deals.basic_api.update(made.id, SimplePublicObjectInput(properties={"dealstage": "closedwon"}))
    assert moved.properties["dealstage"] == "closedwon"
    assert deals.basic_api.get_by_id(made.id, properties=["dealstage"]).properties["dealstage"] == "closedwon"
    found = deals.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]}],
        properties=["dealstage"], limit=200))  # fmt: skip
    expected = sorted(
        (r.id for r in hs.control.portal.live("deals") if r.props.get("dealstage") == "closedwon"), key=int
    )
    assert found.total == len(expected) and [d.id for d in found.results] == expected
    assert made.id in expected
    by_id = deals.basic_api.get_by_id("Sandbox expansion", id_property="dealname")
    assert by_id.id == made.id


def test_bad_dealstage_and_ticket_without_stage_are_validation_errors(hs):
    crm = _client(hs).crm
    with pytest.raises(DealsApiError) as bad:
        crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "X", "dealstage": "won"}))
    body = json.loads(bad.value.body)
    assert bad.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "dealstage" in body["message"]
    with pytest.raises(DealsApiError) as patched:
        crm.deals.basic_api.update(str(FIRST_DEAL_ID), SimplePublicObjectInput(properties={"dealstage": "1"}))
    assert patched.value.status == 400
    with pytest.raises(TicketsApiError) as missing:
        crm.tickets.basic_api.create(TicketInput(properties={"subject": "No stage"}))
    assert missing.value.status == 400
    assert json.loads(missing.value.body)["message"] == (
        "Cannot create object with type: TICKET. The following required properties were missing: [hs_pipeline_stage]"
    )
    assert not any(r.props.get("subject") == "No stage" for r in hs.control.portal.records["tickets"].values())


def test_create_a_ticket_and_read_the_pipelines(hs):
    crm = _client(hs).crm
    ticket = crm.tickets.basic_api.create(TicketInput(properties={
        "subject": "Sync stopped", "hs_pipeline_stage": "1", "hs_ticket_priority": "HIGH"}))  # fmt: skip
    again = crm.tickets.basic_api.get_by_id(ticket.id, properties=["subject", "hs_pipeline", "hs_ticket_priority"])
    assert (again.properties["subject"], again.properties["hs_pipeline"]) == ("Sync stopped", "0")
    deals = crm.pipelines.pipelines_api.get_all("deals").results
    assert [(p.id, [s.id for s in p.stages]) for p in deals] == [("default", [
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
        "closedwon", "closedlost"])]  # fmt: skip
    tickets = crm.pipelines.pipelines_api.get_all("tickets").results
    assert [(p.id, [s.id for s in p.stages]) for p in tickets] == [("0", ["1", "2", "3", "4"])]
    options = {o.value for o in crm.properties.core_api.get_by_name("deals", "dealstage").options}
    assert options == {s.id for s in deals[0].stages}


def test_associate_a_deal_with_a_contact_and_read_it_back(hs):
    crm = _client(hs).crm
    deal = crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": "Linked"}))
    made = crm.associations.v4.basic_api.create_default("deals", deal.id, "contacts", "101")
    assert {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in made.results} == {
        (deal.id, "101", 3),
        ("101", deal.id, 4),
    }
    read = crm.associations.v4.basic_api.get_page("deals", deal.id, "contacts")
    assert [(str(r.to_object_id), [t.type_id for t in r.association_types]) for r in read.results] == [("101", [3])]
    maya = crm.contacts.basic_api.get_by_id("101", associations=["deals"])
    assert (deal.id, "contact_to_deal") in {(a.id, a.type) for a in maya.associations["deals"].results}
    seeded = hs.control.portal.records["deals"][str(FIRST_DEAL_ID)]
    back = crm.deals.basic_api.get_by_id(seeded.id, associations=["contacts", "companies"])
    contacts = hs.control.portal.links.of("deals", seeded.id, "contacts")
    assert {a.id for a in back.associations["contacts"].results} == set(contacts)
    assert {a.type for a in back.associations["companies"].results} == {"deal_to_company", "deal_to_company_unlabeled"}
    crm.associations.v4.basic_api.archive("deals", deal.id, "contacts", "101")
    assert crm.associations.v4.basic_api.get_page("deals", deal.id, "contacts").results == []


def test_associations_are_read_written_and_removed_in_batches(hs):
    from hubspot.crm.associations.v4 import (
        AssociationSpec,
        BatchInputPublicAssociationMultiArchive,
        BatchInputPublicAssociationMultiPost,
        BatchInputPublicDefaultAssociationMultiPost,
        BatchInputPublicFetchAssociationsBatchRequest,
        PublicAssociationMultiArchive,
        PublicAssociationMultiPost,
        PublicDefaultAssociationMultiPost,
        PublicFetchAssociationsBatchRequest,
        PublicObjectId,
    )

    crm = _client(hs).crm
    batch = crm.associations.v4.batch_api
    deals = [crm.deals.basic_api.create(SimplePublicObjectInputForCreate(properties={"dealname": f"Batch {n}"})).id
             for n in range(3)]  # fmt: skip
    labelled = [PublicAssociationMultiPost(_from=PublicObjectId(id=d), to=PublicObjectId(id="101"),
                                           types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                                  association_type_id=3)])
                for d in deals[:2]]  # fmt: skip
    unknown = PublicAssociationMultiPost(_from=PublicObjectId(id="999999"), to=PublicObjectId(id="101"),
                                         types=[AssociationSpec(association_category="HUBSPOT_DEFINED",
                                                                association_type_id=3)])  # fmt: skip
    made = batch.create("deals", "contacts", BatchInputPublicAssociationMultiPost(inputs=[*labelled, unknown]))
    assert sorted((r.from_object_id, r.to_object_id) for r in made.results) == [(deals[0], "101"), (deals[1], "101")]
    assert made.num_errors == 1 and made.errors[0].category == "OBJECT_NOT_FOUND"  # a 207: the batch went on
    default = batch.create_default(
        "deals", "contacts",
        BatchInputPublicDefaultAssociationMultiPost(
            inputs=[PublicDefaultAssociationMultiPost(_from=PublicObjectId(id=deals[2]), to=PublicObjectId(id="102"))]
        ),
    )  # fmt: skip
    assert {(r._from.id, r.to.id, r.association_spec.association_type_id) for r in default.results} == {
        (deals[2], "102", 3),
        ("102", deals[2], 4),
    }

    def read(*ids: str):
        inputs = [PublicFetchAssociationsBatchRequest(id=i) for i in ids]
        return batch.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(inputs=inputs))

    found = read(*deals, "999999")
    by_deal = {r._from.id: [(str(t.to_object_id), [a.type_id for a in t.association_types]) for t in r.to]
               for r in found.results}  # fmt: skip
    assert by_deal == {deals[0]: [("101", [3])], deals[1]: [("101", [3])], deals[2]: [("102", [3])]}
    assert found.num_errors == 1 and found.errors[0].context["ids"] == ["999999"]
    back = batch.get_page("contacts", "deals", BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id="101")]))  # fmt: skip
    assert {deals[0], deals[1]} <= {str(t.to_object_id) for t in back.results[0].to}  # the inverse, from the other side

    batch.archive("deals", "contacts", BatchInputPublicAssociationMultiArchive(
        inputs=[PublicAssociationMultiArchive(_from=PublicObjectId(id=deals[0]), to=[PublicObjectId(id="101")])]))  # fmt: skip
    after = read(deals[0], deals[1])
    assert [r._from.id for r in after.results] == [deals[1]] and after.errors[0].context["ids"] == [deals[0]]


def test_a_batch_read_of_more_than_a_thousand_records_is_refused(portal):  # outside the contract: not checked
    from hubspot.crm.associations.v4 import (
        BatchInputPublicFetchAssociationsBatchRequest,
        PublicFetchAssociationsBatchRequest,
    )
    from hubspot.crm.associations.v4.exceptions import ApiException as AssociationsApiError

    batch = _client(portal).crm.associations.v4.batch_api
    too_many = [PublicFetchAssociationsBatchRequest(id=str(n)) for n in range(1001)]
    with pytest.raises(AssociationsApiError) as refused:
        batch.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(inputs=too_many))
    assert refused.value.status == 400 and "1001" in json.loads(refused.value.body)["message"]
    done = batch.get_page("deals", "contacts", BatchInputPublicFetchAssociationsBatchRequest(inputs=too_many[:1000]))
    assert done.num_errors == len(done.errors) > 0  # a thousand is taken
