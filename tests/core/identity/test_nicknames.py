from __future__ import annotations

import pytest

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
