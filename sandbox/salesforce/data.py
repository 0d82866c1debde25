"""Seed the sandbox org with deterministic synthetic customers.

For ``records=N`` (Contacts) and a seed, the org holds N//5 Accounts, N Contacts and
N//2 Leads, the same every time, with the noise real orgs have:

- emails sometimes upper- or mixed-case, phones in several formats, stray spaces;
- Leads that are the same people as Contacts (for identity resolution);
- about 3% of Contacts deleted (visible only to ``queryAll``), half of them merge
  losers whose ``MasterRecordId`` names the surviving Contact;
- ``SystemModstamp`` ties: runs of records share the exact same timestamp, so a
  cursor on ``SystemModstamp`` alone loses or repeats records at page edges;
- a few ``Wide_Object__c`` records with 450 custom fields filled;
- then the named stories every sandbox seeds (``sandbox.salesforce.stories``), with fixed IDs.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sandbox.common.people import Company, Person, companies, people
from sandbox.salesforce.identity import user_record
from sandbox.salesforce.org import INTEGRATION_USER_ID, INTEGRATION_USERNAME, Org, Record
from sandbox.salesforce.schema import WIDE_FIELD_COUNT, wide_field_name
from sandbox.salesforce.stories import StoryRecord, seed_stories

__all__ = ["seed_org"]

_EPOCH = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


class _Stamps:
    """Creation and modification times moving forward, with deliberate ties."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.current = _EPOCH
        self.tie_left = 0

    def next(self) -> tuple[datetime, datetime, datetime]:
        if self.tie_left > 0:
            self.tie_left -= 1
        else:
            self.current += timedelta(seconds=self.rng.randint(1, 900), milliseconds=self.rng.randint(0, 999))
            if self.rng.random() < 0.08:
                self.tie_left = self.rng.randint(2, 5)  # the next records share this exact stamp
        created = self.current - timedelta(days=self.rng.randint(0, 300))
        modified = self.current
        if self.rng.random() < 0.05:  # a system change: SystemModstamp later than LastModifiedDate
            modified = self.current - timedelta(minutes=self.rng.randint(1, 60))
        return created, modified, self.current


def _phone(rng: random.Random, clean: str) -> str:
    digits = "".join(ch for ch in clean if ch.isdigit())
    national = digits[-10:] if clean.startswith("+1") else digits
    style = rng.randrange(5)
    if clean.startswith("+1") and style == 0:
        return f"({national[:3]}) {national[3:6]}-{national[6:]}"
    if clean.startswith("+1") and style == 1:
        return f"{national[:3]}.{national[3:6]}.{national[6:]}"
    if style == 2:
        return "+" + digits
    return clean


def _email(rng: random.Random, clean: str) -> str:
    roll = rng.random()
    if roll < 0.05:
        return clean.upper()
    if roll < 0.08:
        local, _, domain = clean.partition("@")
        return f"{local.title()}@{domain}"
    if roll < 0.10:
        return f" {clean} "
    return clean


def _stamp(record: Record, stamps: _Stamps) -> Record:
    created, modified, system = stamps.next()
    record |= {"CreatedDate": created, "LastModifiedDate": modified, "SystemModstamp": system}
    return record


def _store(org: Org, sobject: str, record: Record) -> Record:
    prefix = org.objects[sobject].key_prefix
    base: Record = {"Id": org.new_id(prefix), "IsDeleted": False, "OwnerId": INTEGRATION_USER_ID}
    full = base | record
    org.records[sobject][full["Id"]] = full
    return full


def _account(company: Company, rng: random.Random) -> Record:
    return {
        "Name": company.name,
        "Type": rng.choice(("Customer", "Prospect")),
        "Industry": company.industry,
        "Website": f"https://www.{company.domain}",
        "Phone": None,
        "NumberOfEmployees": company.employees,
        "AnnualRevenue": float(company.employees * rng.randint(50, 400) * 1000),
        "BillingStreet": company.street,
        "BillingCity": company.city,
        "BillingPostalCode": company.postal_code,
        "BillingCountry": company.country,
    }


