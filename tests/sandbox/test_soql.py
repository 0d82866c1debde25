from __future__ import annotations

import pytest

from sandbox.salesforce.org import Org
from sandbox.salesforce.query import plan_query, run_plan
from sandbox.salesforce.soql import Comparison, SoqlError, parse


def test_string_escapes_for_quote_and_backslash() -> None:
    query = parse(r"SELECT Id FROM Contact WHERE LastName = 'O\'Brien \\ Co'")
    assert isinstance(query.where, Comparison)
    assert query.where.literal.value == "O'Brien \\ Co"


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("SELECT Id FRM Contact", 11),
        ("SELECT Id FROM Contact WHERE LastName = 'open", 41),
        ("SELECT Id FROM Contact WHERE LastName = 'bad \\q'", 46),
        ("SELECT Id, FROM Contact", 12),
    ],
)
def test_malformed_queries_point_at_the_error(text: str, column: int) -> None:
    with pytest.raises(SoqlError) as info:
        parse(text)
    assert info.value.code == "MALFORMED_QUERY"
    assert f"ERROR at Row:1:Column:{column}" in info.value.message


def test_unknown_field_is_invalid_field_with_salesforce_wording() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id, Nope__c FROM Contact")
    assert info.value.code == "INVALID_FIELD"
    assert "No such column 'Nope__c' on entity 'Contact'" in info.value.message


def test_unknown_object_is_invalid_type() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id FROM Contactz")
    assert info.value.code == "INVALID_TYPE"


def test_quoted_datetime_is_refused() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id FROM Contact WHERE SystemModstamp > '2024-01-01T00:00:00Z'")
    assert "must be of type dateTime and should not be enclosed in quotes" in info.value.message


def test_where_and_or_in_order_limit() -> None:
    org = Org()
    for last, first in [("Zed", "A"), ("o'brien", "B"), ("Back\\slash", "C"), ("Amy", None)]:
        org.insert("Contact", {"LastName": last, "FirstName": first})
    text = (
        "SELECT Id, LastName FROM Contact WHERE (LastName = 'O\\'Brien' OR LastName = 'back\\\\slash' "
        "OR FirstName IN ('A')) AND LastName != null ORDER BY LastName DESC LIMIT 2"
    )
    plan = plan_query(org, text)
    rows = run_plan(org, plan, include_deleted=False)
    assert [r["LastName"] for r in rows] == ["Zed", "o'brien"]
