from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.mapping import parse_path

RECORD = {
    "Email": "bob@example.com",
    "Account": {"Name": "Acme", "Owner": {"Name": "Ann"}},
    "emails": [{"value": "a@example.com"}, {"value": "b@example.com"}, {"other": 1}],
    "identities": [{"values": [1, 2]}, {"values": [3]}, {}],
    "e.mail": "dotted@example.com",
    "First Name": "Robert",
    'say "hi"': "quoted",
    "n": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Email", "bob@example.com"),
        ("Account.Name", "Acme"),
        ("Account.Owner.Name", "Ann"),
        ("emails[0].value", "a@example.com"),
        ("emails[-1].other", 1),
        ("emails[1]", {"value": "b@example.com"}),
        ("emails[*].value", ["a@example.com", "b@example.com"]),
        ("identities[*].values[*]", [1, 2, 3]),
        ('"e.mail"', "dotted@example.com"),
        ("First Name", "Robert"),
        ('"say \\"hi\\""', "quoted"),
    ],
)
def test_paths_find_values(path, expected):
    assert parse_path(path).get(RECORD) == expected


@pytest.mark.parametrize(
    "path",
    ["Missing", "Account.Missing", "Email.value", "emails[9].value", "Account[0]", "n.x", "emails.value"],
)
def test_missing_or_mismatched_steps_give_none(path):
    assert parse_path(path).get(RECORD) is None


def test_wildcard_over_missing_list_gives_empty_list():
    path = parse_path("nothing[*].value")
    assert path.multi
    assert path.get(RECORD) == []
    assert parse_path("Email[*]").get(RECORD) == []


@pytest.mark.parametrize("bad", ["", "  ", "a..b", "a.", "a[x]", "a[", '"open', "a]b", ".a"])
def test_malformed_paths_are_refused(bad):
    with pytest.raises(ValueError, match="path|empty"):
        parse_path(bad)


@given(st.dictionaries(st.text(alphabet="abcdefghij _", min_size=1, max_size=8), st.integers(), max_size=5))
def test_any_plain_key_reads_back(record):
    for key, value in record.items():
        if key.strip() != key or not key.strip():
            continue
        assert parse_path(key).get(record) == value
