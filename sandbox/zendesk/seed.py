"""Seed the sandbox account with the shared synthetic population and the named stories.

For ``records=N`` and a seed, the account holds N//5 organizations (the same companies
the other sandboxes seed), N end users picked from the same people the Salesforce
sandbox makes Contacts and Leads of, and about one ticket per user, with Zendesk's noise
(``sandbox.zendesk.noise``) and:

- a few people with two users (a work and a personal address);
- callers with no email, named ``Caller +…``; role mailboxes (``support@<company>``)
  whose tickets several colleagues signed;
- about 3% of users deleted (``active: false``), 1% suspended, 1% of tickets deleted;
- ``updated_at`` ties: runs of records share one second, as bulk changes make them;
- every story of ``sandbox.common.stories`` with Zendesk facts, at fixed IDs
  (``STORY_USER_IDS``, ``STORY_ORGANIZATION_IDS``, ticket IDs from 1), their tickets dated in
  the week before the day the sandbox starts (a complaint counts while it is recent);
- three groups with the agents as members, and tickets' ``group_id`` (``sandbox.zendesk.groups``,
  seeded last from a random stream of its own, so nothing else differs from before it).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.common.people import Company, Person, companies, people
from sandbox.common.stories import STORIES, StoryPerson
from sandbox.zendesk.account import ADMIN_USER_ID, Account, Kind, Record
from sandbox.zendesk.groups import seed_groups
from sandbox.zendesk.noise import company_name, locale_of, name_of, national, phone_of, spaced
from sandbox.zendesk.tickets import make_ticket

__all__ = ["ADMIN_EMAIL", "AGENT_IDS", "STORY_ORGANIZATION_IDS", "STORY_USER_IDS", "seed_account"]

ADMIN_EMAIL = "admin@contactpoint-sandbox.example.com"
AGENT_IDS = (ADMIN_USER_ID, 360000000002, 360000000003)
STORY_USER_IDS = {"maya": 360900000001, "tomas": 360900000002, "mailbox": 360900000003, "priya": 360900000004}
STORY_ORGANIZATION_IDS = {
    "Northwind Analytics": 360800000001,
    "Harbourline Freight": 360800000002,
    "Brightwater Labs": 360800000003,
    "Copperleaf Retail": 360800000004,
}
_EPOCH = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)


class _Stamps:
    """Creation and change times moving forward by whole seconds, with deliberate ties."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.current = _EPOCH
        self.tie_left = 0

    def next(self) -> tuple[datetime, datetime]:
        if self.tie_left > 0:
            self.tie_left -= 1
        else:
            self.current += timedelta(seconds=self.rng.randint(1, 600))
            if self.rng.random() < 0.08:
                self.tie_left = self.rng.randint(2, 6)
        return self.current - timedelta(days=self.rng.randint(0, 400)), self.current


def _user(user_id: int, name: str, email: str | None, stamps: _Stamps, *, country: str = "GB", **extra: Any) -> Record:
    created, updated = stamps.next()
    locale, zone, iana = locale_of(country)
    record: Record = {
        "id": user_id, "name": name, "email": email, "created_at": created, "updated_at": updated,
        "time_zone": zone, "iana_time_zone": iana, "phone": None, "shared_phone_number": None, "photo": None,
        "locale_id": 1, "locale": locale, "organization_id": None, "role": "end-user", "role_type": None,
        "verified": email is not None, "external_id": None, "tags": [], "alias": "", "active": True,
        "shared": False, "shared_agent": False, "details": "", "notes": "", "custom_role_id": None,
        "moderator": False, "ticket_restriction": "requested", "only_private_comments": False,
        "restricted_agent": True, "suspended": False, "report_csv": False, "two_factor_auth_enabled": None,
        "user_fields": {},
    }  # fmt: skip
    record.update(extra)
    return record


def _organization(org_id: int, name: str, domain: str, stamps: _Stamps, **extra: Any) -> Record:
    created, updated = stamps.next()
    record: Record = {
        "id": org_id, "name": name, "created_at": created, "updated_at": updated, "domain_names": [domain],
        "details": "", "notes": "", "external_id": None, "group_id": None, "shared_tickets": False,
        "shared_comments": False, "tags": [], "organization_fields": {}, "deleted_at": None,
    }  # fmt: skip
    record.update(extra)
    return record


