from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from core.canonical import (
    STORED,
    Consent,
    Identifier,
    Interaction,
    Person,
    RecordRef,
    Suppression,
    UnifiedProfile,
)
from core.canonical.base import describe_validation_error

REF = RecordRef(system="salesforce", stream="Contact", source_id="003A")


def test_person_normalises_phone_and_country_and_trims():
    person = Person(source=REF, first_name="  Robert ", phone="+44 7700 900123", country="gb")
    assert (person.first_name, person.phone, person.country) == ("Robert", "+447700900123", "GB")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("email", "bob@", "email: email 'bob@' is not a valid address"),
        ("phone", "07700 900123", "phone: phone '07700 900123' is not in E.164 form"),
        ("phone", "+44 12", "phone: phone '+44 12': not a possible phone number for country code +44"),
        ("country", "Narnia", "country: country 'Narnia' is not a country name or ISO 3166-1 code"),
        ("colour", "red", "colour: is not a field of the canonical model (got 'red')"),
    ],
)
def test_invalid_values_get_messages_a_person_can_act_on(field, value, expected):
    with pytest.raises(ValidationError) as info:
        Person(source=REF, **{field: value})
    (line,) = describe_validation_error(info.value)
    assert line.startswith(expected)
    assert "errors.pydantic.dev" not in line


def test_naive_datetimes_are_refused_with_a_fix():
    with pytest.raises(ValidationError) as info:
        Interaction(source=REF, kind="ticket", type="ticket.opened", occurred_at=datetime(2024, 1, 1))
    (line,) = describe_validation_error(info.value)
    assert "has no timezone" in line
    assert "default_tz" in line


def test_external_id_requires_issuing_system_and_keys_differ_by_system():
    with pytest.raises(ValidationError, match="needs 'system'"):
        Identifier(kind="external_id", value="003A")
    a = Identifier(kind="external_id", system="salesforce", value="1")
    b = Identifier(kind="external_id", system="zendesk", value="1")
    assert a.key != b.key
    assert Identifier(kind="email", value="x@y.com", normalised="x@y.com").key == "email:x@y.com"


def test_record_ref_round_trips_through_text_and_rejects_bad_text():
    assert RecordRef.parse(str(REF)) == REF
    assert RecordRef.parse("files/people/a/b").source_id == "a/b"
    with pytest.raises(ValueError, match="system/stream/source_id"):
        RecordRef.parse("salesforce/Contact")


def test_suppression_window():
    since = datetime(2024, 1, 1, tzinfo=UTC)
    s = Suppression(scope="marketing", reason="urgent_ticket_open", since=since, until=datetime(2024, 1, 2, tzinfo=UTC))
    assert s.active(datetime(2024, 1, 1, 12, tzinfo=UTC))
    assert not s.active(datetime(2024, 1, 2, tzinfo=UTC))
    with pytest.raises(ValidationError, match="ends"):
        Suppression(scope="marketing", reason="x", since=since, until=datetime(2023, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        Suppression(scope="marketing", reason="Not A Name", since=since)


def test_consent_and_profile_validate_wire_values():
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Consent(source=REF, channel="email", purpose="marketing", status="maybe", at=now)
    consent = Consent(source=REF, channel="email", purpose="marketing", status="denied", at=now)
    assert consent.status.value == "denied"
    with pytest.raises(ValidationError):
        UnifiedProfile(profile_id="profile-1", created_at=now, updated_at=now)
    assert UnifiedProfile(profile_id="cp_01hx3k9w2m4b", created_at=now, updated_at=now).records == []


def test_stored_data_skips_only_the_costly_rechecks():
    stored = Person(source=REF, email="bob@acme.com", phone="+447700900123").model_dump(mode="json")
    again = Person.model_validate(stored, context=STORED)
    assert again == Person.model_validate(stored)
    # the context skips re-checking email syntax and phone numbers, which the store checked before writing ...
    assert Person.model_validate({**stored, "email": "not-an-address"}, context=STORED).email == "not-an-address"
    with pytest.raises(ValidationError):
        Person.model_validate({**stored, "email": "not-an-address"})
    # ... and nothing else: shapes, types and unknown fields are still refused
    with pytest.raises(ValidationError):
        Person.model_validate({**stored, "date_of_birth": "soon"}, context=STORED)
    with pytest.raises(ValidationError):
        Person.model_validate({**stored, "nickname": "Bob"}, context=STORED)
