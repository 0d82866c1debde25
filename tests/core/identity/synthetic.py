"""A small generator of CRM-shaped people with known truth, for identity tests.

Each true person yields one to four records in different systems with noise
(case, whitespace, Gmail dots and tags, nicknames, typos, swapped names,
missing fields, company suffixes). Hard negatives are built in: households
(same surname, street, postcode and landline; different first names, emails
and dates of birth) and colleagues sharing a role mailbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from core.canonical import Person, RecordRef

FIRST = [
    ("robert", ["bob", "rob", "bobby"]),
    ("elizabeth", ["liz", "beth", "lizzie"]),
    ("william", ["bill", "will"]),
    ("margaret", ["maggie", "peggy"]),
    ("james", ["jim", "jimmy"]),
    ("katherine", ["kate", "kathy"]),
    ("michael", ["mike"]),
    ("jennifer", ["jenny", "jen"]),
    ("thomas", ["tom"]),
    ("susan", ["sue"]),
    ("richard", ["rick", "dick"]),
    ("patricia", ["pat", "patty"]),
    ("daniel", ["dan", "danny"]),
    ("christopher", ["chris"]),
    ("anthony", ["tony"]),
    ("joseph", ["joe"]),
    ("david", ["dave"]),
    ("andrew", ["andy", "drew"]),
] + [
    (n, [])
    for n in [
        "mary",
        "john",
        "sarah",
        "raj",
        "priya",
        "wei",
        "mohammed",
        "fatima",
        "olivia",
        "noah",
        "emma",
        "liam",
        "ava",
        "lucas",
        "mia",
        "ethan",
        "zoe",
        "omar",
        "leila",
        "hugo",
        "ines",
    ]
]
SYLLABLES = [
    "an",
    "ber",
    "ton",
    "son",
    "ley",
    "ham",
    "well",
    "ford",
    "wood",
    "mar",
    "ish",
    "ric",
    "dal",
    "cott",
    "fen",
    "gar",
    "hol",
    "kin",
    "lor",
    "mond",
    "nor",
    "pet",
    "quin",
    "ros",
    "stead",
    "tal",
    "van",
    "wick",
]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Tyrell"]
SUFFIXES = ["", " Inc.", " Ltd", " LLC", " GmbH", ", Inc", " Limited", " Corp."]
SYSTEMS = ["salesforce", "zendesk", "hubspot", "mixpanel"]


@dataclass(frozen=True)
class Truth:
    """Generated records and the true person of each record key."""

    people: list[Person]
    entity_of: dict[str, int]
    hard_negative_pairs: set[tuple[str, str]]


def _surname(rng: random.Random) -> str:
    count = 1 if rng.random() < 0.6 else 2
    return "".join(
        rng.choice(SYLLABLES[: 8 + rng.randrange(len(SYLLABLES) - 8)]) for _ in range(count + 1)
    ).capitalize()


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    return text[:i] + rng.choice("aeioulnrst") + text[i + 1 :]


def _entity(
    rng: random.Random,
    eid: int,
    surname: str | None = None,
    home: tuple[str, str, str] | None = None,
    avoid: frozenset[str] = frozenset(),
) -> dict[str, object]:
    formal, nicks = rng.choice([f for f in FIRST if f[0] not in avoid])
    last = surname or _surname(rng)
    company = rng.choice(COMPANIES)
    dob = date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29)) if rng.random() < 0.5 else None
    domain = rng.choice(["gmail.com", f"{company.lower()}.com", "outlook.com"])
    email = f"{formal}.{last.lower()}{eid}@{domain}"
    street, postcode, landline = home or (
        f"{rng.randrange(1, 200)} {_surname(rng)} Street",
        f"AB{rng.randrange(1, 99)} {rng.randrange(1, 9)}CD",
        f"+4420{rng.randrange(10**7, 10**8)}",
    )
    mobile = f"+447{rng.randrange(10**8, 10**9)}"
    return {
        "first": formal,
        "nicks": nicks,
        "last": last,
        "company": company,
        "dob": dob,
        "email": email,
        "street": street,
        "postcode": postcode,
        "landline": landline,
        "mobile": mobile,
    }


def _record(rng: random.Random, e: dict[str, object], system: str, sid: str) -> Person:
    first = str(e["first"])
    nicks = list(e["nicks"])  # type: ignore[call-overload]
    if nicks and rng.random() < 0.3:
        first = rng.choice(nicks)
    last = str(e["last"])
    if rng.random() < 0.08:
        first = _typo(rng, first)
    if rng.random() < 0.05:
        last = _typo(rng, last)
    style = rng.random()
    first = first.capitalize() if style < 0.5 else first.upper() if style < 0.6 else first
    if rng.random() < 0.03:
        first, last = last, first
    email = str(e["email"])
    local, domain = email.split("@")
    if domain == "gmail.com" and rng.random() < 0.3:
        local = local.replace(".", "") + ("+news" if rng.random() < 0.5 else "")
    elif rng.random() < 0.1:
        local = local + "+crm"
    email = f"{local}@{domain}"
    if rng.random() < 0.2:
        email = email.upper()
    phone = str(e["mobile"]) if rng.random() < 0.7 else str(e["landline"])
    keep = lambda p: rng.random() < p  # noqa: E731
    return Person(
        source=RecordRef(system=system, stream="people", source_id=sid),
        first_name=f" {first} " if keep(0.95) else None,
        last_name=last if keep(0.95) else None,
        email=email if keep(0.85) else None,
        phone=phone if keep(0.6) else None,
        company=(str(e["company"]) + rng.choice(SUFFIXES)) if keep(0.7) else None,
        street=str(e["street"]) if keep(0.4) else None,
        postcode=str(e["postcode"]) if keep(0.4) else None,
        date_of_birth=e["dob"] if keep(0.7) else None,  # type: ignore[arg-type]
    )


def generate(entities: int, *, seed: int = 7) -> Truth:
    """Generate records for ``entities`` true people (households and colleagues included)."""
    rng = random.Random(seed)
    people: list[Person] = []
    entity_of: dict[str, int] = {}
    negatives: set[tuple[str, str]] = set()
    eid = 0
    while eid < entities:
        group_size = 1 if rng.random() < 0.8 else rng.randrange(2, 4)
        first = _entity(rng, eid)
        group = [first]
        for k in range(1, group_size):
            home = (str(first["street"]), str(first["postcode"]), str(first["landline"]))
            taken = frozenset(str(e["first"]) for e in group)
            member = _entity(rng, eid + k, surname=str(first["last"]), home=home, avoid=taken)
            group.append(member)
        group_keys: list[list[str]] = []
        for e in group:
            keys = []
            for system in rng.sample(SYSTEMS, rng.randrange(1, 5)):
                sid = f"{eid}-{system}"
                person = _record(rng, e, system, sid)
                if group_size > 1 and rng.random() < 0.5:
                    person.phone = str(e["landline"])
                    person.street, person.postcode = str(e["street"]), str(e["postcode"])
                people.append(person)
                entity_of[str(person.source)] = eid
                keys.append(str(person.source))
            group_keys.append(keys)
            eid += 1
        for i, keys_a in enumerate(group_keys):
            for keys_b in group_keys[i + 1 :]:
                negatives.update((min(a, b), max(a, b)) for a in keys_a for b in keys_b)
    # Colleagues sharing a role mailbox.
    for c in range(entities // 20):
        company = rng.choice(COMPANIES)
        for k in range(2):
            e = _entity(rng, eid)
            person = Person(
                source=RecordRef(system="hubspot", stream="forms", source_id=f"role-{c}-{k}"),
                first_name=str(e["first"]).capitalize(),
                last_name=str(e["last"]),
                email=f"info@{company.lower()}.com",
                company=company,
            )
            people.append(person)
            entity_of[str(person.source)] = eid
            eid += 1
        negatives.add((f"hubspot/forms/role-{c}-0", f"hubspot/forms/role-{c}-1"))
    rng.shuffle(people)
    return Truth(people, entity_of, negatives)


def pair_scores(truth: Truth, profile_of: dict[str, str]) -> dict[str, float]:
    """Precision, recall and F1 over record pairs, and how many hard-negative pairs merged."""
    from collections import defaultdict
    from itertools import combinations

    clusters: dict[str, list[str]] = defaultdict(list)
    for key, pid in profile_of.items():
        clusters[pid].append(key)
    predicted = {tuple(sorted(p)) for members in clusters.values() for p in combinations(members, 2)}
    by_entity: dict[int, list[str]] = defaultdict(list)
    for key, eid in truth.entity_of.items():
        by_entity[eid].append(key)
    actual = {tuple(sorted(p)) for members in by_entity.values() for p in combinations(members, 2)}
    tp = len(predicted & actual)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(actual) if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    merged_negatives = sum(1 for pair in truth.hard_negative_pairs if pair in predicted)
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "hard_negatives_merged": merged_negatives,
        "predicted_pairs": len(predicted),
        "true_pairs": len(actual),
    }
