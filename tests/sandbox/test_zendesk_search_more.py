"""Search's count and export in the Zendesk sandbox, through zenpy and plain HTTP.

Each answer is compared with the same query read through ``search.json`` and with the
sandbox's own records; every exchange is checked against the Zendesk contract. The
account holds more than 1,000 tickets, so the export's lack of search's 1,000-result cap shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from zenpy import Zenpy

from sandbox.common import RunningSandbox, running_sandbox
from sandbox.zendesk.resources import SEARCH_LIMIT
from tests.contracts.validator import Exchange, validate_all
from tests.support.zendesk import seeing_session, token_session, zenpy_client

pytestmark = pytest.mark.live

API = "/api/v2"


@pytest.fixture(scope="module")
def zd() -> Iterator[RunningSandbox]:
    with running_sandbox("zendesk", records=1100, seed=5) as running:
        yield running


@pytest.fixture
def seen(zd: RunningSandbox) -> Iterator[list[Exchange]]:
    """The test's exchanges with the sandbox (raw or through zenpy); they must all follow the contract."""
    zd.control.reset()
    # paging 1,100 users by 7 takes more than search export's 100 requests a minute (and the account's 700)
    zd.control.set_limits(account=100_000, search_export=10_000)
    exchanges: list[Exchange] = []
    yield exchanges
    problems = validate_all("zendesk", exchanges)
    assert exchanges and not problems, "\n".join(problems[:10])


@pytest.fixture
def http(zd: RunningSandbox, seen: list[Exchange]) -> requests.Session:
    return token_session(zd, seen)


@pytest.fixture
def zenpy(zd: RunningSandbox, seen: list[Exchange]) -> Zenpy:
    return zenpy_client(zd, seen)


def _get(zd, http, path, **params):
    return http.get(f"{zd.base_url}{API}/{path}", params=params)


def _unchecked(zd: RunningSandbox, path: str, **params: str) -> requests.Response:
    """A request the contract itself refuses (no ``query``), so outside the checked exchanges."""
    session = zd.requests_session()
    session.auth = (f"{zd.credentials['email']}/token", zd.credentials["api_token"])
    return session.get(f"{zd.base_url}{API}/{path}", params=params)


def _searched(zd, http, query) -> list[tuple[str, int]]:
    """(result type, ID) of every result ``search.json`` gives for ``query`` (within its 1,000 cap)."""
    out, url, params = [], f"{zd.base_url}{API}/search.json", {"query": query, "per_page": 100}
    while url:
        page = http.get(url, params=params).json()
        out += [(r["result_type"], r["id"]) for r in page["results"]]
        url, params = page["next_page"], None
    return out


def _exported(zd, http, query, kind, size) -> tuple[list[dict], int]:
    """Every result of the export, following ``links.next``; and how many pages it took."""
    page = _get(zd, http, "search/export.json", query=query, **{"filter[type]": kind, "page[size]": size}).json()
    results, pages = list(page["results"]), 1
    while page["meta"]["has_more"]:
        assert page["links"]["prev"] is None and page["meta"]["before_cursor"] is None
        assert f"filter%5Btype%5D={kind}" in page["links"]["next"] and "query=" in page["links"]["next"]
        page = http.get(page["links"]["next"]).json()
        results += page["results"]
        pages += 1
    assert page["links"]["next"] is None
    return results, pages


def _live_tickets(zd: RunningSandbox, status: str | None = None) -> set[int]:
    tickets = zd.control.account.tickets.values()
    return {t["id"] for t in tickets if t["status"] != "deleted" and (status is None or t["status"] == status)}


def test_count_is_every_match_of_the_query_as_search_reads_it(zd, http):
    open_tickets = _get(zd, http, "search/count.json", query="type:ticket status:open").json()
    assert open_tickets == {"count": len(_live_tickets(zd, "open"))}
    assert open_tickets["count"] == len(_searched(zd, http, "type:ticket status:open"))
    maya = _get(zd, http, "search/count.json", query="maya").json()["count"]
    assert maya == len(_searched(zd, http, "maya")) > 0  # a bare word: users and tickets alike
    every = _get(zd, http, "search/count.json", query="type:ticket").json()["count"]
    assert every == len(_live_tickets(zd)) > SEARCH_LIMIT  # no cap on the count
    assert _unchecked(zd, "search/count.json").status_code == 400  # no query


