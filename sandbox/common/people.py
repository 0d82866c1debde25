"""A deterministic synthetic population shared by every vendor sandbox.

The same seed gives the same people, so a person can appear in the Salesforce
sandbox as a Contact and in another vendor's sandbox as a user, as in a real company
whose customers live in several systems. Each sandbox adds its own noise (case,
phone formats, typos) when it renders people into its records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Company", "Person", "companies", "people"]

_FIRST = [
    "Ada",
    "Alan",
    "Amara",
    "Anika",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Dara",
    "Diego",
    "Elena",
    "Emeka",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jade",
    "Jonas",
    "Kai",
    "Keiko",
    "Lars",
    "Leila",
    "Liam",
    "Lucia",
    "Malik",
    "Maya",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Quinn",
    "Rafael",
    "Rosa",
    "Sami",
    "Sofia",
    "Tariq",
    "Tessa",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Yusuf",
    "Zoe",
    "Zofia",
]
_LAST = [
    "Abbott",
    "Alvarez",
    "Bauer",
    "Becker",
    "Chen",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Hansen",
    "Ito",
    "Jensen",
    "Kaur",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Perez",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Tanaka",
    "Torres",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
    "Zimmermann",
    "O'Brien",
    "D'Souza",
]
_COMPANY_A = [
    "Acme",
    "Apex",
    "Blue",
    "Bright",
    "Cedar",
    "Delta",
    "Ever",
    "Green",
    "Harbor",
    "Iron",
    "Lumen",
    "Maple",
    "Nova",
    "North",
    "Orbit",
    "Pine",
    "Summit",
]
_COMPANY_B = [
    "Analytics",
    "Bank",
    "Biotech",
    "Foods",
    "Health",
    "Labs",
    "Logistics",
    "Media",
    "Motors",
    "Retail",
    "Robotics",
    "Software",
    "Studio",
]
_INDUSTRIES = [
    "Banking",
    "Biotechnology",
    "Consulting",
    "Education",
    "Healthcare",
    "Manufacturing",
    "Media",
    "Retail",
    "Technology",
]
_CITIES = (
    # the last part is a dialling prefix that leaves four random digits for a valid national number
    ("San Francisco", "US", "94105", "+1 415 555"),
    ("New York", "US", "10001", "+1 212 555"),
    ("Chicago", "US", "60601", "+1 312 555"),
    ("London", "GB", "EC1A 1BB", "+44 20 7946"),
    ("Berlin", "DE", "10115", "+49 30 5550"),
    ("Paris", "FR", "75001", "+33 1 5555"),
    ("Toronto", "CA", "M5H 2N2", "+1 416 555"),
    ("Sydney", "AU", "2000", "+61 2 5550"),
)
_STREETS = ["Main", "Oak", "Market", "Harbor", "Station", "Park", "King", "Queen", "Mill", "Church"]


@dataclass(frozen=True)
class Company:
    """A synthetic company."""

    index: int
    name: str
    domain: str
    industry: str
    city: str
    country: str
    postal_code: str
    street: str
    employees: int


@dataclass(frozen=True)
class Person:
    """A synthetic person, clean; sandboxes add noise when rendering."""

    index: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company: int
    city: str
    country: str
    birth_year: int


def companies(seed: int, count: int) -> list[Company]:
    """``count`` companies, the same for the same ``seed``."""
    rng = random.Random(f"companies:{seed}")
    result = []
    for i in range(count):
        name = f"{rng.choice(_COMPANY_A)} {rng.choice(_COMPANY_B)}"
        if i >= len(_COMPANY_A) * len(_COMPANY_B) // 4:
            name = f"{name} {i}"
        city, country, postal, _ = rng.choice(_CITIES)
        domain = name.lower().replace(" ", "") + ".example.com"
        street = f"{rng.randint(1, 999)} {rng.choice(_STREETS)} Street"
        result.append(
            Company(i, name, domain, rng.choice(_INDUSTRIES), city, country, postal, street, rng.randint(5, 5000))
        )
    return result


def people(seed: int, count: int, *, company_count: int) -> list[Person]:
    """``count`` people working for ``company_count`` companies, the same for the same ``seed``."""
    rng = random.Random(f"people:{seed}")
    result = []
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        local = f"{first}.{last}".lower().replace("'", "")
        email = f"{local}{i}@example.{rng.choice(('com', 'org', 'net'))}"
        city, country, _, prefix = rng.choice(_CITIES)
        phone = f"{prefix} {rng.randint(0, 9999):04d}"
        birth_year = rng.randint(1950, 2002)
        result.append(Person(i, first, last, email, phone, rng.randrange(company_count), city, country, birth_year))
    return result
