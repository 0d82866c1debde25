"""A seeded CSV export of people, shaped like mappings/files.yaml expects, with some bad rows."""

from __future__ import annotations

import csv
import random
from pathlib import Path

COLUMNS = [
    "id", "first_name", "last_name", "full_name", "email", "phone", "company", "job_title",
    "street", "city", "postcode", "country", "date_of_birth", "updated_at", "unsubscribed",
]  # fmt: skip
FIRST = ["Robert", "Elizabeth", "James", "Maria", "Chen", "Aisha", "Lars", "Sofia", "Kwame", "Priya", "Tom", "Zoë"]
LAST = ["Smith", "Jones", "García", "Nguyen", "O'Brien", "Müller", "Okafor", "Patel", "Rossi", "Kowalski"]
COMPANIES = ["Acme Ltd", "Globex Inc.", "Initech GmbH", "Umbrella plc", "Hooli", "Vandelay Industries"]
CITIES = [("Leeds", "LS1 4AP", "GB"), ("Paris", "75011", "FR"), ("Berlin", "10115", "DE"), ("Austin", "78701", "US")]


def write_people(path: Path, rows: int, *, bad_share: float = 0.01, seed: int = 11) -> int:
    """Write ``rows`` people to ``path``; about ``bad_share`` of them malformed. Returns the bad count."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, postcode, country = rng.choice(CITIES)
            email = f"{first}.{last}{i}@example.com".lower().replace("'", "")
            row = [
                str(i), first, last, "", email, f"+44 7700 {i % 1000000:06d}", rng.choice(COMPANIES), "Buyer",
                f"{rng.randint(1, 200)} Main Street", city, postcode, country,
                f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z", "yes" if rng.random() < 0.05 else "",
            ]  # fmt: skip
            if rng.random() < bad_share:
                bad += 1
                row[4] = email.replace("@", "@@")
            writer.writerow(row)
    return bad
