"""The preference centre refuses what its forms never offer: 400 naming the field, and nothing recorded."""

from __future__ import annotations

import html

import pytest

from tests.core.api.conftest import PERSON, sign_in


def _post(client, path, data):
    response = client.post(path, data=data, follow_redirects=False)
    return response.status_code, html.unescape(response.text)


@pytest.mark.parametrize("cap", ["-1", "abc", "3.5", "5000"])
def test_a_weekly_cap_that_is_not_0_to_1000_is_refused_and_keeps_the_cap(client, app_store, settings, cap):
    csrf = sign_in(client, app_store, settings)
    assert _post(client, "/ledger/preferences", {"csrf_token": csrf, "weekly_cap": "3"})[0] == 303
    before = len(app_store.ledger.history(PERSON))
    status, text = _post(client, "/ledger/preferences", {"csrf_token": csrf, "weekly_cap": cap})
    assert status == 400 and "weekly cap" in text and "0 to 1000" in text
    assert len(app_store.ledger.history(PERSON)) == before
    assert app_store.ledger.state_in_force(PERSON).preferences.weekly_cap == 3


def test_an_empty_weekly_cap_removes_it_only_when_the_form_says_so(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    _post(client, "/ledger/preferences", {"csrf_token": csrf, "weekly_cap": "3"})
    status, text = _post(client, "/ledger/preferences", {"csrf_token": csrf, "weekly_cap": ""})
    assert status == 400 and "weekly cap" in text and "no weekly limit" in text
    assert app_store.ledger.state_in_force(PERSON).preferences.weekly_cap == 3
    page = client.get("/ledger/").text
    assert 'name="weekly_cap_none"' in page  # the form offers removing it as its own choice
    assert _post(client, "/ledger/preferences", {"csrf_token": csrf, "weekly_cap_none": "on"})[0] == 303
    assert app_store.ledger.state_in_force(PERSON).preferences.weekly_cap is None


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"quiet_start": "21:00"}, "quiet hours"),
        ({"quiet_start": "21:00", "quiet_end": "08:00"}, "timezone"),
        ({"quiet_start": "25:00", "quiet_end": "08:00", "timezone": "Europe/London"}, "quiet hours from"),
        ({"quiet_start": "21:00", "quiet_end": "08:00", "timezone": "Mars/Olympus"}, "timezone"),
        ({"preferred_channel": "pigeon"}, "preferred channel"),
        ({"never_call": "maybe"}, "never call"),
    ],
)
def test_bad_preference_fields_are_refused_by_name(client, app_store, settings, fields, named):
    csrf = sign_in(client, app_store, settings)
    good = {"csrf_token": csrf, "quiet_start": "22:00", "quiet_end": "07:00", "timezone": "Europe/London"}
    assert _post(client, "/ledger/preferences", good)[0] == 303
    before = len(app_store.ledger.history(PERSON))
    status, text = _post(client, "/ledger/preferences", {"csrf_token": csrf, **fields})
    assert status == 400 and named in text, text
    assert len(app_store.ledger.history(PERSON)) == before
    assert str(app_store.ledger.state_in_force(PERSON).preferences.quiet_hours) == "22:00-07:00 Europe/London"


@pytest.mark.parametrize(
    ("path", "data", "named"),
    [
        ("/ledger/grants", {"system": "evil", "parts": ["contact"], "purposes": ["service"]}, "system"),
        ("/ledger/grants", {"system": "hubspot", "parts": ["protections"], "purposes": ["service"]}, "parts"),
        ("/ledger/grants", {"system": "hubspot", "parts": ["contact"], "purposes": ["world domination"]}, "purposes"),
        ("/ledger/grants", {"system": "hubspot", "purposes": ["service"]}, "parts"),
        ("/ledger/revoke", {"system": "nonexistent"}, "system"),
        ("/ledger/consents", {"consent__email__marketing": "maybe"}, "email marketing"),
        ("/ledger/consents", {"consent__fax__marketing": "given"}, "fax"),
        ("/ledger/interests", {"topic": "Bad/Topic!", "stance": "interested"}, "topic"),
    ],
)
def test_values_the_forms_never_offer_are_refused(client, app_store, settings, path, data, named):
    csrf = sign_in(client, app_store, settings)
    status, text = _post(client, path, {"csrf_token": csrf, **data})
    assert status == 400 and named in text, text
    assert "statements[" not in text and "statement." not in text  # no schema jargon
    assert app_store.ledger.history(PERSON) == []


def test_the_systems_the_page_lists_can_be_granted_and_revoked(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    data = {"csrf_token": csrf, "system": "salesforce", "parts": ["contact"], "purposes": ["service"]}
    assert _post(client, "/ledger/grants", data)[0] == 303
    assert _post(client, "/ledger/revoke", {"csrf_token": csrf, "system": "salesforce"})[0] == 303
    assert len(app_store.ledger.history(PERSON)) == 2
