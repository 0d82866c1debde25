from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import default_nicknames
from core.identity.nicknames import NicknameTable, given_name_level


@pytest.mark.parametrize(
    ("a", "b"), [("bob", "robert"), ("liz", "elizabeth"), ("beth", "liz"), ("bill", "william"), ("bill", "robert")]
)
def test_nicknames_are_compatible(a: str, b: str) -> None:
    assert default_nicknames().compatible(a, b)
    assert default_nicknames().compatible(b, a)


@pytest.mark.parametrize(("a", "b"), [("robert", "william"), ("john", "mary"), ("bob", "william"), ("liz", "margaret")])
def test_different_names_are_not_compatible(a: str, b: str) -> None:
    assert not default_nicknames().compatible(a, b)


def test_reverse_listed_pairs_do_not_join_two_formal_names() -> None:
    table = NicknameTable.from_pairs([("robert", "bill"), ("william", "bill"), ("bill", "robert"), ("bill", "william")])
    assert table.compatible("bill", "robert")
    assert not table.compatible("robert", "william")


def test_name_keys_include_the_longer_names_a_nickname_shortens() -> None:
    keys = default_nicknames().name_keys("bob")
    assert keys[0] == "bob"
    assert "robert" in keys
    assert default_nicknames().name_keys("zzyzx") == ("zzyzx",)


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("bob", "robert", 3),
        ("christopher", "christophr", 2),
        ("mary ann", "mary", 2),
        ("john", "joan", 1),
        ("j", "john", 1),
        ("bob", "bbo", 1),
        ("rilk", "richard", 1),  # a misspelt nickname (rick)
        ("john", "mary", 0),
    ],
)
def test_given_name_levels(a: str, b: str, level: int) -> None:
    assert given_name_level(a, b, default_nicknames()) == level


def test_a_misspelt_nickname_is_near_its_formal_name_but_a_shared_nickname_is_not() -> None:
    table = default_nicknames()
    assert table.near("rilk", "richard")  # one typo from "rick"
    assert table.near("bbo", "robert")
    assert not table.near("robert", "william")  # both can be Bill: not one name
    assert not table.near("xqzw", "robert")


_NAMES = sorted(default_nicknames().groups_by_name)


@st.composite
def _given_names(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_NAMES))
    if draw(st.booleans()) and len(name) > 2:  # a typo: one letter changed, dropped or doubled
        at = draw(st.integers(0, len(name) - 1))
        edit = draw(st.sampled_from(["change", "drop", "double"]))
        letter = draw(st.sampled_from("aeiourstlnm"))
        name = {"change": name[:at] + letter + name[at + 1 :], "drop": name[:at] + name[at + 1 :]}.get(
            edit, name[:at] + name[at] + name[at:]
        )
    return name


@settings(max_examples=400, deadline=None)
@given(_given_names(), _given_names())
def test_near_agrees_with_its_definition(left: str, right: str) -> None:
    table = default_nicknames()
    by_definition = bool(table.groups(right)) and any(table.compatible(n, right) for n in table.near_names(left))
    assert table.near(left, right) == by_definition


_SOME_NAMES = [*sorted(default_nicknames().groups_by_name)[::23], "rilk", "bobb", "jhon", "zzz", "marry"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_SOME_NAMES), st.sampled_from(_SOME_NAMES))
def test_near_set_holds_exactly_the_names_near_says_yes_to(left: str, right: str) -> None:
    table = default_nicknames()
    expected = table.near(left, right)
    assert expected == (bool(table.groups(right)) and right in table.near_set(left))


def test_what_a_batch_memoises_about_its_names_goes_with_it() -> None:
    """The bundled table lives as long as the process (a scheduler's): a batch's name memos must not stay on it."""
    from core.identity import IdentitySettings, resolve
    from tests.core.identity.helpers import person

    bundled = default_nicknames()
    before = (set(bundled._near_sets), set(bundled._near))  # other tests may use the bundled table itself
    people = [
        person(str(i), first_name=name, last_name="Okafor", postcode="LS1 4AP", street="4 Main Street")
        for i, name in enumerate(["Jonh", "Mary", "Bobb", "Elizabth", "Wiliam"])
    ]  # one household: every pair compared, and names no nickname of each other looked up one typo away
    resolution = resolve(people, IdentitySettings())
    assert len(resolution.clusters) == 5
    assert (set(bundled._near_sets), set(bundled._near)) == before
    fresh = bundled.fresh()
    assert fresh.near_set("elizabth") and "elizabth" in fresh._near_sets and "elizabth" not in bundled._near_sets
    assert fresh.compatible("bob", "robert") and fresh.groups("bob") == bundled.groups("bob")
