from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import compare_pairs, default_comparisons, default_nicknames
from core.identity.compare import GivenNameWithNicknamesAtThresholds
from core.identity.nicknames import given_name_level
from tests.core.identity.helpers import person, table

NAMES = [c.name for c in default_comparisons(default_nicknames())]


def _levels(a: object, b: object) -> dict[str, int]:
    prepared = table(a, b)  # type: ignore[arg-type]
    row = compare_pairs(
        prepared, np.array([0], np.int32), np.array([1], np.int32), default_comparisons(default_nicknames())
    )
    return dict(zip(NAMES, row[0].tolist(), strict=True))


def test_missing_values_are_minus_one() -> None:
    levels = _levels(person("1", first_name="Bob"), person("2", last_name="Smith"))
    assert set(levels.values()) == {-1}


def test_name_levels_exact_nickname_and_different() -> None:
    assert _levels(person("1", first_name="Robert"), person("2", first_name="ROBERT"))["first_name"] == 4
    assert _levels(person("1", first_name="Bob"), person("2", first_name="Robert"))["first_name"] == 3
    assert _levels(person("1", first_name="John"), person("2", first_name="Mary"))["first_name"] == 0
    assert _levels(person("1", last_name="Smith"), person("2", last_name="Smiht"))["last_name"] == 2


def test_swapped_first_and_last_names_compare_as_exact() -> None:
    levels = _levels(
        person("1", first_name="Smith", last_name="Robert"), person("2", first_name="Robert", last_name="Smith")
    )
    assert (levels["first_name"], levels["last_name"]) == (4, 3)


def test_crossing_never_turns_a_shared_surname_into_a_first_name() -> None:
    """Hard negative: 'Woodley Andrew' (swapped) and Zoe Woodley share only the surname."""
    levels = _levels(
        person("1", first_name="Woodley", last_name="Andrew"), person("2", first_name="Zoe", last_name="Woodley")
    )
    assert levels["first_name"] == 0


def test_email_levels() -> None:
    assert _levels(person("1", email="bob.smith@gmail.com"), person("2", email="bobsmith@gmail.com"))["email"] == 4
    assert _levels(person("1", email="bob+crm@acme.com"), person("2", email="bob@acme.com"))["email"] == 3
    assert _levels(person("1", email="bob.smith@acme.com"), person("2", email="bob.smith@acme.co.uk"))["email"] == 2
    assert _levels(person("1", email="john.smith1@acme.com"), person("2", email="john.smith2@acme.com"))["email"] == 1


def test_role_mailboxes_count_as_missing() -> None:
    assert _levels(person("1", email="info@acme.com"), person("2", email="info@acme.com"))["email"] == -1


def test_phone_dob_company_and_address_levels() -> None:
    levels = _levels(
        person(
            "1",
            phone="+442079460958",
            date_of_birth="1980-03-12",
            company="Acme Inc.",
            street="1 High Street",
            postcode="AB1 2CD",
        ),
        person(
            "2",
            mobile="+442079460958",
            date_of_birth="1980-12-03",
            company="ACME Ltd",
            street="1 High St.",
            postcode="ab12cd",
        ),
    )
    assert (levels["phone"], levels["date_of_birth"], levels["company"], levels["address"]) == (1, 1, 2, 4)
    far = _levels(
        person("1", date_of_birth="1975-03-12", postcode="AB1"), person("2", date_of_birth="2005-03-12", postcode="ZZ9")
    )
    assert (far["date_of_birth"], far["address"]) == (0, 0)


def test_date_of_birth_typos_are_one_level_and_other_dates_are_different() -> None:
    def dob(a: str, b: str) -> int:
        return _levels(person("1", date_of_birth=a), person("2", date_of_birth=b))["date_of_birth"]

    assert dob("1960-07-07", "1906-07-07") == 1  # two digits of the year swapped
    assert dob("1989-05-04", "1990-05-04") == 1  # one year off across a decade
    assert dob("1980-03-09", "1980-03-10") == 1  # one day off
    assert dob("1980-03-09", "1975-03-09") == 0
    assert dob("1980-03-09", "1980-04-10") == 0


def test_one_local_part_at_two_companies_is_two_people() -> None:
    def email(a: str, b: str) -> int:
        return _levels(person("1", email=a), person("2", email=b))["email"]

    assert email("miles.day@queensbury.com", "miles.day@yarrow.com") == 1
    assert email("miles.day77@gmail.com", "miles.day77@yahoo.com") == 2  # one person's handle at two providers
    assert email("mark@acme.com", "mary@acme.com") == 1  # two colleagues, not a typo
    assert email("mark.jones@acme.com", "mark.jnoes@acme.com") == 2
    assert email("ian.berger@icloud.com", "jberger@outlook.com") == 0  # two people's own addresses
    assert email("ian.berger@icloud.com", "ian.berger@acme.com") == 1


