"""Seeded CRM-shaped people with known truth, for the identity benchmark and tests.

    generate(n_records, seed=7) -> Dataset
        records        rows in the CSV shape `contactpoint identity resolve FILE` reads
        truth          record_id -> entity_id (kept apart from the records)
        noise          record_id -> the noise kinds applied to that record
        hard_negatives (record_id_a, record_id_b, kind): pairs that must never merge

Each entity (one real person) has 1-4 records, each in a different system. Records carry
the noise real CRMs have: case and whitespace, email dots and +tags, nicknames, typos,
swapped first/last names, phones in national and international formats, company
suffixes, abbreviated streets, missing fields and a second email address. Hard
negatives are built on purpose: colleagues whose support tickets come from one role
mailbox (``support@acme.com``), and family members who share surname, address and
home phone.

Phones are written the way each system's users type them. A national format
(``07700 900123``, ``(415) 555-0134``) appears only when the person's country is the
system's default region (``SYSTEM_REGIONS``); otherwise the number carries its country
code, with the system region's international prefix where one is used.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from bench.identity_people import Person, PersonFactory, date_typo, padded, phone_text, sparse_record, typo
from bench.identity_vocab import NICKNAMES, STREET_KINDS

__all__ = [
    "FIELDS",
    "SYSTEMS",
    "SYSTEM_FIELDS",
    "SYSTEM_REGIONS",
    "Dataset",
    "HardNegativeKind",
    "Noise",
    "generate",
]

FIELDS = (
    "record_id",
    "source",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
)
"""CSV header: record_id, source and canonical Person field names."""

SYSTEMS = ("salesforce", "zendesk", "hubspot", "mixpanel")

SYSTEM_REGIONS: dict[str, str] = {"salesforce": "GB", "zendesk": "GB", "hubspot": "US", "mixpanel": "US"}
"""Default phone region of each system: national-format numbers are read in it."""

_NAMES = ("first_name", "last_name")
SYSTEM_FIELDS: dict[str, frozenset[str]] = {
    "salesforce": frozenset(FIELDS[2:]) - {"region"},
    "hubspot": frozenset(
        (*_NAMES, "email", "phone", "company", "street", "city", "postcode", "country", "date_of_birth")
    ),
    "zendesk": frozenset((*_NAMES, "email", "phone", "company")),
    "mixpanel": frozenset((*_NAMES, "email", "city", "country")),
}
"""Which Person fields each system's records carry."""

_SIZE_WEIGHTS = (0.40, 0.30, 0.20, 0.10)  # records per entity: 1, 2, 3, 4
_GROUP_SHARE = 0.03  # share of entities started as a household, and again as a role-mailbox team


class HardNegativeKind(StrEnum):
    """Why two records look alike but belong to different people."""

    SHARED_ROLE_MAILBOX = "shared_role_mailbox"
    FAMILY_HOUSEHOLD = "family_household"


class Noise(StrEnum):
    """A kind of noise applied to one record."""

    CASE_WHITESPACE = "case_whitespace"
    EMAIL_DOTS = "email_dots"
    EMAIL_PLUS_TAG = "email_plus_tag"
    NICKNAME = "nickname"
    TYPO = "typo"
    SWAPPED_NAMES = "swapped_names"
    PHONE_NATIONAL = "phone_national"
    COMPANY_SUFFIX = "company_suffix"
    STREET_ABBREVIATION = "street_abbreviation"
    POSTCODE_FORMAT = "postcode_format"
    DATE_OF_BIRTH_TYPO = "date_of_birth_typo"
    MISSING_FIELDS = "missing_fields"
    NO_CONTACT = "no_contact"
    COUNTRY_SPELLING = "country_spelling"
    DATE_FORMAT = "date_format"
    IMPOSSIBLE_DATE = "impossible_date"
    OTHER_EMAIL = "other_email"
    ROLE_MAILBOX = "role_mailbox"


