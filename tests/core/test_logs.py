from __future__ import annotations

import io
import json

import structlog

from core.logs import configure, hash_email, redact


def test_json_logs_mask_secrets_tokens_and_hash_emails():
    out = io.StringIO()
    configure(json=True, stream=out)
    structlog.get_logger().info(
        "stream.page_fetched",
        client_secret="s3cr3t-value",
        url="https://x.test/token?access_token=abc.def&grant_type=password&password=hunter2",
        headers={"Authorization": "Bearer 00D5g000004XXXX!AQ0AQGzFakeSessionToken1234567890"},
        detail="Session 00D5g000004XXXX!AQ0AQGzFakeSessionToken1234567890 for Bob@Acme.com",
        records=3,
    )
    line = out.getvalue().strip()
    event = json.loads(line)
    for secret in ("s3cr3t-value", "abc.def", "hunter2", "FakeSessionToken", "Bob@Acme.com"):
        assert secret not in line
    assert event["client_secret"] == "***"
    assert event["headers"]["Authorization"] == "***"
    assert event["records"] == 3
    assert hash_email("bob@acme.com") in event["detail"]
    assert event["event"] == "stream.page_fetched"


def test_console_renderer_for_terminals_and_email_hash_is_stable():
    out = io.StringIO()
    configure(json=False, stream=out)
    structlog.get_logger().warning("sync.started", password="pw", run_id="r1")
    text = out.getvalue()
    assert "sync.started" in text
    assert "pw" not in text.replace("password", "")
    assert hash_email(" Bob@Acme.com") == hash_email("bob@acme.com") != hash_email("rob@acme.com")


def test_redact_keeps_non_secrets_and_walks_lists():
    value = {"items": [{"token": "t"}, {"name": "n"}], "empty_password": ""}
    assert redact(value) == {"items": [{"token": "***"}, {"name": "n"}], "empty_password": ""}


def test_a_reason_masks_the_values_it_quotes_but_not_the_punctuation_it_names():
    from core.logs import mask_text

    reason = (
        "Person.email: email 'dana.fox@@example' is not a valid address: The part after the @-sign contains "
        "invalid characters: '@'. (got 'dana.fox@@example')"
    )
    masked = mask_text(reason)
    assert "dana" not in masked and "example" not in masked
    assert "invalid characters: '@'" in masked and masked.count("email#") == 2
    assert mask_text("Person.phone: not a number (got '+44 20 7946 0018')") == (
        "Person.phone: not a number (got '+… (16 characters)')"
    )