def test_a_shortened_given_name_is_close() -> None:
    assert _levels(person("1", first_name="Barb"), person("2", first_name="Barbara"))["first_name"] == 2


def test_swapped_names_with_a_typo_read_crossed() -> None:
    levels = _levels(
        person("1", first_name="Irene", last_name="Martinez"), person("2", first_name="MARTINEZ", last_name="IREENE")
    )
    assert (levels["first_name"], levels["last_name"]) == (1, 3)


_GIVEN = [*sorted(default_nicknames().groups_by_name)[::7], "j", "jo", "mary ann", "jean pierre", "berger", "barker"]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(_GIVEN), st.sampled_from(_GIVEN), st.sampled_from(["", " ann", " pierre", " lee"])
        ).map(lambda t: (t[0] + t[2], t[1])),
        min_size=1,
        max_size=20,
    )
)
def test_first_name_levels_of_many_pairs_are_those_of_one_pair(pairs: list[tuple[str, str]]) -> None:
    # the batch computes first-name levels in bulk; rules and the household check grade one pair at a time
    comparison = GivenNameWithNicknamesAtThresholds(default_nicknames())
    pairs = [(a, b) for a, b in pairs if a != b]
    bulk = comparison.levels_of([a for a, _ in pairs], [b for _, b in pairs]).tolist()
    assert bulk == [given_name_level(a, b, default_nicknames()) for a, b in pairs]


def test_a_shared_first_word_is_close_not_a_nickname() -> None:
    comparison = GivenNameWithNicknamesAtThresholds(default_nicknames())
    assert comparison.levels_of(["mary ann", "jean pierre"], ["mary", "jean"]).tolist() == [2, 2]


_LOCALS = st.sampled_from(["bob", "bob.smith", "bobsmith", "bob.smiht", "bob.smith1", "bob.smith2", "mark", "mary",
                           "miles.day", "miles.day77", "jberger", "ian.berger", "info", "a1b2", "robert.jones"])  # fmt: skip
_DOMAINS = st.sampled_from(["gmail.com", "yahoo.com", "icloud.com", "acme.com", "acme.co.uk", "mail.acme.co.uk",
                            "queensbury.com", "example.org"])  # fmt: skip
_ADDRESSES = st.builds(lambda local, domain: f"{local}@{domain}", _LOCALS, _DOMAINS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ADDRESSES, _ADDRESSES), min_size=1, max_size=40), st.booleans())
def test_email_levels_of_many_pairs_are_each_pairs_level(pairs, with_nicknames):
    from core.identity.compare import EmailThenLooseLocalPart

    comparison = EmailThenLooseLocalPart(nicknames=default_nicknames() if with_nicknames else None)
    lefts, rights = [a for a, _ in pairs], [b for _, b in pairs]
    expected = [comparison.level(a, b) for a, b in pairs]
    assert comparison.levels_of(lefts, rights).tolist() == expected


def test_pairs_compared_in_parts_have_the_levels_of_one_whole_comparison(monkeypatch) -> None:
    from core.identity import compare

    firsts, lasts = ["Robert", "Bob", "Smith", "Maria", "Mary"], ["Smith", "Robert", "Jones", "Smyth"]
    people = [
        person(str(i), first_name=firsts[i % 5], last_name=lasts[i % 4], email=f"{firsts[i % 3]}.{i % 6}@acme.com",
               phone=f"+4477009{i % 7:05d}", date_of_birth=f"19{60 + i % 9}-0{1 + i % 8}-1{i % 3}",
               street=f"{i % 5} Main Street", postcode="LS1 4AP", company=["Acme", "Hooli"][i % 2])
        for i in range(40)
    ]  # fmt: skip
    prepared = table(*people)
    left, right = (np.asarray(side, dtype=np.int32) for side in np.triu_indices(len(prepared), 1))
    comparisons = default_comparisons(default_nicknames())
    whole = compare_pairs(prepared, left, right, comparisons)
    monkeypatch.setattr(compare, "COMPARED_AT_ONCE", 7)
    parts = compare_pairs(prepared, left, right, comparisons)
    assert len(set(map(tuple, whole.tolist()))) > 20  # many different level patterns
    assert parts.dtype == whole.dtype and np.array_equal(parts, whole)
