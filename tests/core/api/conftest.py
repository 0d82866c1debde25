"""An app over a store with one person, a signing key, and a client that talks to it in-process."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from core.api import create_app
from core.ledger.service import sign_in_link
from core.ledger.settings import LedgerSettings
from core.ledger.signing import generate_key_text
from core.store import LinkInput, LinkMethod, ProfileInput, open_store

PERSON = "cp_0000aaaa0000"
GOLDEN = {
    "first_name": {"value": "Ada", "source": {"system": "salesforce", "stream": "Contact", "source_id": "003A"}},
    "email": {"value": "ada@example.com", "source": {"system": "hubspot", "stream": "contacts", "source_id": "901"}},
    "city": {"value": "Leeds", "source": {"system": "salesforce", "stream": "Contact", "source_id": "003A"}},
}


@pytest.fixture
def settings():
    return LedgerSettings(signing_key=SecretStr(generate_key_text()), public_url="http://127.0.0.1")


@pytest.fixture
def app_store(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        store.profiles.upsert([ProfileInput(PERSON, GOLDEN)], run_id=None)
        store.links.save(
            [
                LinkInput("salesforce", "Contact", "003A", PERSON, LinkMethod.RULE, "email", None, {}),
                LinkInput("hubspot", "contacts", "901", PERSON, LinkMethod.RULE, "email", None, {}),
            ],
            run_id=None,
        )
        yield store


@pytest.fixture
def client(app_store, settings):
    with TestClient(create_app(app_store, settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def link_token(store, settings, person=PERSON):
    url, _ = sign_in_link(store, settings, person)
    return url.split("token=", 1)[1]


def sign_in(client, store, settings):
    token = link_token(store, settings)
    assert client.get(f"/ledger/sign-in?token={token}").status_code == 200
    response = client.post("/ledger/sign-in", data={"token": token}, follow_redirects=False)
    assert response.status_code == 303
    page = client.get("/ledger/")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
