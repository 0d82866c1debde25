"""The named stories in the Salesforce sandbox, and the Task a later sync assigns to a story's owner."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

import sandbox.salesforce.stories as sf_stories
from sandbox.common import RunningSandbox
from sandbox.common.stories import STORIES, TEAM_MAILBOX, Story, StoryPerson, story
from sandbox.salesforce.data import seed_org
from sandbox.salesforce.org import Org

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
SALESFORCE_PEOPLE = [(s.key, key) for s in STORIES for key in s.facts.get("salesforce", {})]


def _person(key: str) -> StoryPerson:
    return next(p for s in STORIES for p in s.people if p.key == key)


@pytest.fixture(scope="module")
def seeded(sandbox: RunningSandbox) -> dict[str, sf_stories.StoryRecord]:
    return {r.person: r for r in sandbox.app.stories}


def test_every_salesforce_story_person_is_seeded_once(seeded: dict[str, sf_stories.StoryRecord]) -> None:
    assert sorted((r.story, r.person) for r in seeded.values()) == sorted(SALESFORCE_PEOPLE)
    assert len({r.record_id for r in seeded.values()}) == len(seeded)


@pytest.mark.parametrize(("records", "seed"), [(10, 0), (57, 3), (400, 99)])
def test_story_ids_do_not_depend_on_seed_or_record_count(
    seeded: dict[str, sf_stories.StoryRecord], records: int, seed: int
) -> None:
    org = Org()
    again = {r.person: r for r in seed_org(org, records=records, seed=seed)}
    assert {k: (r.record_id, r.account_id, r.owner_id) for k, r in again.items()} == {
        k: (r.record_id, r.account_id, r.owner_id) for k, r in seeded.items()
    }
    crowd = [r for r in org.records["Contact"].values() if r["Id"] not in {s.record_id for s in again.values()}]
    assert len(crowd) == records + max(1, records * 3 // 100)  # the crowd is whole beside the stories


def test_story_contacts_are_spelled_with_salesforce_noise(
    sf: Salesforce, seeded: dict[str, sf_stories.StoryRecord]
) -> None:
    for key, record in seeded.items():
        person = _person(key)
        row = sf.Contact.get(record.record_id)
        assert (row["FirstName"], row["LastName"], row["Title"]) == (person.first_name, person.last_name, person.title)
        assert phonenumbers.parse(row["Phone"], person.country) == phonenumbers.parse(person.phone)
        account = sf.Account.get(row["AccountId"])
        assert account["Name"] == person.company and account["Website"].endswith(person.company_domain)
    phones = [sf.Contact.get(r.record_id)["Phone"] for r in seeded.values()]
    assert phones != [_person(k).phone for k in seeded]  # not the clean international form
    maya = sf.Contact.get(seeded["maya"].record_id)
    assert (maya["LeadSource"], maya["Email"]) == ("Web", _person("maya").email)
    priya = sf.Contact.get(seeded["priya"].record_id)
    assert priya["Email"] != _person("priya").email and priya["Email"].lower() == _person("priya").email


def test_colleagues_share_the_team_mailbox_in_different_case(sf: Salesforce) -> None:
    rows = sf.query(f"SELECT Id, Name, Email, Phone, AccountId FROM Contact WHERE Email = '{TEAM_MAILBOX}'")["records"]
    assert sorted(r["Name"] for r in rows) == ["Jonah Reyes", "Lena Brandt"]
    assert {r["Email"].lower() for r in rows} == {TEAM_MAILBOX} and len({r["Email"] for r in rows}) == 2
    assert len({r["Phone"] for r in rows}) == 2 and len({r["AccountId"] for r in rows}) == 1


def test_unsubscribed_contact_is_still_marketable_in_salesforce(sf: Salesforce, seeded: dict) -> None:
    assert story("unsubscribed").facts["salesforce"]["tomas"]["HasOptedOutOfEmail"] is False
    assert sf.Contact.get(seeded["tomas"].record_id)["HasOptedOutOfEmail"] is False


def test_complainers_owner_gets_one_task_through_an_alert_key(sf: Salesforce, seeded: dict) -> None:
    contact = sf.Contact.get(seeded["priya"].record_id)
    owner = sf.User.get(contact["OwnerId"])
    assert owner["IsActive"] is True
    field = {"FullName": "Task.Contactpoint_Alert_Key__c",
             "Metadata": {"label": "Contactpoint alert key", "type": "Text", "length": 80, "externalId": True,
                          "unique": True}}  # fmt: skip
    assert sf.toolingexecute("sobjects/CustomField", method="POST", json=field)["success"] is True
    task = {"WhoId": contact["Id"], "OwnerId": owner["Id"], "Subject": "Open complaint: call the customer",
            "Priority": "High", "ActivityDate": "2026-12-10", "Description": "Third late delivery this quarter"}  # fmt: skip
    for _ in range(2):  # a second run of the same alert finds the Task already there
        sf.Task.upsert(f"Contactpoint_Alert_Key__c/complaint-{contact['Id']}", task)
    rows = sf.query(
        f"SELECT Id, Status, Priority, IsClosed, Who.Name, Owner.Name, ActivityDate, Contactpoint_Alert_Key__c "
        f"FROM Task WHERE WhoId = '{contact['Id']}'"
    )["records"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["Status"], row["Priority"], row["IsClosed"]) == ("Not Started", "High", False)
    assert (row["Who"]["Name"], row["Owner"]["Name"]) == ("Priya Raman", owner["Name"])
    assert row["Who"]["attributes"]["type"] == "Contact" and row["ActivityDate"] == "2026-12-10"
    sf.Task.update(row["Id"], {"Status": "Completed"})
    assert sf.Task.get(row["Id"])["IsClosed"] is True


def test_task_lookups_are_checked(sf: Salesforce, seeded: dict) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Subject": "Wrong who", "WhoId": seeded["maya"].account_id})
    assert info.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.Task.create({"Subject": "Nobody", "WhoId": "003000000000001AAA"})
    assert info.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    fields = {f["name"]: f for f in sf.Task.describe()["fields"]}
    assert fields["Status"]["defaultValue"] == "Not Started" and fields["Status"]["nillable"] is False
    assert fields["WhoId"]["referenceTo"] == ["Contact", "Lead"] and fields["Subject"]["type"] == "combobox"


def test_unknown_salesforce_fact_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    person = _person("maya")
    odd = Story("odd", "a misspelt fact", (person,), {"salesforce": {"maya": {"HasOptedOutOfEmial": True}}})
    monkeypatch.setattr(sf_stories, "STORIES", (odd,))
    with pytest.raises(ValueError, match="unknown Salesforce fact 'HasOptedOutOfEmial' for Contact"):
        seed_org(Org(), records=5, seed=0)


def test_docs_list_every_story_record_id(seeded: dict[str, sf_stories.StoryRecord]) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for key, record in seeded.items():
        person = _person(key)
        row = re.search(rf"^\| {record.story} \| {person.first_name} {person.last_name} \|.*$", text, re.MULTILINE)
        assert row is not None, f"docs/sandbox.md has no story row for {key}"
        assert record.record_id in row.group(0) and str(record.account_id) in row.group(0)
