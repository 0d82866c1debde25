"""Seed the sandbox project with the shared population, as a product sees them.

For ``records=N`` and a seed, the population is ``sandbox.common.people`` with the
same arguments as the Salesforce sandbox (N contacts plus N/2 leads), so the same
people turn up; about 60% of them use the product. Each user:

- browsed anonymously first: page views with ``distinct_id = "$device:<device id>"``
  and ``$device_id``, then a ``Sign Up`` event carrying both ``$device_id`` and
  ``$user_id`` (Mixpanel's simplified ID merge joins the anonymous history to the user);
- then logs in, views pages (``$mp_web_page_view`` with ``$current_url``,
  ``current_url_path``, ``current_page_title``) and uses features (``Feature Used``);
- has a profile whose ``$email`` is missing for some, upper- or title-cased for others,
  with ``$first_name``/``$last_name`` or only ``$name``.

A fifth as many visitors again never sign up. About 1% of events were sent twice (the
same ``$insert_id``), and every event has an ``mp_processing_time_ms`` a few seconds
after its time. Every story of ``sandbox.common.stories`` that mentions Mixpanel is
seeded with fixed IDs (``story_ids``), its page views spread over its last ``days``.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.common.people import Company, Person, companies, people
from sandbox.common.stories import STORIES, StoryPerson
from sandbox.mixpanel.project import Event, Project

__all__ = ["HISTORY_DAYS", "SITE", "seed_project", "story_ids"]

HISTORY_DAYS = 45
"""Days of event history before the sandbox's now."""
SITE = "https://www.contactpoint-demo.example.com"
_PUBLIC_PAGES = {
    "/": "Home",
    "/pricing": "Pricing",
    "/features": "Features",
    "/blog/getting-started": "Getting started",
    "/docs/getting-started": "Docs: getting started",
    "/docs/api": "Docs: API reference",
    "/enterprise/security": "Enterprise security",
    "/integrations": "Integrations",
}
_APP_PAGES = {
    "/dashboard": "Dashboard",
    "/reports": "Reports",
    "/settings": "Settings",
    "/orders": "Orders",
    "/support": "Support",
}
_FEATURES = ("Dashboards", "Reports", "Exports", "Alerts", "Segments")
_BROWSERS = (
    ("Chrome", "Mac OS X"),
    ("Safari", "iOS"),
    ("Firefox", "Windows"),
    ("Chrome", "Windows"),
    ("Edge", "Windows"),
)


def story_ids(key: str) -> tuple[str, str]:
    """Return the (distinct ID, device ID) the sandbox gives story person ``key`` (``maya``...)."""
    user = uuid.uuid5(uuid.NAMESPACE_URL, f"contactpoint-sandbox/mixpanel/{key}")
    device = uuid.uuid5(uuid.NAMESPACE_URL, f"contactpoint-sandbox/mixpanel/{key}/device")
    return str(user), str(device)


@dataclass
class _User:
    distinct_id: str
    device_id: str
    city: str
    country: str
    browser: tuple[str, str]


class _Seeder:
    """Writes events into a project; every random choice comes from one seeded generator."""

    def __init__(self, project: Project, rng: random.Random) -> None:
        self.project = project
        self.rng = rng
        self.now_ms = project.clock.now_ms()

    def insert_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def emit(self, name: str, props: Mapping[str, Any], at_ms: int, *, insert_id: str | None = None) -> None:
        processed = min(at_ms + self.rng.randint(200, 20_000), self.now_ms - 1000)
        properties = {**props, "$insert_id": insert_id or self.insert_id()}
        self.project.add_event(Event(name, properties, at_ms, processed))
        if insert_id is None and self.rng.random() < 0.01:  # a client retry: sent twice, received twice
            self.project.add_event(Event(name, dict(properties), at_ms, min(processed + 3000, self.now_ms)))

    def page_view(self, user: _User, path: str, at_ms: int, *, signed_in: bool, insert_id: str | None = None) -> None:
        title = _PUBLIC_PAGES.get(path) or _APP_PAGES.get(path) or path.strip("/").title()
        props = {**self.identity(user, signed_in=signed_in), "$current_url": f"{SITE}{path}"}
        props |= {"current_domain": SITE.removeprefix("https://"), "current_url_path": path}
        props |= {"current_page_title": title, "$browser": user.browser[0], "$os": user.browser[1]}
        props |= {"$city": user.city, "mp_country_code": user.country}
        self.emit("$mp_web_page_view", props, at_ms, insert_id=insert_id)

    @staticmethod
    def identity(user: _User, *, signed_in: bool) -> dict[str, Any]:
        if signed_in:
            return {"distinct_id": user.distinct_id, "$user_id": user.distinct_id, "$device_id": user.device_id}
        return {"distinct_id": f"$device:{user.device_id}", "$device_id": user.device_id}

    def journey(self, user: _User, signup_ms: int, *, plan: str) -> int:
        """Anonymous visits, the sign-up, then product use until now; returns the last event's time."""
        rng = self.rng
        for _ in range(rng.randint(1, 4)):
            at = signup_ms - rng.randint(60_000, 2 * 86_400_000)
            self.page_view(user, rng.choice(list(_PUBLIC_PAGES)), at, signed_in=False)
        signup = self.identity(user, signed_in=True) | {"signup_method": rng.choice(("email", "google")), "plan": plan}
        self.emit("Sign Up", signup, signup_ms)
        last = signup_ms
        for _ in range(rng.randint(4, 30)):
            at = rng.randint(signup_ms, self.now_ms - 60_000)
            last = max(last, at)
            roll = rng.random()
            if roll < 0.55:
                pages = list(_APP_PAGES) + list(_PUBLIC_PAGES)
                self.page_view(user, rng.choice(pages), at, signed_in=True)
            elif roll < 0.85:
                props = self.identity(user, signed_in=True) | {"feature": rng.choice(_FEATURES)}
                self.emit("Feature Used", props, at)
            else:
                self.emit("Logged In", self.identity(user, signed_in=True), at)
        return last


