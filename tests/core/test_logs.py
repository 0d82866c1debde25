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


def test_a_traceback_on_a_terminal_shows_no_local_variables_and_its_message_is_redacted():
    out = io.StringIO()
    configure(json=False, stream=out)

    def failing_job(project: dict[str, str]) -> None:
        raise RuntimeError(f"job failed for dana.fox@example.com with token=tok-{project['name']}")

    secret, password = "s3cret" + "-client", "hun" + "ter2"  # as written here, neither is in a source line
    try:
        failing_job({"name": "acme", "client_secret": secret, "password": password})
    except RuntimeError:
        structlog.get_logger().exception("schedule.job_failed", job="nightly")
    text = out.getvalue()
    assert "schedule.job_failed" in text and "Traceback" in text and "failing_job" in text
    assert "s3cret-client" not in text and "hunter2" not in text  # the frames' locals are not shown
    assert "dana.fox@example.com" not in text and "email#" in text  # the message is redacted as any value


def test_a_secret_of_the_wrong_type_is_named_in_a_settings_error_but_never_shown():
    from pydantic import BaseModel, ValidationError

    from core.canonical.base import describe_validation_error

    class Auth(BaseModel):
        password: str
        api_token: str
        user: str

    try:
        Auth.model_validate({"password": 8675309123456, "api_token": ["tok-123", 2], "user": 7})
    except ValidationError as err:
        lines = describe_validation_error(err)
    text = "\n".join(lines)
    assert "8675309123456" not in text and "tok-123" not in text
    assert "password: Input should be a valid string (got '***')" in text
    assert "user: Input should be a valid string (got 7)" in text  # not a secret: shown as ever


def test_a_reason_masks_the_value_it_names_before_its_error_not_only_after_got():
    from core.logs import mask_text

    reason = "Person.email: email 'mei.okafor5 at example dot com' is not a valid address: no @ (got 'mei.okafor5')"
    masked = mask_text(reason)
    assert "okafor" not in masked and "example dot com" not in masked
    assert masked.startswith("Person.email: email 'm… (30 characters)' is not a valid address")
    assert "mei" not in mask_text("Person.phone: phone 'mei at home' is not in E.164 form")


def test_a_run_id_a_date_and_an_address_in_a_reason_stay_readable_while_phone_numbers_are_masked():
    from core.logs import mask_text

    kept = [
        "found by run sync-20261207T002532Z-1c1c49",
        "held since 2026-12-07 00:37:20 UTC",
        "HTTPSConnectionPool(host='127.0.0.1', port=37521)",
        "record salesforce/Contact/0038d0000000Q0vAAE",
    ]
    assert [mask_text(text) for text in kept] == kept
    assert "7946" not in mask_text("call 020 7946 0018 after six") and "7946" not in mask_text("tel:+442079460018")