@dataclass
class Dataset:
    """Generated records with their truth, noise and hard negatives."""

    records: list[dict[str, str]]
    truth: dict[str, str]
    noise: dict[str, tuple[str, ...]]
    hard_negatives: list[tuple[str, str, str]] = field(default_factory=list)

    def write(self, directory: Path) -> Path:
        """Write records.csv, truth.csv and hard_negatives.csv; return the records file."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "records.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(self.records)
        with (directory / "truth.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("record_id", "entity_id", "noise"))
            out.writerows((rid, ent, ";".join(self.noise[rid])) for rid, ent in self.truth.items())
        with (directory / "hard_negatives.csv").open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(("record_id_a", "record_id_b", "kind"))
            out.writerows(self.hard_negatives)
        return path

    def subset(self, record_ids: Iterable[str]) -> Dataset:
        """The same data restricted to ``record_ids`` (truth, noise and hard negatives too)."""
        keep = set(record_ids)
        return Dataset(
            records=[r for r in self.records if r["record_id"] in keep],
            truth={k: v for k, v in self.truth.items() if k in keep},
            noise={k: v for k, v in self.noise.items() if k in keep},
            hard_negatives=[n for n in self.hard_negatives if n[0] in keep and n[1] in keep],
        )

    @classmethod
    def read(cls, directory: Path) -> Dataset:
        """Read a dataset written by :meth:`write`."""
        with (directory / "records.csv").open(newline="", encoding="utf-8") as handle:
            records = list(csv.DictReader(handle))
        truth: dict[str, str] = {}
        noise: dict[str, tuple[str, ...]] = {}
        with (directory / "truth.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                truth[row["record_id"]] = row["entity_id"]
                noise[row["record_id"]] = tuple(n for n in row["noise"].split(";") if n)
        with (directory / "hard_negatives.csv").open(newline="", encoding="utf-8") as handle:
            negatives = [(r["record_id_a"], r["record_id_b"], r["kind"]) for r in csv.DictReader(handle)]
        return cls(records=records, truth=truth, noise=noise, hard_negatives=negatives)


@dataclass
class _Draft:
    entity: str
    system: str
    values: dict[str, str]
    noise: list[str]
    has_email_evidence: bool = True


MODES = ("crm", "sparse")
"""``crm``: every record of a person reachable from the others through an email or a phone.
``sparse``: no such guarantee; emails and phones missing as in real exports (leads from
events, helpdesk users, shop customers), countries and dates of birth written every way."""


def generate(n_records: int, *, seed: int = 7, mode: str = "crm") -> Dataset:
    """Generate ``n_records`` records of people spread over the four systems.

    The same ``n_records``, ``seed`` and ``mode`` give the same dataset, byte for byte.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; modes: {', '.join(MODES)}")
    rng = random.Random(seed)
    factory = PersonFactory(rng, n_companies=max(20, n_records // 12))
    drafts: list[_Draft] = []
    groups: list[tuple[HardNegativeKind, list[str]]] = []
    entity_no = 0
    while len(drafts) < n_records:
        remaining = n_records - len(drafts)
        roll = rng.random()
        if remaining >= 12 and roll < _GROUP_SHARE:
            people = factory.household(rng.choice((2, 2, 3)))
            kind = HardNegativeKind.FAMILY_HOUSEHOLD
        elif remaining >= 12 and roll < 2 * _GROUP_SHARE:
            people = factory.team(rng.choice((2, 2, 3)))
            kind = HardNegativeKind.SHARED_ROLE_MAILBOX
        else:
            people, kind = [factory.person()], None
        ids = []
        for person in people:
            entity_no += 1
            entity = f"E{entity_no:07d}"
            ids.append(entity)
            drafts.extend(_records_for(rng, entity, person, remaining=n_records - len(drafts), sparse=mode == "sparse"))
        if kind is not None:
            groups.append((kind, ids))
    return _finish(rng, drafts, groups)


def _records_for(
    rng: random.Random, entity: str, person: Person, *, remaining: int, sparse: bool = False
) -> list[_Draft]:
    if person.role_mailbox:
        # The ticket from the shared mailbox is in Zendesk; the person's own record in a phone-bearing CRM.
        systems = ["zendesk", rng.choice(("salesforce", "hubspot"))]
        systems += rng.sample([s for s in SYSTEMS if s not in systems], rng.choice((0, 0, 1, 2)))
    else:
        size = rng.choices((1, 2, 3, 4), weights=_SIZE_WEIGHTS)[0]
        systems = rng.sample(SYSTEMS, min(size, remaining))
    drafts = [_draft(rng, entity, person, system, first=i == 0) for i, system in enumerate(systems)]
    if sparse:
        for draft in drafts:
            sparse_record(rng, person, draft.system, draft.values, draft.noise)
    else:
        _keep_linkable(rng, person, drafts)
    return drafts


def _draft(rng: random.Random, entity: str, person: Person, system: str, *, first: bool) -> _Draft:
    carried = SYSTEM_FIELDS[system]
    noise: list[str] = []
    values = {name: person.value(name) for name in FIELDS[2:] if name in carried}
    values["phone"] = _phone(rng, person, system, noise) if "phone" in carried else ""
    values["email"] = _email(rng, person, system, noise, first=first)
    _names(rng, person, values, noise)
    _company_and_address(rng, values, noise)
    if not first and rng.random() < 0.3:
        optional = [k for k in ("phone", "company", "street", "postcode", "city", "date_of_birth") if values.get(k)]
        if person.role_mailbox is None and values["email"] and rng.random() < 0.3:
            optional.append("email")
        for name in rng.sample(optional, min(len(optional), rng.choice((1, 1, 2)))):
            values[name] = ""
        noise.append(Noise.MISSING_FIELDS)
    evidence = Noise.OTHER_EMAIL not in noise and Noise.ROLE_MAILBOX not in noise and bool(values["email"])
    return _Draft(entity, system, values, noise, has_email_evidence=evidence)


def _email(rng: random.Random, person: Person, system: str, noise: list[str], *, first: bool) -> str:
    if person.role_mailbox and system == "zendesk":
        noise.append(Noise.ROLE_MAILBOX)
        return person.role_mailbox
    email = person.email
    if not first and person.other_email and rng.random() < 0.08:
        noise.append(Noise.OTHER_EMAIL)
        email = person.other_email
    local, domain = email.split("@")
    if rng.random() < 0.2:
        if domain in ("gmail.com", "googlemail.com"):
            cut = rng.randint(1, len(local) - 1) if len(local) > 1 else 0
            local = local.replace(".", "") if "." in local or not cut else f"{local[:cut]}.{local[cut:]}"
            noise.append(Noise.EMAIL_DOTS)
        else:
            local = f"{local}+{rng.choice((system, 'news', 'crm', 'work', 'promo'))}"
            noise.append(Noise.EMAIL_PLUS_TAG)
    email = f"{local}@{domain}"
    if rng.random() < 0.15:
        email = rng.choice((email.upper(), email.capitalize(), f" {email} "))
        noise.append(Noise.CASE_WHITESPACE)
    return email


def _phone(rng: random.Random, person: Person, system: str, noise: list[str]) -> str:
    text, national = phone_text(rng, person.phone, person.country, SYSTEM_REGIONS[system])
    if national:
        noise.append(Noise.PHONE_NATIONAL)
    return text


def _names(rng: random.Random, person: Person, values: dict[str, str], noise: list[str]) -> None:
    first, last = person.first_name, person.last_name
    if first in NICKNAMES and rng.random() < 0.12:
        first = rng.choice(NICKNAMES[first])
        noise.append(Noise.NICKNAME)
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            first = typo(rng, first)
        else:
            last = typo(rng, last)
        noise.append(Noise.TYPO)
    if rng.random() < 0.04:
        first, last = last, first
        noise.append(Noise.SWAPPED_NAMES)
    if rng.random() < 0.2:
        style = rng.choice((str.upper, str.lower, padded))
        first, last = style(first), style(last)
        noise.append(Noise.CASE_WHITESPACE)
    values["first_name"], values["last_name"] = first, last


def _company_and_address(rng: random.Random, values: dict[str, str], noise: list[str]) -> None:
    company = values.get("company", "")
    if company and rng.random() < 0.35:
        values["company"] = PersonFactory.company_variant(rng, company)
        noise.append(Noise.COMPANY_SUFFIX)
    street = values.get("street", "")
    kind = street.rsplit(" ", 1)[-1] if street else ""
    if STREET_KINDS.get(kind) and rng.random() < 0.3:
        values["street"] = f"{street[: -len(kind)]}{rng.choice(STREET_KINDS[kind])}"
        noise.append(Noise.STREET_ABBREVIATION)
    postcode = values.get("postcode", "")
    if postcode and " " in postcode and rng.random() < 0.3:
        values["postcode"] = rng.choice((postcode.replace(" ", ""), postcode.lower()))
        noise.append(Noise.POSTCODE_FORMAT)
    born = values.get("date_of_birth", "")
    if born and rng.random() < 0.06:
        values["date_of_birth"] = date_typo(rng, born)
        noise.append(Noise.DATE_OF_BIRTH_TYPO)


def _keep_linkable(rng: random.Random, person: Person, drafts: list[_Draft]) -> None:
    """Make the person's records connected through shared emails or phones, as real CRMs' records are.

    A role-mailbox ticket keeps its phone and so does the person's own CRM record. If the
    records still fall apart, every record without the person's email gets it back.
    """
    if person.role_mailbox and len(drafts) > 1:
        for draft in drafts[:2]:
            if not draft.values["phone"]:
                draft.values["phone"], _ = phone_text(rng, person.phone, person.country, SYSTEM_REGIONS[draft.system])
    if _connected(drafts):
        return
    for draft in drafts:
        if not draft.has_email_evidence and Noise.ROLE_MAILBOX not in draft.noise:
            draft.values["email"] = person.email
            draft.noise = [n for n in draft.noise if n != Noise.OTHER_EMAIL]
            draft.has_email_evidence = True


def _connected(drafts: list[_Draft]) -> bool:
    def linked(a: _Draft, b: _Draft) -> bool:
        return (a.has_email_evidence and b.has_email_evidence) or bool(a.values.get("phone") and b.values.get("phone"))

    reached, frontier = {0}, [0]
    while frontier:
        i = frontier.pop()
        for j in range(len(drafts)):
            if j not in reached and linked(drafts[i], drafts[j]):
                reached.add(j)
                frontier.append(j)
    return len(reached) == len(drafts)


def _finish(rng: random.Random, drafts: list[_Draft], groups: list[tuple[HardNegativeKind, list[str]]]) -> Dataset:
    rng.shuffle(drafts)
    counters = dict.fromkeys(SYSTEMS, 0)
    records: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    noise: dict[str, tuple[str, ...]] = {}
    by_entity: dict[str, list[str]] = {}
    for draft in drafts:
        counters[draft.system] += 1
        record_id = _record_id(draft.system, counters[draft.system])
        row = dict.fromkeys(FIELDS, "")
        row.update(draft.values)
        row["record_id"], row["source"] = record_id, draft.system
        records.append(row)
        truth[record_id] = draft.entity
        noise[record_id] = tuple(sorted(set(draft.noise)))
        by_entity.setdefault(draft.entity, []).append(record_id)
    negatives: list[tuple[str, str, str]] = []
    for kind, entities in groups:
        for i, left in enumerate(entities):
            for right in entities[i + 1 :]:
                pairs = ((a, b) for a in by_entity.get(left, ()) for b in by_entity.get(right, ()))
                negatives.extend((a, b, kind.value) for a, b in pairs)
    return Dataset(records=records, truth=truth, noise=noise, hard_negatives=negatives)


def _record_id(system: str, number: int) -> str:
    if system == "salesforce":
        return f"003{number:012X}"
    if system == "zendesk":
        return str(360_000_000 + number)
    if system == "hubspot":
        return str(5_100 + number * 3)
    return f"mp-{number:08x}"
