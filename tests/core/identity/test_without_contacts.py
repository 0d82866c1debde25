"""Finding people through names, date of birth and address when no email or phone is there."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import block, compare_pairs, default_comparisons, default_nicknames, resolve
from core.identity.compare import COMPARISON_LEVELS
from core.identity.decide import lone_disagreement, required_failed
from core.identity.model import estimate_match_share
from core.identity.settings import BlockingKey, FuzzySettings
from tests.core.identity.helpers import person, table

NAMES = tuple(COMPARISON_LEVELS)
ADDRESS = COMPARISON_LEVELS["address"]


def _levels(a: object, b: object) -> dict[str, int]:
    row = compare_pairs(
        table(a, b),  # type: ignore[arg-type]
        np.array([0], np.int32),
        np.array([1], np.int32),
        default_comparisons(default_nicknames()),
    )
    return dict(zip(NAMES, row[0].tolist(), strict=True))


def _address(a: dict[str, str], b: dict[str, str]) -> str:
    level = _levels(person("1", **a), person("2", **b))["address"]
    return "missing" if level < 0 else ADDRESS[level]


def test_a_postcode_with_two_digits_swapped_or_one_mistyped_still_agrees() -> None:
    assert _address({"postcode": "6017", "city": "Budgewoi"}, {"postcode": "6071", "city": "Budgewoi"}) == "postcode"
    assert _address({"postcode": "4053"}, {"postcode": "4054"}) == "postcode"
    assert _address({"postcode": "4053"}, {"postcode": "7120"}) == "different"


def test_a_house_number_with_a_typo_is_the_same_house_and_another_number_the_same_street() -> None:
    same = {"street": "925 Carpenter Close", "postcode": "2340"}
    assert _address(same, {"street": "952 carpenter close", "postcode": "2340"}) == "street"
    assert _address(same, {"street": "109 Carpenter Close", "postcode": "2340"}) == "street_name"
    assert _address(same, {"street": "Carpenter Close", "postcode": "2340"}) == "street_name"
    assert _address(same, {"street": "925 Wallaby Place", "postcode": "2340"}) == "postcode"


def test_a_typo_in_the_street_or_city_is_tolerated() -> None:
    a = {"street": "8 Stanley Street", "city": "Winston Hills", "postcode": "4223"}
    assert _address(a, {"street": "8 stanleykstreet", "city": "winstonbhills", "postcode": "4223"}) == "street"
    assert _address({"city": "Canterbury"}, {"city": "Cantebrry"}) == "city"


def test_an_impossible_date_of_birth_still_scores_partial_agreement() -> None:
    typo = COMPARISON_LEVELS["date_of_birth"].index("typo")
    exact = COMPARISON_LEVELS["date_of_birth"].index("exact")
    swapped = _levels(person("1", date_of_birth="1985-13-05"), person("2", date_of_birth="1985-05-13"))
    mistyped = _levels(person("1", date_of_birth="19319924"), person("2", date_of_birth="1931-09-24"))
    same = _levels(person("1", date_of_birth="1980-02-31"), person("2", date_of_birth="31/02/1980"))
    assert (swapped["date_of_birth"], mistyped["date_of_birth"], same["date_of_birth"]) == (typo, typo, exact)


@settings(max_examples=60, deadline=None)
@given(st.integers(1920, 2005), st.integers(1, 12), st.integers(13, 28))
def test_a_day_written_in_the_month_is_a_typo_of_the_real_date(year: int, month: int, day: int) -> None:
    real = f"{year}-{month:02d}-{day:02d}"
    written = f"{year}-{day:02d}-{month:02d}"  # month 13 or more: no calendar date
    levels = _levels(person("1", date_of_birth=real), person("2", date_of_birth=written))
    assert levels["date_of_birth"] == COMPARISON_LEVELS["date_of_birth"].index("typo")


def _pairs(*people: object, keys: list[BlockingKey]) -> set[tuple[str, str]]:
    prepared = table(*people)  # type: ignore[arg-type]
    found = block(prepared, keys, max_block_size=100, nicknames=default_nicknames())
    return {
        (prepared.refs[a].source_id, prepared.refs[b].source_id) for a, b in zip(found.left, found.right, strict=True)
    }


def test_new_blocking_keys_meet_records_that_share_no_name_key() -> None:
    a = person("1", first_name="Zali", last_name="Shepherd", street="308 Solly Place", city="Valla", postcode="2138")
    b = person("2", first_name="Zalk", last_name="Matthews", street="308 Solly Place", city="Valoa", postcode="2138")
    c = person("3", first_name="Ruby", last_name="Reid", street="12 Judkins Street", city="Airds", postcode="4350")
    d = person("4", first_name="Ruby", last_name="Reip", street="12 Judkins St", city="Airds", postcode="4305")
    e = person("5", first_name="Kyle", last_name="Careless", city="Ivanhoe", postcode="6076")
    f = person("6", first_name="Kylb", last_name="Careless", city="Ivanoe", postcode="6074")
    assert ("1", "2") in _pairs(a, b, keys=[BlockingKey.FIRST_NAME_POSTCODE])
    assert ("1", "2") in _pairs(a, b, keys=[BlockingKey.STREET_POSTCODE])
    assert ("3", "4") in _pairs(c, d, keys=[BlockingKey.STREET_CITY])
    assert ("5", "6") in _pairs(e, f, keys=[BlockingKey.SURNAME_CITY])
    assert _pairs(a, c, e, keys=[BlockingKey.STREET_POSTCODE, BlockingKey.STREET_CITY]) == set()


def _row(**levels: str) -> np.ndarray:
    row = np.full((1, len(NAMES)), -1, dtype=np.int8)
    for name, label in levels.items():
        row[0, NAMES.index(name)] = COMPARISON_LEVELS[name].index(label)
    return row


def test_a_replaced_first_name_is_overlooked_only_beside_an_exact_date_of_birth_and_address() -> None:
    replaced = _row(first_name="different", last_name="exact", date_of_birth="exact", address="street")
    household = _row(first_name="different", last_name="exact", date_of_birth="different", address="street")
    twins_with_phones = _row(
        first_name="different", last_name="exact", date_of_birth="exact", address="street", phone="different"
    )
    rows = np.vstack([replaced, household, twins_with_phones])
    assert lone_disagreement(rows, NAMES, "first_name").tolist() == [True, False, False]
    assert required_failed(rows, NAMES, FuzzySettings()).tolist() == [False, True, True]


def test_a_date_of_birth_is_overlooked_only_when_everything_else_agrees() -> None:
    typo = _row(first_name="exact", last_name="exact", date_of_birth="different", address="street")
    other_street = _row(first_name="exact", last_name="exact", date_of_birth="different", address="postcode")
    other_mailbox = _row(
        first_name="exact", last_name="exact", date_of_birth="different", address="street", email="different_personal"
    )
    rows = np.vstack([typo, other_street, other_mailbox])
    assert lone_disagreement(rows, NAMES, "date_of_birth").tolist() == [True, False, False]


def test_the_share_of_matching_candidates_is_learnt_by_em() -> None:
    m = (np.array([0.1, 0.9]),)
    u = (np.array([0.9, 0.1]),)
    rng = np.random.default_rng(1)
    matches = rng.random(20_000) < 0.3
    agree = np.where(matches, rng.random(20_000) < 0.9, rng.random(20_000) < 0.1)
    levels = agree.astype(np.int8).reshape(-1, 1)
    assert abs(estimate_match_share(levels, m, u) - 0.3) < 0.02


def _household_and_a_person_without_contacts() -> list[object]:
    return [
        # one person, twice, no email or phone: a replaced first name, a mistyped postcode
        person("1", first_name="Danielle", last_name="Webb", street="33 Max Henry Crescent", city="Corio",
               postcode="2077", date_of_birth="1971-12-11"),
        person("2", first_name="Elki", last_name="Webb", street="33 Max Henry Crescent", city="Corio",
               postcode="2077", date_of_birth="11/12/1971", country="AU"),
        # a family at one address: other first names and dates of birth
        person("3", first_name="John", last_name="Moss", street="4 Dowsley Place", city="Kingsford",
               postcode="5062", date_of_birth="1950-05-22"),
        person("4", first_name="Mary", last_name="Moss", street="4 Dowsley Place", city="Kingsford",
               postcode="5062", date_of_birth="1952-01-03"),
        # father and son of one name at one address, with their own mobiles
        person("5", first_name="Alan", last_name="Price", street="9 Kent Road", city="Dapto", postcode="2530",
               date_of_birth="1948-03-02", mobile="+61412345678"),
        person("6", first_name="Alan", last_name="Price", street="9 Kent Road", city="Dapto", postcode="2530",
               date_of_birth="1979-08-30", mobile="+61498765432"),
    ]  # fmt: skip


def test_people_without_contacts_link_and_households_stay_apart() -> None:
    # among 3,000 generated CRM records (bench/identity_data.py, sparse mode), so the model learns as on real data
    from bench.identity_data import SYSTEM_REGIONS, generate
    from core.identity import IdentitySettings
    from core.identity.settings import PhoneSettings

    rows = generate(3000, seed=5, mode="sparse").records
    settings = IdentitySettings(phones=PhoneSettings(system_regions=SYSTEM_REGIONS))
    population = []
    for row in rows:
        fields = {
            k: v
            for k, v in row.items()
            if v and k in ("first_name", "last_name", "street", "city", "postcode", "date_of_birth")
        }
        population.append(person(f"g{row['record_id']}", system=row["source"], **fields))
    profile_of = resolve([*_household_and_a_person_without_contacts(), *population], settings).profile_of()  # type: ignore[list-item]

    def same(a: str, b: str) -> bool:
        return profile_of[f"crm/people/{a}"] == profile_of[f"crm/people/{b}"]

    assert same("1", "2")
    assert not same("3", "4")
    assert not same("5", "6")
