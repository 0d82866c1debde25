"""The preference centre's history reads in plain words: no Python values, no raw timestamps."""

from __future__ import annotations

import html
import re

from core.ledger.service import record_statements
from tests.core.api.conftest import PERSON, sign_in


def _history(client) -> str:
    text = html.unescape(client.get("/ledger/").text)
    return text.split('id="download"', 1)[1]


def test_history_shows_values_and_dates_in_plain_words(client, app_store, settings):
    csrf = sign_in(client, app_store, settings)
    form = {"csrf_token": csrf, "quiet_start": "21:00", "quiet_end": "08:00", "timezone": "Europe/London",
            "weekly_cap": "3", "never_call": "on", "preferred_channel": "sms"}  # fmt: skip
    client.post("/ledger/preferences", data=form)
    history = _history(client)
    assert "quiet hours 21:00\u201308:00 (Europe/London)" in history  # an en dash
    assert "never call: yes" in history and "weekly cap: 3 a week" in history
    assert "1 May 2024 09:30 UTC" in history
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", history), history
    assert "{'" not in history and "True" not in history and "= " not in history


def test_a_statement_an_operator_recorded_names_them_and_why(client, app_store, settings):
    body = {"person": PERSON, "type": "consent", "channel": "email", "purpose": "marketing", "status": "withdrawn",
            "at": "2024-04-01T08:00:00Z",
            "source": {"kind": "customer", "by": "jdoe", "reason": "phoned the call centre"}}  # fmt: skip
    record_statements(app_store, body)
    sign_in(client, app_store, settings)
    history = _history(client)
    assert "recorded by an operator (jdoe): phoned the call centre" in history
    assert "1 May 2024 09:30 UTC" in history  # when it was recorded
    assert "said 1 Apr 2024 08:00 UTC" in history  # and the time it states, backdated