def _agents(account: Account, stamps: _Stamps) -> None:
    names = ("Sandbox Admin", "Alex Agent", "Sam Support")
    for agent_id, name in zip(AGENT_IDS, names, strict=True):
        email = (
            ADMIN_EMAIL if agent_id == ADMIN_USER_ID else f"{name.split()[0].lower()}@contactpoint-sandbox.example.com"
        )
        role = "admin" if agent_id == ADMIN_USER_ID else "agent"
        account.users[agent_id] = _user(agent_id, name, email, stamps, role=role, role_type=None,
                                        ticket_restriction=None, restricted_agent=False)  # fmt: skip


def _organizations(account: Account, firms: list[Company], rng: random.Random, stamps: _Stamps) -> list[int]:
    ids = []
    for firm in firms:
        org_id = account.new_id(Kind.ORGANIZATIONS)
        extra: dict[str, Any] = {"tags": [firm.industry.lower()], "details": f"{firm.street}, {firm.city}"}
        if rng.random() < 0.3:
            extra["external_id"] = f"acct-{firm.index:05d}"
        account.organizations[org_id] = _organization(
            org_id, company_name(rng, firm.name), firm.domain, stamps, **extra
        )
        ids.append(org_id)
    return ids


def _end_user(account: Account, person: Person, org_ids: list[int], rng: random.Random, stamps: _Stamps) -> Record:
    user_id = account.new_id(Kind.USERS)
    if rng.random() < 0.04:  # a caller: Zendesk Talk names them by their number
        digits = "+" + "".join(ch for ch in person.phone if ch.isdigit())
        return _user(
            user_id, f"Caller {person.phone}", None, stamps, phone=digits, verified=False, country=person.country
        )
    email = spaced(rng, person.email)
    extra: dict[str, Any] = {"phone": phone_of(rng, person.phone), "country": person.country}
    if rng.random() < 0.7:
        extra["organization_id"] = org_ids[person.company]
    if rng.random() < 0.2:
        extra["external_id"] = f"crm-{person.index:06d}"
    if rng.random() < 0.1:
        extra["tags"] = [rng.choice(("vip", "trial", "beta", "churn_risk"))]
    return _user(user_id, name_of(rng, person.first_name, person.last_name, email), email, stamps, **extra)


def _crowd(account: Account, crowd: list[Person], org_ids: list[int], rng: random.Random, stamps: _Stamps) -> None:
    for person in crowd:
        user = _end_user(account, person, org_ids, rng, stamps)
        account.users[user["id"]] = user
        if rng.random() < 0.03:  # the same person wrote in again from another address
            local = f"{person.first_name}.{person.last_name}".lower().replace("'", "")
            twin = _user(account.new_id(Kind.USERS), f"{person.first_name} {person.last_name[:1]}.",
                         f"{local}@mail.example.net", stamps, phone=user.get("phone"), country=person.country)  # fmt: skip
            account.users[twin["id"]] = twin
    users = [u for u in account.users.values() if u["role"] == "end-user"]
    for index, user in enumerate(users):
        if index % 33 == 7:
            user["active"] = False
        elif index % 97 == 11:
            user["suspended"] = True


def _mailboxes(
    account: Account, firms: list[Company], org_ids: list[int], crowd: list[Person], stamps: _Stamps
) -> None:
    """Role mailboxes: one ``support@`` user every 17 companies; two colleagues each sign one of its tickets."""
    rng = random.Random("zendesk:mailboxes")
    for firm, org_id in list(zip(firms, org_ids, strict=True))[::17]:
        user = _user(account.new_id(Kind.USERS), f"{firm.name} Support", f"support@{firm.domain}", stamps,
                     organization_id=org_id, tags=["shared_mailbox"], country=firm.country)  # fmt: skip
        account.users[user["id"]] = user
        colleagues = [p for p in crowd if p.company == firm.index][:2]
        for person in colleagues:
            created, updated = stamps.next()
            signer = StoryPerson(str(person.index), person.first_name, person.last_name, person.email, person.phone,
                                 firm.name, firm.domain, "", person.city, person.country)  # fmt: skip
            ticket_id = account.new_id(Kind.TICKETS)
            account.tickets[ticket_id] = make_ticket(
                ticket_id, user, rng, created=created, updated=updated, signer=signer
            )


