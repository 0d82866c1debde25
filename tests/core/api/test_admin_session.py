"""The admin session: an expiring cookie, Secure over https, a sign-out; forms post only to this site."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from core.api import create_app
from core.api.admin import ADMIN_COOKIE

TOKEN = "admin-token-for-session-tests"


def _admin(app_store, settings, base="http://127.0.0.1"):
    return TestClient(create_app(app_store, settings, admin_token=TOKEN), base_url=base)


def test_the_admin_cookie_expires_and_is_not_a_fixed_value(app_store, settings, fixed_clock):
    with _admin(app_store, settings) as client:
        first = client.get(f"/admin/sign-in?token={TOKEN}", follow_redirects=False).headers["set-cookie"]
        assert "Max-Age=43200" in first and "HttpOnly" in first and "Secure" not in first
        second = client.get(f"/admin/sign-in?token={TOKEN}", follow_redirects=False).headers["set-cookie"]
        assert first.split(";")[0] != second.split(";")[0]
        assert client.get("/admin/review").status_code == 200
        fixed_clock.advance(hours=13)
        assert client.get("/admin/review").status_code == 401  # the server checks the expiry too


def test_the_admin_cookie_is_secure_over_https(app_store, settings):
    with _admin(app_store, settings, base="https://127.0.0.1") as client:
        cookie = client.get(f"/admin/sign-in?token={TOKEN}", follow_redirects=False).headers["set-cookie"]
        assert "Secure" in cookie


def test_signing_out_clears_the_cookie_and_ends_the_session(app_store, settings):
    with _admin(app_store, settings) as client:
        client.get(f"/admin/sign-in?token={TOKEN}", follow_redirects=False)
        kept = client.cookies.get(ADMIN_COOKIE)
        page = client.get("/admin/review").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post("/admin/sign-out", data={"csrf_token": "wrong"}).status_code == 403
        out = client.post("/admin/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
        assert out.status_code == 303 and f'{ADMIN_COOKIE}=""' in out.headers["set-cookie"]
        assert client.get("/admin/review").status_code == 401
        client.cookies.set(ADMIN_COOKIE, kept, path="/admin")  # a copy of the old cookie opens nothing
        assert client.get("/admin/review").status_code == 401


def test_forms_may_post_only_to_this_site(client):
    policy = client.get("/ledger/").headers["content-security-policy"]
    assert "form-action 'self';" in policy and "http:" not in policy
