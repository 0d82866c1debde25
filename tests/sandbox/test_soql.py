from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.salesforce.aggregates import aggregate_rows
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


NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)  # a Wednesday


def _dated_org() -> tuple[Org, dict[str, str]]:
    org = Org(clock=lambda: NOW)
    ids = {}
    for name, moment in [
        ("now", NOW - timedelta(minutes=5)),
        ("yesterday", NOW - timedelta(days=1)),
        ("ten_days", NOW - timedelta(days=10)),
        ("last_week", NOW - timedelta(days=7)),
        ("forty_days", NOW - timedelta(days=40)),
        ("tomorrow", NOW + timedelta(days=1)),
    ]:
        record = org.insert("Contact", {"LastName": name, "CreatedDate": moment, "LastModifiedDate": moment,
                                        "Birthdate": moment.date()})  # fmt: skip
        ids[record["Id"]] = name
    return org, ids


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("LastModifiedDate = LAST_N_DAYS:30", {"now", "yesterday", "ten_days", "last_week"}),
        ("CreatedDate < TODAY", {"yesterday", "ten_days", "last_week", "forty_days"}),
        ("CreatedDate = TODAY", {"now"}),
        ("CreatedDate = YESTERDAY", {"yesterday"}),
        ("CreatedDate >= YESTERDAY", {"now", "yesterday", "tomorrow"}),
        ("CreatedDate > TODAY", {"tomorrow"}),
        ("CreatedDate = NEXT_N_DAYS:2", {"tomorrow"}),
        ("CreatedDate = THIS_MONTH", {"now", "yesterday", "ten_days", "last_week", "tomorrow"}),
        ("CreatedDate = LAST_WEEK", {"last_week", "ten_days"}),
        ("Birthdate = LAST_N_DAYS:2", {"now", "yesterday"}),
        ("CreatedDate != TODAY AND CreatedDate = THIS_WEEK", {"yesterday", "tomorrow"}),
    ],
)
def test_date_literals(where: str, expected: set[str]) -> None:
    org, ids = _dated_org()
    rows = run_plan(org, plan_query(org, f"SELECT Id FROM Contact WHERE {where}"), include_deleted=False)
    assert {ids[r["Id"]] for r in rows} == expected


def test_bad_date_literal_is_malformed() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS")
    assert info.value.code == "MALFORMED_QUERY"
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id FROM Contact WHERE LastName = TODAY")
    assert info.value.code == "INVALID_FIELD"


def test_aggregates_with_group_by() -> None:
    org, _ = _dated_org()
    org.insert("Contact", {"LastName": "now", "CreatedDate": NOW - timedelta(days=3)})
    text = "SELECT LastName, COUNT(Id), MAX(CreatedDate) latest, MIN(CreatedDate) FROM Contact GROUP BY LastName"
    rows = aggregate_rows(org, plan_query(org, text), include_deleted=False)
    by_name = {r["LastName"]: r for r in rows}
    assert by_name["now"] == {
        "attributes": {"type": "AggregateResult"},
        "LastName": "now",
        "expr0": 2,
        "latest": "2026-03-18T15:25:00.000+0000",
        "expr1": "2026-03-15T15:30:00.000+0000",
    }
    total = aggregate_rows(org, plan_query(org, "SELECT COUNT(Id) FROM Contact"), include_deleted=False)
    assert total == [{"attributes": {"type": "AggregateResult"}, "expr0": 7}]


def test_aggregate_needs_grouped_fields() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Email, COUNT(Id) FROM Contact")
    assert info.value.code == "MALFORMED_QUERY"
    assert "Field must be grouped or aggregated: Email" in info.value.message


def test_semi_join_selects_by_another_objects_ids() -> None:
    org = Org()
    north = org.insert("Account", {"Name": "North"})["Id"]
    south = org.insert("Account", {"Name": "South"})["Id"]
    mine = org.insert("Contact", {"LastName": "A", "AccountId": north})["Id"]
    org.insert("Contact", {"LastName": "B", "AccountId": south})
    text = "SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account WHERE Name = 'North')"
    assert [r["Id"] for r in run_plan(org, plan_query(org, text), include_deleted=False)] == [mine]
    negated = text.replace(" IN ", " NOT IN ")
    assert mine not in [r["Id"] for r in run_plan(org, plan_query(org, negated), include_deleted=False)]


def test_offset_over_2000_is_number_outside_valid_range() -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id FROM Contact ORDER BY Id LIMIT 10 OFFSET 2001")
    assert info.value.code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert "Maximum SOQL offset allowed is 2000" in info.value.message
    plan_query(Org(), "SELECT Id FROM Contact LIMIT 10 OFFSET 2000")


def test_parent_to_child_subquery_is_planned_and_unknown_relationship_is_invalid_type() -> None:
    plan = plan_query(Org(), "SELECT Id, (SELECT Id FROM Account.Contacts LIMIT 3) FROM Account")
    assert [(c.name, c.link.name, c.plan.sobject.name) for c in plan.children] == [("Contacts", "AccountId", "Contact")]
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), "SELECT Id, (SELECT Id FROM Contactz) FROM Account")
    assert info.value.code == "INVALID_TYPE"
    assert "Didn't understand relationship 'Contactz' in FROM part of query call" in info.value.message