def test_zenpy_counts_and_exports_what_search_finds(zd, zenpy):
    assert zenpy.search.count(type="ticket", status="pending") == len(_live_tickets(zd, "pending"))
    exported = list(zenpy.search_export(type="ticket", status="pending", cursor_pagination=7))
    ids = [t.id for t in exported]
    assert len(ids) == len(set(ids)) and set(ids) == _live_tickets(zd, "pending") and len(ids) > 7
    assert {t.id for t in zenpy.search(type="ticket", status="pending")} == set(ids)
    late = zenpy.search_export("late delivery", type="ticket")
    assert [t.subject for t in late] == ["Third late delivery this quarter - unacceptable"]
    assert zd.control.requests.count("GET /api/v2/search/export.json") == -(-len(ids) // 7) + 1


def test_small_pages_give_every_match_once_newest_first(zd, http):
    users, pages = _exported(zd, http, "email:m*", "user", 7)
    ids = [u["id"] for u in users]
    searched = _searched(zd, http, "type:user email:m*")
    assert len(ids) == len(set(ids)) == len(searched) > 7 and {("user", i) for i in ids} == set(searched)
    assert {u["result_type"] for u in users} == {"user"} and pages == -(-len(ids) // 7)
    end_users, _ = _exported(zd, http, "role:end-user", "user", 50)  # more than search.json's 1,000
    live = {u["id"] for u in zd.control.account.live_users() if u["role"] == "end-user"}
    assert len(end_users) == len(live) > SEARCH_LIMIT and {u["id"] for u in end_users} == live
    order = [(u["created_at"], -u["id"]) for u in users]
    assert order == sorted(order, reverse=True)  # created_at descending, ties by ID ascending
    orgs, _ = _exported(zd, http, "type:organization", "organization", 9)  # a type: agreeing with filter[type]
    live_orgs = {o["id"] for o in zd.control.account.organizations.values() if not o.get("deleted_at")}
    assert sorted(o["id"] for o in orgs) == sorted(live_orgs)


def test_export_has_no_1000_result_cap(zd, http):
    tickets, pages = _exported(zd, http, "type:ticket", "ticket", 1000)
    ids = [t["id"] for t in tickets]
    assert len(ids) == len(set(ids)) and set(ids) == _live_tickets(zd) and len(ids) > SEARCH_LIMIT and pages == 2
    capped = _get(zd, http, "search.json", query="type:ticket", page=11, per_page=100)
    assert capped.status_code == 422  # what search.json answers past the same 1,000
    first = _get(zd, http, "search/export.json", query="type:ticket", **{"filter[type]": "ticket", "page[size]": 5000})
    assert len(first.json()["results"]) == 1000  # page[size] is cut to 1,000
    default = _get(zd, http, "search/export.json", query="type:ticket", **{"filter[type]": "ticket"}).json()
    assert len(default["results"]) == 100 and "page%5Bsize%5D=100" in default["links"]["next"]


def test_export_refusals(zd, http):
    missing = _get(zd, http, "search/export.json", query="status:open")
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid",
                              "description": "filter[type] is required; give one of ticket, organization, user, group"}  # fmt: skip
    assert _get(zd, http, "search/export.json", query="x", **{"filter[type]": "brand"}).status_code == 400
    conflict = _get(zd, http, "search/export.json", query="type:user maya", **{"filter[type]": "ticket"})
    assert conflict.status_code == 400 and "filter[type]" in conflict.json()["description"]
    assert _unchecked(zd, "search/export.json", **{"filter[type]": "ticket"}).status_code == 400  # no query
    first = _get(zd, http, "search/export.json", query="status:open", **{"filter[type]": "ticket", "page[size]": 2})
    cursor = first.json()["meta"]["after_cursor"]
    other = _get(zd, http, "search/export.json", query="status:solved",
                 **{"filter[type]": "ticket", "page[after]": cursor})  # fmt: skip
    assert other.status_code == 400 and other.json()["error"] == "InvalidPaginationParameter"
    back = _get(
        zd, http, "search/export.json", query="status:open", **{"filter[type]": "ticket", "page[before]": cursor}
    )
    assert back.status_code == 400
    groups = _get(zd, http, "search/export.json", query="support", **{"filter[type]": "group"}).json()
    assert groups["results"] == [] and groups["meta"] == {
        "has_more": False,
        "after_cursor": None,
        "before_cursor": None,
    }


def test_export_has_its_own_limit_inside_the_accounts_and_needs_credentials(zd, http, seen):
    zd.control.set_limits(search_export=2)
    try:
        answers = [_get(zd, http, "search/export.json", query="maya", **{"filter[type]": "user"}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429] and answers[2].headers["Retry-After"]
        remaining = [int(a.headers["X-Rate-Limit-Remaining"]) for a in answers]
        assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 3  # each counts for the account
        assert _get(zd, http, "search/count.json", query="maya").status_code == 200  # count is not export-limited
    finally:
        zd.control.set_limits(search_export=10_000)
    anonymous = seeing_session(zd, seen).get(f"{zd.base_url}{API}/search/export.json", params={"query": "maya"})
    assert anonymous.status_code == 401
    assert zd.control.requests.count("GET /api/v2/search/export.json") == 4
