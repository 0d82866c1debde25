"""Zendesk's Python client, zenpy, against the sandbox: unchanged, only the address differs.

zenpy builds every URL as ``https://{subdomain}.{domain}/api/v2/...``; the sandbox's
credentials give ``zenpy_subdomain`` ``127`` and ``zenpy_domain`` ``0.0.1:PORT``, which
make ``https://127.0.0.1:PORT``. The CA goes in through a requests session with
``trust_env`` off (so ``REQUESTS_CA_BUNDLE`` cannot override it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Organization, SatisfactionRating, Ticket, TicketAudit, User, UserField
from zenpy.lib.exception import APIException, RecordNotFoundException

from sandbox.common import FaultSpec, RunningSandbox, running_sandbox

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def zd() -> Iterator[RunningSandbox]:
    with running_sandbox("zendesk", records=120, seed=5) as running:
        running.control.set_limits(exports=10_000)
        yield running


def client(sb: RunningSandbox, **auth: str) -> Zenpy:
    creds = sb.credentials
    login = auth or {"email": creds["email"], "token": creds["api_token"]}
    return Zenpy(subdomain=creds["zenpy_subdomain"], domain=creds["zenpy_domain"], session=sb.requests_session(),
                 disable_cache=True, **login)  # fmt: skip


@pytest.fixture
def zenpy(zd: RunningSandbox) -> Zenpy:
    zd.control.reset()
    zd.control.set_limits(exports=10_000)
    return client(zd)


def _live_ids(sb: RunningSandbox) -> set[int]:
    return {u["id"] for u in sb.control.account.users.values() if u["active"]}


def test_users_list_by_cursor_and_by_offset_pages_give_every_live_user(zd, zenpy):
    by_cursor = [u.id for u in zenpy.users()]  # page[size]=100 and links.next
    by_offset = [u.id for u in zenpy.users(cursor_pagination=False)]  # page/per_page and next_page
    assert set(by_cursor) == set(by_offset) == _live_ids(zd) and len(by_cursor) > 100
    assert zd.control.requests.count("GET /api/v2/users.json") == 4


def test_show_show_many_and_me(zenpy):
    maya = zenpy.users(id=360900000001)
    assert (maya.name, maya.email, maya.organization_id) == (
        "MAYA LINDQVIST", "maya.lindqvist@northwind-analytics.example.com", 360800000001)  # fmt: skip
    assert [u.id for u in zenpy.users(ids=[360900000002, 360900000004])] == [360900000002, 360900000004]
    me = zenpy.users.me()
    assert me.role == "admin" and me.email == "admin@contactpoint-sandbox.example.com"


def test_search_by_users_search_and_by_the_search_api(zd, zenpy):
    assert [u.id for u in zenpy.users.search(query="email:tomas.okafor@harbourline.example.com")] == [360900000002]
    found = zenpy.search(type="user", email="support@brightwater-labs.example.com")
    assert [u.id for u in found] == [360900000003]
    tickets = zenpy.search("late delivery", type="ticket")
    assert [t.subject for t in tickets] == ["Third late delivery this quarter - unacceptable"]
    orgs = zenpy.search(type="organization", name="Copperleaf Retail")
    assert [o.id for o in orgs] == [360800000004]
    external = next(u for u in zd.control.account.users.values() if u.get("external_id") and u["active"])
    assert [u.id for u in zenpy.users.search(external_id=external["external_id"])] == [external["id"]]


def test_create_update_delete_one_user_and_refusals(zd, zenpy):
    created = zenpy.users.create(
        User(name="Rosa Silva", email="rosa.silva@zenpy.example.org", phone="+351 21 555 0101")
    )
    assert created.id and created.active
    with pytest.raises(APIException) as taken:
        zenpy.users.create(User(name="Rosa Again", email="ROSA.SILVA@zenpy.example.org"))
    assert taken.value.response.status_code == 422 and "already being used" in str(taken.value)
    created.notes = "prefers email"
    assert zenpy.users.update(created).notes == "prefers email"
    zenpy.users.delete(created)
    assert created.id in {u.id for u in zenpy.users.deleted()}
    assert zenpy.users(id=created.id).active is False
    with pytest.raises(RecordNotFoundException):
        zenpy.users(id=999)


def test_create_or_update_many_and_update_many_are_jobs_with_per_record_results(zd, zenpy):
    existing = zenpy.users(id=360900000004)
    job = zenpy.users.create_or_update([
        User(name="Yara Kim", email="yara.kim@zenpy.example.org"),
        User(email=existing.email.upper(), notes="from zenpy"),
        User(email="no.name@zenpy.example.org"),
    ])  # fmt: skip
    assert job.status == "queued"
    done = zenpy.job_status(id=job.id)
    assert done.status == "completed" and done.total == 3
    results = sorted(done.results, key=lambda r: r.index)
    assert [(r.status, r.action) for r in results[:2]] == [("Created", "create"), ("Updated", "update")]
    assert results[1].id == 360900000004 and results[2].status == "Failed" and "Name" in results[2].details
    users = [zenpy.users(id=i) for i in sorted(_live_ids(zd))[5:8]]
    zd.control.fail_records([users[1].id])
    for user in users:
        user.notes = "bulk"
    job = zenpy.users.update(users)
    outcome = {r.id: r.status for r in zenpy.job_status(id=job.id).results}
    assert outcome == {users[0].id: "Updated", users[1].id: "Failed", users[2].id: "Updated"}
    assert zenpy.users(id=users[0].id).notes == "bulk"


def test_tickets_create_list_show_and_requested(zenpy):
    audit = zenpy.tickets.create(Ticket(subject="Printer on fire", description="It is.", requester_id=360900000002,
                                        priority="high", type="incident"))  # fmt: skip
    ticket = zenpy.tickets(id=audit.ticket.id)
    assert (ticket.subject, ticket.priority, ticket.status, ticket.requester_id) == (
        "Printer on fire", "high", "new", 360900000002)  # fmt: skip
    assert audit.ticket.id in [t.id for t in zenpy.users.requested(360900000002)]
    assert len([t.id for t in zenpy.tickets()]) > 100
    with pytest.raises(APIException) as bad:
        zenpy.tickets.create(Ticket(subject="x", description="y", priority="whenever"))
    assert bad.value.response.status_code == 422


def test_organizations_list_show_create_and_user_fields(zenpy):
    names = {o.name for o in zenpy.organizations()}
    assert {"Northwind Analytics", "Brightwater Labs"} <= names
    assert zenpy.organizations(id=360800000003).domain_names == ["brightwater-labs.example.com"]
    made = zenpy.organizations.create(Organization(name="Zenpy Widgets", domain_names=["zenpy-widgets.example.com"]))
    assert zenpy.organizations(id=made.id).name == "Zenpy Widgets"
    field = zenpy.user_fields.create(UserField(key="zenpy_tier", type="text", title="Tier"))
    assert field.id and "zenpy_tier" in [f.key for f in zenpy.user_fields()]


def test_incremental_exports_through_zenpy(zd, zenpy):
    zd.control.advance_clock(61)  # what other tests changed is left out for a minute, as in Zendesk
    users = list(zenpy.users.incremental(start_time=0, per_page=50))  # cursor-based, follows after_url
    assert {u.id for u in users} == set(zd.control.account.users)
    assert zd.control.requests.count("/incremental/users/cursor.json") == 1 + len(users) // 50
    tickets = list(zenpy.tickets.incremental(start_time=0))
    assert len(tickets) == len(zd.control.account.tickets)
    orgs = list(zenpy.organizations.incremental(start_time=0))  # time-based: the only organization export
    assert {o.id for o in orgs} == set(zd.control.account.organizations)


def test_merge_moves_tickets_and_deletes_the_source(zd, zenpy):
    source = next(u for u in zd.control.account.users.values() if u["active"] and u["role"] == "end-user"
                  and any(t["requester_id"] == u["id"] for t in zd.control.account.tickets.values()))  # fmt: skip
    target = zenpy.users.create(User(name="Merged Into", email="merged.into@zenpy.example.org"))
    assert zenpy.users.merge(source["id"], target.id).id == target.id
    assert zenpy.users(id=source["id"]).active is False
    assert [t.requester_id for t in zenpy.users.requested(target.id)]


def test_oauth_token_and_refused_credentials(zd):
    assert client(zd, oauth_token=zd.credentials["oauth_token"]).users.me().role == "admin"
    with pytest.raises(APIException) as refused:
        client(zd, email=zd.credentials["email"], token="wrong").users.me()
    assert refused.value.response.status_code == 401 and "Couldn't authenticate you" in str(refused.value)


def test_429_with_retry_after_is_waited_for_by_zenpy(zd, zenpy):
    zd.control.inject(FaultSpec("rate_limited", count=1, retry_after=1))
    assert zenpy.users(id=360900000001).id == 360900000001
    assert zd.control.requests.count("GET /api/v2/users/360900000001.json") == 2


def test_a_filtered_list_pages_through_the_filtered_users_only(zd, zenpy):
    end_users = [u for u in zenpy.users(role="end-user")]  # cursor pages: links.next keeps role=end-user
    ids = [u.id for u in end_users]
    live = {u["id"] for u in zd.control.account.users.values() if u["active"] and u["role"] == "end-user"}
    assert len(ids) == len(set(ids)) and set(ids) == live and {u.role for u in end_users} == {"end-user"}


def test_a_ticket_update_returns_its_audit_and_the_comment_stays(zenpy):
    audit = zenpy.tickets.create(Ticket(subject="Lost parcel", description="Where is it?", requester_id=360900000002))
    ticket = zenpy.tickets(id=audit.ticket.id)
    ticket.status = "open"
    ticket.comment = Comment(body="It is on its way.", public=True)
    updated = zenpy.tickets.update(ticket)
    assert isinstance(updated, TicketAudit) and updated.ticket.status == "open" and updated.audit.id
    assert [c.body for c in zenpy.tickets.comments(ticket=ticket.id)] == ["Where is it?", "It is on its way."]
    assert [a.id for a in zenpy.tickets.audits(ticket=ticket.id)][-1] == updated.audit.id


def test_a_deleted_ticket_is_not_found(zenpy):
    audit = zenpy.tickets.create(Ticket(subject="Spam", description="Buy now", requester_id=360900000002))
    zenpy.tickets.delete(audit.ticket)
    with pytest.raises(RecordNotFoundException):
        zenpy.tickets(id=audit.ticket.id)
    assert audit.ticket.id in [t.id for t in zenpy.tickets.deleted()]


def test_satisfaction_ratings_and_wildcard_user_search(zd, zenpy):
    ratings = list(zenpy.satisfaction_ratings())
    assert any(r.ticket_id == 4 and r.score == "bad" for r in ratings)
    mayas = {u["id"] for u in zd.control.account.live_users() if str(u["email"] or "").lower().startswith("maya")}
    assert {u.id for u in zenpy.users.search(query="email:maya*")} == mayas and 360900000001 in mayas


def test_a_requester_rates_a_solved_ticket_through_zenpy(zd, zenpy):
    account = zd.control.account
    solved = next(t for _, t in sorted(account.tickets.items()) if t["status"] == "solved"
                  and account.users[t["requester_id"]]["role"] == "end-user"
                  and account.users[t["requester_id"]].get("verified"))  # fmt: skip
    requester = account.users[solved["requester_id"]]
    as_requester = client(zd, email=requester["email"], token=zd.credentials["api_token"])
    assert as_requester.users.me().id == requester["id"]
    rated = as_requester.satisfaction_ratings.create(solved["id"], SatisfactionRating(score="bad", comment="Slow"))
    assert (rated.score, rated.comment, rated.ticket_id) == ("bad", "Slow", solved["id"])
    assert rated.id in [r.id for r in zenpy.satisfaction_ratings(score="bad")]
    assert zenpy.tickets(id=solved["id"]).satisfaction_rating.score == "bad"
    with pytest.raises(APIException) as refused:
        zenpy.satisfaction_ratings.create(
            solved["id"], SatisfactionRating(score="good")
        )  # the admin is not the requester
    assert refused.value.response.status_code == 403


def test_a_ticket_made_for_a_new_requester_by_email_makes_the_user_and_reuses_one_that_exists(zd, zenpy):
    made = zenpy.tickets.create(Ticket(subject="Help", comment=Comment(body="It broke"),
                                       requester=User(name="Nina Inline", email="Nina.Inline@example.com")))  # fmt: skip
    requester = zenpy.users(id=made.ticket.requester_id)
    assert (requester.name, requester.email, requester.role, requester.verified) == (
        "Nina Inline", "Nina.Inline@example.com", "end-user", False)  # fmt: skip
    again = zenpy.tickets.create(Ticket(subject="Again", comment=Comment(body="Still broken"),
                                        requester=User(name="Someone Else", email="nina.inline@example.com")))  # fmt: skip
    assert again.ticket.requester_id == requester.id and zenpy.users(id=requester.id).name == "Nina Inline"
    with pytest.raises(APIException) as refused:
        zenpy.tickets.create(Ticket(subject="No one", comment=Comment(body="?"), requester=User(name="No Email")))
    assert refused.value.response.status_code == 422


def test_zenpy_adds_sets_and_removes_a_tickets_tags(zd, zenpy):
    ticket = next(t for _, t in sorted(zd.control.account.tickets.items()) if t["status"] == "open")
    assert "complaint" in list(zenpy.tickets.add_tags(ticket["id"], ["complaint"]))
    assert list(zenpy.tickets.set_tags(ticket["id"], ["a", "b"])) == ["a", "b"]
    assert list(zenpy.tickets.delete_tags(ticket["id"], ["a"])) == ["b"]
    assert list(zenpy.tickets.tags(ticket["id"])) == ["b"] == zd.control.account.tickets[ticket["id"]]["tags"]