def _stamp(ms: int) -> str:
    """Mixpanel's profile date format (``$created``, ``$last_seen``): UTC, no zone."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _noisy_email(rng: random.Random, email: str) -> str | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.16:
        return email.upper()
    if roll < 0.22:
        local, _, domain = email.partition("@")
        return f"{local.title()}@{domain}"
    return email


def _profile(person: Person, firm: Company, rng: random.Random, *, plan: str) -> dict[str, Any]:
    props: dict[str, Any] = {"$city": person.city, "$country_code": person.country, "plan": plan}
    email = _noisy_email(rng, person.email)
    if email is not None:
        props["$email"] = email
    if rng.random() < 0.15:
        props["$name"] = f"{person.first_name} {person.last_name}"
    else:
        props |= {"$first_name": person.first_name, "$last_name": person.last_name}
    if rng.random() < 0.3:
        props["$phone"] = person.phone.replace(" ", "")
    if rng.random() < 0.7:
        props["company"] = firm.name
    return props


def _seed_crowd(seeder: _Seeder, *, records: int, seed: int) -> None:
    rng = seeder.rng
    n_accounts, n_leads = max(1, records // 5), max(1, records // 2)
    firms = companies(seed, n_accounts)
    crowd = people(seed, records + n_leads, company_count=n_accounts)
    for person in crowd:
        if rng.random() >= 0.6:
            continue
        user = _User(seeder.uid(), seeder.uid(), person.city, person.country, rng.choice(_BROWSERS))
        plan = rng.choice(("free", "free", "pro", "enterprise"))
        signup_ms = seeder.now_ms - rng.randint(86_400_000, HISTORY_DAYS * 86_400_000)
        last = seeder.journey(user, signup_ms, plan=plan)
        profile = _profile(person, firms[person.company], rng, plan=plan)
        seeder.project.profiles[user.distinct_id] = profile | {
            "$created": _stamp(signup_ms),
            "$last_seen": _stamp(last),
        }
    for _ in range(max(1, records // 5)):  # visitors who never sign up
        visitor = _User(seeder.uid(), seeder.uid(), "", "", rng.choice(_BROWSERS))
        for _ in range(rng.randint(1, 3)):
            at = seeder.now_ms - rng.randint(60_000, HISTORY_DAYS * 86_400_000)
            seeder.page_view(visitor, rng.choice(list(_PUBLIC_PAGES)), at, signed_in=False)


_STORY_PROFILES: dict[str, dict[str, Any]] = {
    # each system spells people its own way: Maya's address title-cased, Tomas with $name only
    "maya": {"$email": "Maya.Lindqvist@northwind-analytics.example.com", "plan": "free"},
    "tomas": {"$name": "Tomas Okafor", "plan": "pro"},
    "priya": {"$email": "PRIYA.RAMAN@COPPERLEAF.EXAMPLE.COM", "plan": "enterprise"},
}


def _seed_story_person(seeder: _Seeder, person: StoryPerson, facts: Mapping[str, Any]) -> None:
    distinct_id, device_id = story_ids(person.key)
    user = _User(distinct_id, device_id, person.city, person.country, ("Chrome", "Mac OS X"))
    days = int(facts.get("days", 14))
    day_ms = 86_400_000
    signup_ms = seeder.now_ms - (days + 20) * day_ms
    seeder.page_view(user, "/", signup_ms - 3_600_000, signed_in=False, insert_id=f"story-{person.key}-anon")
    signup = seeder.identity(user, signed_in=True) | {"signup_method": "email"}
    seeder.emit("Sign Up", signup, signup_ms, insert_id=f"story-{person.key}-signup")
    views = [path for path, count in dict(facts.get("page_views", {})).items() for _ in range(int(count))]
    last = signup_ms
    for n, path in enumerate(views):
        at = seeder.now_ms - int(days * day_ms * (len(views) - n - 0.5) / len(views))
        seeder.page_view(user, path, at, signed_in=True, insert_id=f"story-{person.key}-{n:03d}")
        last = max(last, at)
    rendered = {"$first_name": person.first_name, "$last_name": person.last_name, "$email": person.email.lower()}
    extra = _STORY_PROFILES.get(person.key, {})
    if "$name" in extra:
        rendered = {k: v for k, v in rendered.items() if k not in {"$first_name", "$last_name"}}
    profile = rendered | extra | {"$city": person.city, "$country_code": person.country, "company": person.company}
    seeder.project.profiles[distinct_id] = profile | {"$created": _stamp(signup_ms), "$last_seen": _stamp(last)}


def seed_project(project: Project, *, records: int, seed: int) -> None:
    """Fill ``project`` with the shared population's product use and every Mixpanel story.

    Args:
        project: A project with no events or profiles; its clock dates the history.
        records: The population size, as for the other sandboxes.
        seed: The same seed (and clock day) gives the same project.
    """
    seeder = _Seeder(project, random.Random(f"mixpanel:{seed}"))
    _seed_crowd(seeder, records=records, seed=seed)
    for story in STORIES:
        for key, facts in story.facts.get("mixpanel", {}).items():
            person = next(p for p in story.people if p.key == key)
            _seed_story_person(seeder, person, facts)


def history_start(project: Project) -> datetime:
    """The first moment of seeded history (events may start up to two days earlier)."""
    return project.clock.now() - timedelta(days=HISTORY_DAYS + 2)