def _tickets(account: Account, rng: random.Random, stamps: _Stamps) -> None:
    requesters = [u for u in account.users.values() if u["role"] == "end-user" and "shared_mailbox" not in u["tags"]]
    for user in requesters:
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            created, updated = stamps.next()
            ticket_id = account.new_id(Kind.TICKETS)
            ticket = make_ticket(ticket_id, user, rng, created=max(created, user["created_at"]), updated=updated)
            if ticket_id % 97 == 5:
                account.delete_ticket(ticket, at=updated)
            account.tickets[ticket_id] = ticket


def _story_user(key: str, who: StoryPerson | None, facts: dict[str, Any], stamps: _Stamps) -> Record:
    """A story's person as Zendesk holds them: a capitalised name, a nationally written phone."""
    user_id = STORY_USER_IDS[key]
    if who is None:  # the colleagues' shared mailbox
        org = STORY_ORGANIZATION_IDS["Brightwater Labs"]
        return _user(user_id, facts["name"], facts["email"], stamps, organization_id=org, tags=["shared_mailbox"],
                     country="DE")  # fmt: skip
    names = {
        "maya": who.first_name.upper() + " " + who.last_name.upper(),
        "priya": f"{who.first_name} {who.last_name}".lower(),
    }
    return _user(user_id, names.get(key, f"{who.first_name} {who.last_name}"), who.email, stamps,
                 phone=national(who.phone), organization_id=STORY_ORGANIZATION_IDS[who.company], country=who.country)  # fmt: skip


def _stories(account: Account, stamps: _Stamps) -> None:
    rng = random.Random("zendesk:stories")
    for story in STORIES:
        for who in story.people:
            if (
                who.company in STORY_ORGANIZATION_IDS
                and STORY_ORGANIZATION_IDS[who.company] not in account.organizations
            ):
                org_id = STORY_ORGANIZATION_IDS[who.company]
                account.organizations[org_id] = _organization(org_id, who.company, who.company_domain, stamps)
    ticket_id = 0
    for story in STORIES:
        by_key = {p.key: p for p in story.people}
        for key, facts in story.facts.get("zendesk", {}).items():
            user = _story_user(key, by_key.get(key), dict(facts), stamps)
            account.users[user["id"]] = user
            for spec in facts.get("tickets", []):
                ticket_id += 1
                signer = by_key.get(spec.get("signed", ""))
                created, updated = stamps.next()
                ticket = make_ticket(ticket_id, user, rng, created=created, updated=updated, spec=spec, signer=signer)
                account.tickets[ticket_id] = ticket


def _date_stories(account: Account, today: datetime) -> None:
    """Date the stories' tickets in the last week (a complaint counts while it is recent).

    Times are whole hours before midnight UTC of ``today``, so the same day gives the same data,
    and every one is older than the minute the exports leave out. The users keep their older
    times: writing a ticket does not change the person who wrote it.
    """
    for ticket_id in sorted(t for t in account.tickets if t < 1000):
        ticket = account.tickets[ticket_id]
        ticket["created_at"] = today - timedelta(days=6 - ticket_id % 5, hours=9)
        ticket["updated_at"] = today - timedelta(hours=20 - ticket_id)


def seed_account(account: Account, *, records: int, seed: int) -> None:
    """Fill ``account`` with ``records`` end users, their organizations and tickets, and the stories.

    Args:
        account: An account with no records.
        records: Number of end users from the shared population (organizations are a fifth of it).
        seed: The same seed gives the same account, and the same people as the other sandboxes.
    """
    rng = random.Random(f"zendesk:{seed}")
    stamps = _Stamps(rng)
    n_companies = max(1, records // 5)
    firms = companies(seed, n_companies)
    population = people(seed, records + records // 2, company_count=n_companies)
    chosen = sorted(rng.sample(range(len(population)), k=min(records, len(population))))
    _agents(account, stamps)
    org_ids = _organizations(account, firms, rng, stamps)
    _crowd(account, [population[i] for i in chosen], org_ids, rng, stamps)
    _tickets(account, rng, stamps)
    _mailboxes(account, firms, org_ids, population, stamps)
    _stories(account, stamps)
    now = account.clock.now()
    _date_stories(account, datetime(now.year, now.month, now.day, tzinfo=UTC))
    for record in (*account.users.values(), *account.organizations.values(), *account.tickets.values()):
        record["created_at"] = min(record["created_at"], record["updated_at"])
    for user in account.users.values():
        account.remember(user)
    seed_groups(account, AGENT_IDS, seed=seed)