def _contact(person: Person, account_id: str | None, rng: random.Random) -> Record:
    return {
        "AccountId": account_id,
        "FirstName": person.first_name,
        "LastName": person.last_name if rng.random() > 0.02 else f"{person.last_name} ",
        "Title": rng.choice(("Buyer", "CTO", "Engineer", "Analyst", "Director", None)),
        "Email": _email(rng, person.email) if rng.random() > 0.03 else None,
        "Phone": _phone(rng, person.phone),
        "MobilePhone": _phone(rng, person.phone) if rng.random() < 0.3 else None,
        "Birthdate": date(person.birth_year, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.6 else None,
        "HasOptedOutOfEmail": rng.random() < 0.1,
        "DoNotCall": rng.random() < 0.05,
        "LeadSource": rng.choice(("Web", "Partner", None)),
        "MailingCity": person.city,
        "MailingCountry": person.country,
        "MailingStreet": None,
        "MailingPostalCode": None,
    }


def _lead(person: Person, company: Company, rng: random.Random) -> Record:
    return {
        "FirstName": person.first_name,
        "LastName": person.last_name,
        "Title": rng.choice(("Buyer", "Head of Operations", "Engineer", None)),
        "Company": company.name,
        "Email": _email(rng, person.email),
        "Phone": _phone(rng, person.phone),
        "MobilePhone": None,
        "DoNotCall": False,
        "City": person.city if rng.random() < 0.7 else None,
        "Country": person.country if rng.random() < 0.8 else None,
        "Status": rng.choice(("Open", "Working", "Closed")),
        "LeadSource": rng.choice(("Web", "Partner")),
        "HasOptedOutOfEmail": rng.random() < 0.1,
        "IsConverted": False,
        "ConvertedContactId": None,
    }


def _seed_contacts(org: Org, crowd: list[Person], account_ids: list[str], rng: random.Random, stamps: _Stamps) -> None:
    for person in crowd:
        account_id = account_ids[person.company] if rng.random() > 0.05 else None
        _store(org, "Contact", _stamp(_contact(person, account_id, rng), stamps))
    live = list(org.records["Contact"].values())
    for i in range(max(1, len(crowd) * 3 // 100)):  # merge losers: duplicates merged into a survivor
        winner = live[(i * 7919) % len(live)]
        person = crowd[(i * 7919) % len(crowd)]
        loser = _contact(person, winner.get("AccountId"), rng) | {"IsDeleted": True, "MasterRecordId": winner["Id"]}
        _store(org, "Contact", _stamp(loser, stamps))
        if i % 2:  # and some plain deletions
            live[(i * 104729) % len(live)]["IsDeleted"] = True


def seed_org(org: Org, *, records: int, seed: int) -> list[StoryRecord]:
    """Fill ``org`` with ``records`` Contacts and their Accounts, Leads and wide records, then the stories.

    Args:
        org: An org with no records.
        records: Number of Contacts (Accounts are a fifth, Leads a half of it).
        seed: The same seed gives the same org.

    Returns:
        The story people seeded beside the crowd (``sandbox.salesforce.stories``), with their IDs.
    """
    rng = random.Random(f"salesforce:{seed}")
    stamps = _Stamps(rng)
    n_accounts, n_leads = max(1, records // 5), max(1, records // 2)
    firms = companies(seed, n_accounts)
    crowd = people(seed, records + n_leads, company_count=n_accounts)
    user = user_record(INTEGRATION_USER_ID, first_name="Integration", last_name="User", username=INTEGRATION_USERNAME)
    _store(org, "User", user | {"CreatedDate": _EPOCH, "LastModifiedDate": _EPOCH, "SystemModstamp": _EPOCH})
    account_ids = [_store(org, "Account", _stamp(_account(f, rng), stamps))["Id"] for f in firms]
    _seed_contacts(org, crowd[:records], account_ids, rng, stamps)
    for j in range(n_leads):
        # every other lead is someone who is already a contact (as happens when people sign up twice)
        person = crowd[(j * 31) % records] if j % 2 == 0 else crowd[records + j]
        _store(org, "Lead", _stamp(_lead(person, firms[person.company], rng), stamps))
    for k in range(max(3, records // 50)):
        values: Record = {"Name": f"Wide {k:04d}"}
        values |= {wide_field_name(i): f"value {k}.{i}" for i in range(1, WIDE_FIELD_COUNT + 1, 7)}
        _store(org, "Wide_Object__c", _stamp(values, stamps))
    org.reserve_clock(stamps.current)
    return seed_stories(org, after=stamps.current)
