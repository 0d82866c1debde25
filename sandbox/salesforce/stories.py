"""The named stories (``sandbox.common.stories``) as Salesforce records, beside the random crowd.

Every person a story's ``salesforce`` facts name becomes a Contact (or a Lead, with
``"object": "Lead"``) with an Account for their company, spelled as Salesforce data
looks: phones as a rep typed them (national format, one international), emails in
whatever case they were entered (the team mailbox once capitalised, once not).

Facts understood per person: ``object``, ``email`` (replaces the person's own),
``lead_source``, ``owner`` (``"integration user"``, or a user's full name: that user is
seeded too), and any field of the object by its API name (``HasOptedOutOfEmail``).
Anything else is refused, so a misspelt fact fails the sandbox's tests.

Record IDs are fixed: they come from the story and person keys, not from the seed
or the record count, so docs and tests can name them (docs/sandbox.md lists them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers

from sandbox.common.stories import STORIES, Story, StoryPerson
from sandbox.salesforce.identity import user_record
from sandbox.salesforce.ids import make_id
from sandbox.salesforce.org import INTEGRATION_USER_ID, Org, Record

__all__ = ["STORY_ID_BASE", "StoryRecord", "seed_stories", "story_id"]

STORY_ID_BASE = 9_000_000
"""Story IDs are numbered from here, far above the counters the crowd and later writes use."""
_INTEGRATION_OWNER = "integration user"
_NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
_INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL


def _capitalised(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local.title()}@{domain}"


@dataclass(frozen=True)
class _Spelling:
    """How Salesforce holds one person's values: an email style and a phone format."""

    email: Callable[[str], str] = str
    phone: int = _NATIONAL


_SPELLING = {
    "tomas": _Spelling(email=_capitalised),
    "lena": _Spelling(email=_capitalised),
    "jonah": _Spelling(phone=_INTERNATIONAL),
    "priya": _Spelling(email=str.upper),
}


@dataclass(frozen=True)
class StoryRecord:
    """One story person as seeded: where they are and under which IDs."""

    story: str
    person: str
    sobject: str
    record_id: str
    account_id: str | None
    owner_id: str


def story_id(prefix: str, key: str) -> str:
    """The fixed 18-character ID of story record ``key`` of the object with key prefix ``prefix``."""
    digest = hashlib.sha256(f"{prefix}:{key}".encode()).digest()
    return make_id(prefix, STORY_ID_BASE + int.from_bytes(digest[:4], "big") % 1_000_000)


def _phone(person: StoryPerson) -> str:
    number = phonenumbers.parse(person.phone)
    return phonenumbers.format_number(number, _SPELLING.get(person.key, _Spelling()).phone)


class _Seeder:
    """Puts story records into an org, stamped one minute apart after ``start``."""

    def __init__(self, org: Org, start: datetime) -> None:
        self.org = org
        self.clock = start

    def store(self, sobject: str, record: Record) -> Record:
        if record["Id"] in self.org.records[sobject]:
            msg = f"story record ID {record['Id']} of {sobject} is taken; change STORY_ID_BASE"
            raise RuntimeError(msg)
        self.clock += timedelta(minutes=1)
        created = self.clock - timedelta(days=90)
        stamps = {"CreatedDate": created, "LastModifiedDate": self.clock, "SystemModstamp": self.clock}
        full: Record = {"IsDeleted": False, "OwnerId": INTEGRATION_USER_ID} | stamps | record
        self.org.records[sobject][full["Id"]] = full
        return full

    def account(self, person: StoryPerson) -> str:
        account_id = story_id("001", f"account:{person.company_domain}")
        if self.org.get("Account", account_id) is None:
            self.store("Account", {
                "Id": account_id, "Name": person.company, "Type": "Customer", "Industry": None,
                "Website": f"https://www.{person.company_domain}", "Phone": None, "NumberOfEmployees": None,
                "AnnualRevenue": None, "BillingStreet": None, "BillingCity": person.city,
                "BillingPostalCode": None, "BillingCountry": person.country,
            })  # fmt: skip
        return account_id

    def owner(self, name: str) -> str:
        if name.lower() == _INTEGRATION_OWNER:
            return INTEGRATION_USER_ID
        first, _, last = name.partition(" ")
        user_id = story_id("005", f"user:{name.lower()}")
        if self.org.get("User", user_id) is None:
            username = f"{first}.{last}".lower().replace(" ", "") + "@contactpoint.sandbox"
            self.store("User", user_record(user_id, first_name=first, last_name=last, username=username))
        return user_id


def _values(seeder: _Seeder, story: Story, person: StoryPerson, facts: dict[str, Any]) -> tuple[str, Record]:
    sobject = str(facts.pop("object", "Contact"))
    obj = seeder.org.objects[sobject]
    spelling = _SPELLING.get(person.key, _Spelling())
    record: Record = {
        "FirstName": person.first_name, "LastName": person.last_name, "Title": person.title,
        "Email": spelling.email(str(facts.pop("email", person.email))), "Phone": _phone(person),
        "LeadSource": facts.pop("lead_source", None), "HasOptedOutOfEmail": False,
        "OwnerId": seeder.owner(str(facts.pop("owner", _INTEGRATION_OWNER))),
    }  # fmt: skip
    if sobject == "Lead":
        record |= {"Company": person.company, "Status": "Open", "IsConverted": False, "ConvertedContactId": None}
        record |= {"City": person.city, "Country": person.country, "DoNotCall": False, "MobilePhone": None}
    else:
        record |= {"AccountId": seeder.account(person), "MailingCity": person.city, "MailingCountry": person.country}
        record |= {"DoNotCall": False, "MobilePhone": None, "Birthdate": None}
    for name, value in facts.items():
        definition = obj.field(name)
        if definition is None:
            msg = f"story {story.key!r}, {person.key}: unknown Salesforce fact {name!r} for {sobject}"
            raise ValueError(msg)
        record[definition.name] = value
    return sobject, record


def seed_stories(org: Org, *, after: datetime) -> list[StoryRecord]:
    """Seed every story the ``salesforce`` system appears in; their stamps come after ``after``.

    Returns:
        One ``StoryRecord`` per person, in the order the stories declare them.

    Raises:
        ValueError: A story's facts name a person it lacks or a field the object lacks.
    """
    seeder = _Seeder(org, after)
    seeded = []
    for story in STORIES:
        people = {p.key: p for p in story.people}
        for key, person_facts in story.facts.get("salesforce", {}).items():
            if key not in people:
                msg = f"story {story.key!r}: Salesforce facts name {key!r}, not one of its people {sorted(people)}"
                raise ValueError(msg)
            sobject, values = _values(seeder, story, people[key], dict(person_facts))
            record_id = story_id(org.objects[sobject].key_prefix, f"{story.key}:{key}")
            seeder.store(sobject, {"Id": record_id} | values)
            seeded.append(StoryRecord(story.key, key, sobject, record_id, values.get("AccountId"), values["OwnerId"]))
    org.reserve_clock(seeder.clock)
    return seeded
