"""Scoped reading: a system the person approved reads only its scopes, until revoked (401 at once)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.core.api.conftest import PERSON, sign_in

REDIRECT = "http://127.0.0.1:9999/callback"


def register(store, scopes=("identity", "contact", "preferences")):
    return store.oauth.add_client(system="website", name="Example Shop", redirect_uris=[REDIRECT], scopes=list(scopes))


def shown(client, params):
    """The approval form's fields for the request, as the page shows them (the request sealed in one field)."""
    page = client.get(f"/oauth/authorize?{urlencode(params)}")
    assert page.status_code == 200 and "Example Shop" in page.text
    return {"oauth_request": re.search(r'name="oauth_request" value="([^"]+)"', page.text).group(1)}


def approve(client, csrf, client_id, scope, **extra):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        **extra,
    }
    response = client.post(
        "/oauth/authorize",
        data={**shown(client, params), "csrf_token": csrf, "decision": "approve"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(client, client_id, secret, code, **extra):
    return client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra},
        auth=(client_id, secret),
    )


def test_a_token_reads_only_its_scopes_and_fails_at_once_after_revocation(client, app_store, settings):
    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    code = approve(client, csrf, client_id, "identity contact")
    token = exchange(client, client_id, secret, code).json()
    assert token["token_type"].lower() == "bearer" and "refresh_token" not in token
    assert app_store.ledger.state_in_force(PERSON).permits("website", "contact", "personalisation").allowed
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["profile"] == {"email": "ada@example.com", "first_name": "Ada"}  # no city: address not granted
    assert "consents" not in body and "preferences" not in body and body["profile_id"] == PERSON
    assert exchange(client, client_id, secret, code).status_code == 400  # a code works once
    client.post("/ledger/revoke", data={"csrf_token": csrf, "system": "website"})
    after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert after.status_code == 401 and "invalid_token" in after.headers["www-authenticate"]


def test_revoking_through_any_statement_stops_the_token(client, app_store, settings):
    from core.ledger.service import record_statements

    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    token = exchange(client, client_id, secret, approve(client, csrf, client_id, "contact")).json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    record_statements(
        app_store,
        {"person": PERSON, "type": "revoke", "source": {"kind": "customer"}, "system": "website", "parts": ["contact"]},
    )
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_token_expires(client, app_store, settings, fixed_clock):
    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    token = exchange(client, client_id, secret, approve(client, csrf, client_id, "contact")).json()["access_token"]
    fixed_clock.advance(hours=2)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_unknown_tokens_wrong_secrets_unregistered_scopes_and_denials(client, app_store, settings):
    client_id, secret = register(app_store, scopes=("contact",))
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer made-up"}).status_code == 401
    csrf = sign_in(client, app_store, settings)
    code = approve(client, csrf, client_id, "contact address")  # address is not the client's to ask
    assert exchange(client, client_id, "wrong", code).status_code == 401
    token = exchange(client, client_id, secret, approve(client, csrf, client_id, "contact address")).json()
    assert token["scope"] == "contact"
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "contact",
        "state": "s",
    }
    form = shown(client, params)
    denied = client.post(
        "/oauth/authorize", data={**form, "csrf_token": csrf, "decision": "deny"}, follow_redirects=False
    )
    assert parse_qs(urlsplit(denied.headers["location"]).query)["error"] == ["access_denied"]
    no_csrf = client.post("/oauth/authorize", data={**form, "decision": "approve"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    evil = client.get(f"/oauth/authorize?{urlencode({**params, 'redirect_uri': 'http://127.0.0.1:1/evil'})}")
    assert evil.status_code == 400


def test_pkce_is_checked_when_the_system_starts_with_it(client, app_store, settings):
    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = approve(client, csrf, client_id, "contact", code_challenge=challenge, code_challenge_method="S256")
    assert exchange(client, client_id, secret, code, code_verifier="wrong" * 10).status_code == 400
    code = approve(client, csrf, client_id, "contact", code_challenge=challenge, code_challenge_method="S256")
    assert exchange(client, client_id, secret, code, code_verifier=verifier).status_code == 200


def test_asking_without_being_signed_in_says_to_sign_in_first(client, app_store):
    client_id, _ = register(app_store)
    page = client.get(f"/oauth/authorize?response_type=code&client_id={client_id}&scope=contact")
    assert page.status_code == 401 and "sign-in link" in page.text
