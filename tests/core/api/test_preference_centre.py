"""The preference centre in-process on both backends: sign-in links, CSRF, preferences, grants, downloads."""

from __future__ import annotations

from core.ledger import LedgerChannel, PermissionCode, SourceKind
from core.ledger.documents import read_document
from core.ledger.service import record_statements
from tests.core.api.conftest import PERSON, link_token, sign_in


def test_a_link_signs_in_once_and_shows_what_each_system_holds(client, app_store, settings):
    token = link_token(app_store, settings)
    assert "Continue" in client.get(f"/ledger/sign-in?token={token}").text
    assert client.get("/ledger/").status_code == 401  # looking at the link signs nobody in
    assert client.post("/ledger/sign-in", data={"token": token}, follow_redirects=False).status_code == 303
    page = client.get("/ledger/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "Leeds" in page.text and "hubspot" in page.text and "contacts/901" in page.text
    client.cookies.clear()
    again = client.post("/ledger/sign-in", data={"token": token}, follow_redirects=False)
    assert again.status_code == 403 and "already been used" in again.text


def test_an_expired_and_a_forged_link_are_refused(client, app_store, settings, fixed_clock):
    token = link_token(app_store, settings)
    fixed_clock.advance(minutes=settings.link_minutes + 1)
    assert "expired" in client.get(f"/ledger/sign-in?token={token}").text
    assert client.post("/ledger/sign-in", data={"token": token}).status_code == 403
    payload, _, signature = link_token(app_store, settings).partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    response = client.get(f"/ledger/sign-in?token={forged}")
    assert response.status_code == 403
    assert client.post("/ledger/sign-in", data={"token": "nothing.here"}).status_code == 403


def test_a_form_without_the_csrf_token_changes_nothing(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    for data in ({"weekly_cap": "2"}, {"weekly_cap": "2", "csrf_token": "not-the-token"}):
        response = client.post("/ledger/preferences", data=data, follow_redirects=False)
        assert response.status_code == 403 and "CSRF" in response.text
    assert client.post("/ledger/revoke", data={"system": "hubspot"}).status_code == 403
    assert app_store.ledger.history(PERSON) == []
    assert (
        client.post(
            "/ledger/preferences", data={"weekly_cap": "2", "csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )


def test_preferences_become_signed_statements_of_the_preference_centre(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    form = {
        "csrf_token": csrf,
        "preferred_channel": "sms",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "timezone": "Europe/London",
        "weekly_cap": "3",
        "never_call": "on",
    }
    page = client.post("/ledger/preferences", data=form)
    assert "Saved: preferences" in page.text
    history = app_store.ledger.history(PERSON)
    assert {e.statement.body["name"] for e in history} == {
        "preferred_channel",
        "quiet_hours",
        "weekly_cap",
        "never_call",
    }
    assert all(e.statement.source is SourceKind.PREFERENCE_CENTRE and e.statement.signed for e in history)
    prefs = app_store.ledger.state_in_force(PERSON).preferences
    assert (prefs.preferred_channel, str(prefs.quiet_hours), prefs.weekly_cap, prefs.never_call) == (
        LedgerChannel.SMS,
        "21:00-08:00 Europe/London",
        3,
        True,
    )
    client.post("/ledger/preferences", data=form)  # the same again: nothing changed, nothing recorded
    assert len(app_store.ledger.history(PERSON)) == 4
    assert app_store.ledger.verify(settings.keyring()).ok


def test_consents_interests_grants_and_revocation(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    client.post("/ledger/consents", data={"csrf_token": csrf, "consent__email__marketing": "withdrawn"})
    client.post("/ledger/interests", data={"csrf_token": csrf, "topic": "Cycling", "stance": "interested"})
    client.post(
        "/ledger/grants",
        data={"csrf_token": csrf, "system": "hubspot", "parts": ["contact", "identity"], "purposes": ["service"]},
    )
    state = app_store.ledger.state_in_force(PERSON)
    assert state.consent("email", "marketing") == "withdrawn"
    assert state.preferences.interests == ("cycling",)
    assert state.permits("hubspot", "contact", "service").allowed
    page = client.get("/ledger/")
    assert 'id="revoke-hubspot"' in page.text
    client.post("/ledger/revoke", data={"csrf_token": csrf, "system": "hubspot"})
    permission = app_store.ledger.state_in_force(PERSON).permits("hubspot", "contact", "service")
    assert permission.code is PermissionCode.GRANT_REVOKED
    bad = client.post(
        "/ledger/grants", data={"csrf_token": csrf, "system": "hubspot", "parts": ["kidneys"], "purposes": ["service"]}
    )
    assert bad.status_code == 400 and "kidneys" in bad.text


def test_the_download_is_the_signed_ledger(client, app_store, settings):
    record_statements(
        app_store,
        {
            "person": PERSON,
            "type": "consent",
            "source": {"kind": "customer"},
            "channel": "sms",
            "purpose": "service",
            "status": "given",
        },
    )
    csrf = sign_in(client, app_store, settings)
    response = client.get("/ledger/export")
    assert response.headers["content-disposition"].startswith("attachment;")
    read = read_document(response.json(), trusted=settings.keyring().public, now=app_store.database.now())
    assert [s.body["channel"] for s in read.statements] == ["sms"]
    client.post("/ledger/sign-out", data={"csrf_token": csrf})
    assert client.get("/ledger/export").status_code == 401


def test_the_openapi_document_describes_the_app(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    for path in ("/ledger/sign-in", "/ledger/preferences", "/oauth/authorize", "/oauth/token", "/api/v1/me"):
        assert path in document["paths"], path
