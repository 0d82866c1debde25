"""What the model learns from the data at hand, and the comparisons for data-entry slips."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import IdentitySettings, compare_pairs, default_comparisons, default_nicknames, resolve
from core.identity.blocking import block
from core.identity.compare import DateOfBirthWithTypos
from core.identity.model import estimate_u, without_matches
from core.identity.normalise import dates_of_birth_close, normalise_street
from core.identity.settings import BlockingKey
from tests.core.identity.helpers import person, table

COMPARISONS = default_comparisons(default_nicknames())
NAMES = [c.name for c in COMPARISONS]


def _levels(a, b) -> dict[str, int]:
    row = compare_pairs(table(a, b), np.array([0], np.int32), np.array([1], np.int32), COMPARISONS)
    return dict(zip(NAMES, row[0].tolist(), strict=True))


def test_matches_among_random_pairs_are_taken_out_of_the_counts():
    counts = [np.array([990.0, 10.0])]
    cleaned = without_matches(counts, [np.array([0.1, 0.9])], 0.001, 10_000)  # 10 matches expected, 9 agree
    assert np.allclose(cleaned[0], [989.0, 1.0])
    assert np.all(without_matches(counts, [np.array([0.0, 1.0])], 0.01, 10_000)[0] >= 0)  # never below zero


def _duplicated_people(n: int) -> list:
    """``n`` people, each written twice (a typo in every second surname), with dates of birth and addresses."""
    start = date(1950, 1, 1)
    found = []
    for i in range(n):
        born = start + timedelta(days=37 * i)
        for copy in ("a", "b"):
            last = f"Surname{i:03d}" + ("x" if copy == "b" and i % 2 else "")
            found.append(
                person(f"{copy}{i}", system=copy, first_name=f"Given{i % 40:02d}", last_name=last,
                       date_of_birth=born, street=f"{i} High Street", postcode=f"AB{i % 90:02d} 1CD")
            )  # fmt: skip
    return found


def test_em_sessions_are_reported_with_their_convergence_and_every_pair_links():
    resolution = resolve(_duplicated_people(300), IdentitySettings())
    parameters = resolution.parameters
    sessions = {s["name"]: s for s in parameters.sessions}
    assert {"date_of_birth", "postcode"} <= set(sessions)
    assert all(s["converged"] and int(str(s["pairs"])) >= 200 for s in sessions.values())
    assert parameters.converged and parameters.to_dict()["sessions"]
    assert len(resolution.clusters) == 300
    # strangers here never share a date of birth: among random pairs only duplicates do, and they are taken out
    dob = parameters.names.index("date_of_birth")
    raw = estimate_u(resolution.table, COMPARISONS, sample=200_000, seed=IdentitySettings().fuzzy.em.seed)
    assert parameters.u[dob][2] < raw[dob][2] / 2


def _strangers_alike(n: int) -> list:
    """``n`` different people from a small pool of names, cities and streets, each with their own email and phone."""
    rng = random.Random(5)
    cities = [("Leeds", "LS1 4AP"), ("Paris", "75011"), ("Austin", "78701"), ("Berlin", "10115")]
    companies = ["Acme Ltd", "Hooli", "Globex Inc.", "Initech GmbH", "Umbrella plc", "Vandelay Industries"]
    found = []
    for i in range(n):
        first = rng.choice(["Robert", "Elizabeth", "James", "Maria", "Chen", "Aisha", "Lars", "Sofia"])
        last = rng.choice(["Smith", "Jones", "Garcia", "Nguyen", "Patel"])
        city, postcode = rng.choice(cities)
        found.append(
            person(str(i), first_name=first, last_name=last, email=f"{first}.{last}{i}@example.com".lower(),
                   phone=f"+4477009{i:05d}", street=f"{rng.randint(1, 100)} Main Street", city=city, postcode=postcode,
                   date_of_birth=date(1950 + rng.randint(0, 49), rng.randint(1, 9), rng.randint(10, 19)),
                   company=rng.choice(companies))
        )  # fmt: skip
    return found


def test_a_class_of_strangers_alike_is_not_learnt_as_the_matches():
    """Without duplicates EM's largest class is strangers sharing a common name and city, who never share an
    email or a phone: that class is rejected, and disagreeing on email and phone keeps its weight."""
    resolution = resolve(_strangers_alike(3000), IdentitySettings())
    parameters = resolution.parameters
    sessions = {s["name"]: s for s in parameters.sessions}
    learnt = [s for s in sessions.values() if float(str(s["expected_matches"])) >= 1]
    assert learnt and all("email, phone" in str(s.get("rejected")) for s in learnt)
    assert len(resolution.clusters) == 3000
    assert list(resolution.reviews()) == []
    email, phone = parameters.names.index("email"), parameters.names.index("phone")
    for c in (email, phone):  # agreeing is evidence for a match, disagreeing against
        assert parameters.m[c][-1] > parameters.u[c][-1] and parameters.m[c][0] < parameters.u[c][0]


def test_swapped_names_with_a_typo_on_each_side_read_crossed():
    levels = _levels(
        person("1", first_name="Catherine", last_name="Newport"),
        person("2", first_name="Newpirt", last_name="Catherone"),
    )
    assert levels["first_name"] >= 1 and levels["last_name"] >= 2


def test_two_different_people_are_not_read_crossed():
    levels = _levels(
        person("1", first_name="John", last_name="Smith"), person("2", first_name="Sarah", last_name="Jones")
    )
    assert (levels["first_name"], levels["last_name"]) == (0, 0)
    levels = _levels(
        person("1", first_name="Mark", last_name="Mills"), person("2", first_name="Mary", last_name="Mark")
    )
    assert levels["first_name"] == 0  # one crossed name equal, the other no more than similar: not a swap


def test_a_street_word_typed_onto_the_street_is_split_off():
    assert normalise_street("5 Rosellastreet") == normalise_street("5 Rosella Street") == "5 rosella st"
    assert normalise_street("12 Broad") == "12 broad"  # too little before it: one word
    assert normalise_street("Abroad") == "abroad"


def test_a_house_number_without_its_street_name_agrees_with_the_same_house():
    found = _levels(
        person("1", street="75", postcode="4171", city="Brooklyn"),
        person("2", street="75 Scantlebury Crescent", postcode="4171", city="Brooklyn"),
    )
    assert found["address"] == COMPARISONS[-1].levels.index("street_name")
    other = _levels(
        person("1", street="75", postcode="4171"), person("2", street="76 Scantlebury Crescent", postcode="4171")
    )
    assert other["address"] == COMPARISONS[-1].levels.index("postcode")


_DATES = st.builds(
    lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    st.integers(1900, 2010),
    st.integers(1, 14),
    st.integers(1, 31),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_DATES, _DATES | st.sampled_from(["1985-13-05", "abc", "19850305"])), min_size=1, max_size=30)
)
def test_date_levels_in_bulk_are_those_of_one_pair(pairs: list[tuple[str, str]]):
    pairs = [(a, b) for a, b in pairs if a != b]
    if not pairs:
        return
    bulk = DateOfBirthWithTypos().levels_of([a for a, _ in pairs], [b for _, b in pairs])
    assert bulk.tolist() == [int(dates_of_birth_close(a, b)) for a, b in pairs]


def test_common_nicknames_missing_from_the_bundled_table_are_known():
    names = default_nicknames()
    assert names.compatible("suzy", "susan") and names.compatible("katie", "katherine")
    assert names.compatible("lexi", "alexandra") and not names.compatible("suzy", "katherine")


def test_swapped_names_with_a_typo_meet_on_the_postcode():
    prepared = table(
        person("1", first_name="Hannah", last_name="Mihal", postcode="6060"),
        person("2", first_name="Mihal", last_name="Hannsh", postcode="6060"),
    )
    pairs = block(prepared, [BlockingKey.POSTCODE_SURNAME], max_block_size=100, nicknames=default_nicknames())
    assert len(pairs) == 1
