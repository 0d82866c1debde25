"""Query parameters the admin pages and the API cannot use are answered 400 with what they take, never 500."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient

from core.api import create_app
from tests.core.api.conftest import sign_in
from tests.core.api.test_oauth import REDIRECT, register

TOKEN = "admin-token-for-query-tests"


@pytest.fixture
def admin(app_store, settings):
    app = create_app(app_store, settings, admin_token=TOKEN)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        assert client.get(f"/admin/sign-in?token={TOKEN}", follow_redirects=False).status_code == 303
        yield client


def test_an_unknown_since_run_is_a_400_saying_what_since_takes(admin):
    response = admin.get("/admin/report?since=unknown")
    assert response.status_code == 400
    text = html.unescape(response.text)
    assert "since='unknown' is not a run" in text and "takes a run ID" in text
    assert "Traceback" not in response.text


def test_an_empty_since_means_no_since(admin):
    assert admin.get("/admin/report?since=").status_code == 200


def test_a_reveal_that_is_not_a_boolean_is_a_400_page(admin):
    response = admin.get("/admin/report?reveal=maybe")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "reveal" in response.text and "1 or 0" in response.text


def test_a_review_id_that_is_not_a_number_is_a_400(admin):
    response = admin.post("/admin/review/abc", data={"decision": "accept", "csrf_token": "x"})
    assert response.status_code == 400
    assert "review_id" in response.text and "whole number" in response.text


def test_api_validation_errors_are_400_json(admin):
    app = admin.app

    @app.get("/api/v1/probe-limit")
    def probe(limit: int = 10) -> dict[str, int]:
        return {"limit": limit}

    response = admin.get("/api/v1/probe-limit?limit=ten")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "limit" in detail and "whole number" in detail


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_authorization_request_without_a_scope_is_a_400_listing_the_scopes(client, app_store, settings, method):
    client_id, _ = register(app_store, scopes=("identity", "contact"))
    csrf = sign_in(client, app_store, settings)
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "", "state": "x"}
    if method == "get":
        response = client.get("/oauth/authorize", params=params)
        assert response.status_code == 400
        assert "scope takes one or more of: identity, contact" in html.unescape(response.text)
    else:  # a POST is only ever the approval of a request the page showed (sealed), never the form's own fields
        response = client.post("/oauth/authorize", data={**params, "csrf_token": csrf, "decision": "approve"})
        assert response.status_code == 400 and "start again" in html.unescape(response.text)
