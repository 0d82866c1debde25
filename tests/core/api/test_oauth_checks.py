"""OAuth hardening: PKCE is S256 only and bound when the request is shown; a reused code revokes its tokens."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.core.api.conftest import sign_in
from tests.core.api.test_oauth import REDIRECT, approve, exchange, register


def _params(client_id, **extra):
    return {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "contact",
            "state": "xyz", **extra}  # fmt: skip


@pytest.mark.parametrize("method", [None, "plain", "s256"])
def test_a_challenge_method_other_than_s256_is_refused(client, app_store, settings, method):
    client_id, _ = register(app_store)
    sign_in(client, app_store, settings)
    extra = {"code_challenge": "a" * 43} | ({"code_challenge_method": method} if method else {})
    page = client.get(f"/oauth/authorize?{urlencode(_params(client_id, **extra))}")
    assert page.status_code == 400 and "invalid_request" in page.text and "S256" in page.text


def test_the_challenge_is_bound_when_the_request_is_shown_not_taken_from_the_form(client, app_store, settings):
    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    params = _params(client_id, code_challenge=challenge, code_challenge_method="S256")
    page = client.get(f"/oauth/authorize?{urlencode(params)}")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    assert "code_challenge" not in hidden  # nothing of the request travels as plain form fields
    emptied = {**hidden, "code_challenge": "", "code_challenge_method": "", "decision": "approve"}
    response = client.post("/oauth/authorize", data=emptied, follow_redirects=False)
    assert response.status_code == 302
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    assert exchange(client, client_id, secret, code).status_code == 400  # the verifier is still required
    response = client.post("/oauth/authorize", data={**hidden, "decision": "approve"}, follow_redirects=False)
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    assert exchange(client, client_id, secret, code, code_verifier=verifier).status_code == 200
    tampered = {**hidden, "oauth_request": hidden["oauth_request"][:-4] + "AAAA", "decision": "approve"}
    assert client.post("/oauth/authorize", data=tampered, follow_redirects=False).status_code == 400
    assert csrf


def test_a_reused_code_revokes_the_token_it_gave(client, app_store, settings):
    client_id, secret = register(app_store)
    csrf = sign_in(client, app_store, settings)
    code = approve(client, csrf, client_id, "contact")
    token = exchange(client, client_id, secret, code).json()["access_token"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = exchange(client, client_id, secret, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
