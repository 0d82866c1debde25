"""SOQL's HAVING, date functions and quarter/fiscal date literals.

Parser- and org-level tests use a small org with a fixed clock; the tests through
simple-salesforce compare every answer with the same figures computed in Python from
the records a plain query reads (datetimes read in UTC, the sandbox's SOQL time zone).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.salesforce.aggregates import aggregate_rows
from sandbox.salesforce.org import Org
from sandbox.salesforce.query import plan_query, run_plan
from sandbox.salesforce.soql import Comparison, SoqlError, parse
from tests.contracts.validator import Exchange

NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)  # a Wednesday in the second quarter


def _org() -> tuple[Org, dict[str, str]]:
    org = Org(clock=lambda: NOW)
    names = {}
    for name, moment in [
        ("q2", NOW - timedelta(days=2)),
        ("q1", datetime(2026, 2, 10, 23, 30, tzinfo=UTC)),
        ("q4_last_year", datetime(2025, 11, 3, 1, 0, tzinfo=UTC)),
        ("q3_last_year", datetime(2025, 8, 1, 0, 0, tzinfo=UTC)),
        ("q3", datetime(2026, 7, 4, 9, 15, tzinfo=UTC)),
        ("next_year", datetime(2027, 1, 5, 6, 0, tzinfo=UTC)),
    ]:
        record = org.insert("Contact", {"LastName": name, "CreatedDate": moment, "Birthdate": moment.date()})
        names[record["Id"]] = name
    return org, names


def _where(org: Org, where: str) -> list[dict[str, Any]]:
    return run_plan(org, plan_query(org, f"SELECT Id FROM Contact WHERE {where}"), include_deleted=False)


def _agg(org: Org, text: str) -> list[dict[str, Any]]:
    return aggregate_rows(org, plan_query(org, text), include_deleted=False)


def test_parser_reads_having_and_date_functions() -> None:
    query = parse(
        "SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) FROM Contact WHERE DAY_IN_WEEK(CreatedDate) = 2 "
        "GROUP BY CALENDAR_YEAR(CreatedDate) HAVING COUNT(Id) > 1 AND NOT CALENDAR_YEAR(CreatedDate) = 2020"
    )
    assert [(a.function, a.alias) for a in query.aggregates] == [("CALENDAR_YEAR", "y"), ("COUNT", None)]
    assert [p.key for p in query.group_by] == [("CALENDAR_YEAR", "createddate")]
    assert isinstance(query.where, Comparison) and query.where.path.function == "DAY_IN_WEEK"
    assert query.having is not None


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("CreatedDate = THIS_QUARTER", {"q2"}),
        ("CreatedDate = LAST_QUARTER", {"q1"}),
        ("CreatedDate = NEXT_QUARTER", {"q3"}),
        ("CreatedDate = LAST_N_QUARTERS:3", {"q1", "q4_last_year", "q3_last_year"}),
        ("CreatedDate = NEXT_N_QUARTERS:3", {"q3", "next_year"}),
        ("CreatedDate = N_QUARTERS_AGO:2", {"q4_last_year"}),
        ("CreatedDate < THIS_QUARTER", {"q1", "q4_last_year", "q3_last_year"}),
        ("CreatedDate = THIS_FISCAL_YEAR", {"q2", "q1", "q3"}),
        ("CreatedDate = LAST_FISCAL_YEAR", {"q4_last_year", "q3_last_year"}),
        ("CreatedDate = NEXT_FISCAL_QUARTER", {"q3"}),
        ("Birthdate = THIS_FISCAL_QUARTER", {"q2"}),
        ("CreatedDate = LAST_N_YEARS:1", {"q4_last_year", "q3_last_year"}),
        ("CALENDAR_YEAR(CreatedDate) = 2026", {"q2", "q1", "q3"}),
        ("CALENDAR_QUARTER(CreatedDate) = 3", {"q3_last_year", "q3"}),
        (
            "CALENDAR_MONTH(Birthdate) >= 8 OR DAY_IN_MONTH(CreatedDate) = 5",
            {"q4_last_year", "q3_last_year", "next_year"},
        ),
        ("HOUR_IN_DAY(CreatedDate) = 23", {"q1"}),
        ("DAY_ONLY(CreatedDate) = 2026-07-04", {"q3"}),
        ("DAY_ONLY(CreatedDate) = LAST_N_DAYS:3", {"q2"}),
        ("DAY_IN_WEEK(CreatedDate) = 2", {"q2", "q4_last_year"}),  # Mondays; 1 is Sunday
        ("DAY_IN_WEEK(CreatedDate) = 7", {"q3"}),
        ("DAY_IN_YEAR(CreatedDate) = 41 AND WEEK_IN_MONTH(CreatedDate) = 2", {"q1"}),
        ("WEEK_IN_YEAR(CreatedDate) = 1", {"next_year"}),
        ("FISCAL_YEAR(CreatedDate) = 2025 AND FISCAL_QUARTER(CreatedDate) = 4", {"q4_last_year"}),
    ],
)
def test_quarter_literals_and_date_functions_in_where(where: str, expected: set[str]) -> None:
    org, names = _org()
    assert {names[r["Id"]] for r in _where(org, where)} == expected


def test_group_by_date_function_having_and_order() -> None:
    org, _ = _org()
    text = (
        "SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) n, MAX(LastName) FROM Contact "
        "GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate) DESC"
    )
    assert _agg(org, text) == [
        {"attributes": {"type": "AggregateResult"}, "expr0": 2027, "n": 1, "expr1": "next_year"},
        {"attributes": {"type": "AggregateResult"}, "expr0": 2026, "n": 3, "expr1": "q3"},
        {"attributes": {"type": "AggregateResult"}, "expr0": 2025, "n": 2, "expr1": "q4_last_year"},
    ]
    having = text.replace(" ORDER BY", " HAVING COUNT(Id) > 1 ORDER BY")
    assert [r["expr0"] for r in _agg(org, having)] == [2026, 2025]
    grouped = text.replace(
        " ORDER BY", " HAVING CALENDAR_YEAR(CreatedDate) != 2026 AND MAX(LastName) LIKE 'Q%' ORDER BY"
    )
    assert [r["expr0"] for r in _agg(org, grouped)] == [2025]
    by_count = (
        "SELECT DAY_ONLY(CreatedDate) d FROM Contact GROUP BY DAY_ONLY(CreatedDate) ORDER BY DAY_ONLY(CreatedDate)"
    )
    assert _agg(org, by_count)[0] == {"attributes": {"type": "AggregateResult"}, "d": "2025-08-01"}


def test_having_on_grouped_field_and_sum() -> None:
    org = Org(clock=lambda: NOW)
    for name, revenue in [("North", 600.0), ("north", 500.0), ("South", 900.0), ("East", None)]:
        org.insert("Account", {"Name": name, "AnnualRevenue": revenue})
    text = "SELECT Name, SUM(AnnualRevenue) FROM Account GROUP BY Name HAVING SUM(AnnualRevenue) >= 1000"
    assert [(r["Name"], r["expr0"]) for r in _agg(org, text)] == [("North", 1100.0)]
    either = "SELECT Name FROM Account GROUP BY Name HAVING Name = 'SOUTH' OR COUNT(Id) = 2 ORDER BY Name"
    assert [r["Name"] for r in _agg(org, either)] == ["North", "South"]
    ungrouped = "SELECT COUNT(Id) FROM Account HAVING COUNT(Id) > 10"
    assert _agg(org, ungrouped) == []


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("SELECT Id FROM Contact HAVING COUNT(Id) > 1", "MALFORMED_QUERY", "HAVING can only be used in an aggregate"),
        ("SELECT CALENDAR_YEAR(CreatedDate) FROM Contact", "MALFORMED_QUERY", "can only be used in an aggregate"),
        ("SELECT Id FROM Contact ORDER BY CALENDAR_YEAR(CreatedDate)", "MALFORMED_QUERY", "aggregate query"),
        (
            "SELECT CALENDAR_MONTH(CreatedDate), COUNT(Id) FROM Contact GROUP BY CALENDAR_YEAR(CreatedDate)",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: CALENDAR_MONTH(CreatedDate)",
        ),
        (
            "SELECT LastName, COUNT(Id) FROM Contact GROUP BY LastName HAVING COUNT(Id) > 1 AND Email LIKE 'a%'",
            "MALFORMED_QUERY",
            "Field must be grouped or aggregated: Email",
        ),
        (
            "SELECT LastName, COUNT(Id) c FROM Contact GROUP BY LastName HAVING c > 1",
            "INVALID_FIELD",
            "No such column 'c'",
        ),
        (
            "SELECT AccountId FROM Contact GROUP BY AccountId HAVING AccountId IN (SELECT Id FROM Account)",
            "MALFORMED_QUERY",
            "not allowed in the HAVING clause",
        ),
        ("SELECT Id FROM Contact WHERE COUNT(Id) > 1", "MALFORMED_QUERY", "unexpected token: '('"),
        ("SELECT Id FROM Contact WHERE CALENDAR_YEAR(Email) = 2026", "INVALID_FIELD", "can not be applied"),
        ("SELECT Id FROM Contact WHERE HOUR_IN_DAY(Birthdate) = 1", "INVALID_FIELD", "can not be applied"),
        ("SELECT Id FROM Contact WHERE CALENDAR_YEAR(CreatedDate) = '2026'", "INVALID_FIELD", "must be of type int"),
        ("SELECT Id FROM Contact WHERE CreatedDate = LAST_N_QUARTERS", "MALFORMED_QUERY", "unexpected token"),
    ],
)
def test_refusals(text: str, code: str, message: str) -> None:
    with pytest.raises(SoqlError) as info:
        plan_query(Org(), text)
    assert info.value.code == code
    assert message in info.value.message


# Through simple-salesforce, against the seeded sandbox.


def _utc(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def test_having_count_matches_contacts_grouped_in_python(sf: Salesforce, seen: list[Exchange]) -> None:
    contacts = sf.query_all("SELECT Id, AccountId FROM Contact WHERE AccountId != null")["records"]
    counts = Counter(c["AccountId"] for c in contacts)
    expected = {account: n for account, n in counts.items() if n > 1}
    assert expected and len(expected) < len(counts)
    text = "SELECT AccountId, COUNT(Id) FROM Contact WHERE AccountId != null GROUP BY AccountId HAVING COUNT(Id) > 1"
    rows = sf.query_all(text)["records"]
    assert {r["AccountId"]: r["expr0"] for r in rows} == expected
    assert all(set(r) == {"attributes", "AccountId", "expr0"} for r in rows)


def test_having_sum_of_annual_revenue(sf: Salesforce) -> None:
    accounts = sf.query_all("SELECT Id, Industry, AnnualRevenue FROM Account")["records"]
    sums: dict[str, float] = defaultdict(float)
    for account in accounts:
        if account["Industry"] is not None and account["AnnualRevenue"] is not None:
            sums[account["Industry"]] += account["AnnualRevenue"]
    threshold = sorted(sums.values())[len(sums) // 2]
    text = (
        "SELECT Industry, SUM(AnnualRevenue) total FROM Account WHERE Industry != null GROUP BY Industry "
        f"HAVING SUM(AnnualRevenue) >= {threshold} ORDER BY Industry"
    )
    rows = sf.query(text)["records"]
    assert [r["Industry"] for r in rows] == sorted((k for k, v in sums.items() if v >= threshold), key=str.lower)
    assert all(r["total"] == pytest.approx(sums[r["Industry"]]) for r in rows)


def test_calendar_year_and_month_of_created_date(sf: Salesforce, seen: list[Exchange]) -> None:
    contacts = sf.query_all("SELECT Id, CreatedDate FROM Contact")["records"]
    expected = Counter((_utc(c["CreatedDate"]).year, _utc(c["CreatedDate"]).month) for c in contacts)
    text = (
        "SELECT CALENDAR_YEAR(CreatedDate), CALENDAR_MONTH(CreatedDate) m, COUNT(Id) FROM Contact "
        "GROUP BY CALENDAR_YEAR(CreatedDate), CALENDAR_MONTH(CreatedDate)"
    )
    rows = sf.query_all(text)["records"]
    assert {(r["expr0"], r["m"]): r["expr1"] for r in rows} == expected
    year, month = max(expected)
    where = (
        f"SELECT Id FROM Contact WHERE CALENDAR_YEAR(CreatedDate) = {year} AND CALENDAR_MONTH(CreatedDate) = {month}"
    )
    assert sf.query_all(where)["totalSize"] == expected[(year, month)]


def test_date_function_outside_aggregate_query_is_malformed(sf: Salesforce, seen: list[Exchange]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id, CALENDAR_YEAR(CreatedDate) FROM Contact")
    assert info.value.status == 400
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as info:
        sf.query("SELECT Id FROM Contact HAVING COUNT(Id) > 1")
    assert info.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def _quarter(moment: datetime) -> int:
    return moment.year * 4 + (moment.month - 1) // 3


def test_quarter_and_fiscal_literals_match_created_dates_in_python(sf: Salesforce, seen: list[Exchange]) -> None:
    created = sf.Contact.create({"LastName": "Quarterly"})["id"]
    contacts = sf.query_all("SELECT Id, CreatedDate FROM Contact")["records"]
    now = _utc(next(c["CreatedDate"] for c in contacts if c["Id"] == created))  # the org's clock
    wanted = {
        "THIS_QUARTER": {c["Id"] for c in contacts if _quarter(_utc(c["CreatedDate"])) == _quarter(now)},
        "LAST_N_QUARTERS:4": {
            c["Id"] for c in contacts if _quarter(now) - 4 <= _quarter(_utc(c["CreatedDate"])) < _quarter(now)
        },
        "THIS_FISCAL_YEAR": {c["Id"] for c in contacts if _utc(c["CreatedDate"]).year == now.year},
    }
    for literal, ids in wanted.items():
        rows = sf.query_all(f"SELECT Id FROM Contact WHERE CreatedDate = {literal}")["records"]
        assert {r["Id"] for r in rows} == ids, literal
    assert created in wanted["THIS_QUARTER"] and created not in wanted["LAST_N_QUARTERS:4"]
