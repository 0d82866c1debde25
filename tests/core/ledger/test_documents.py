"""Exports carry a person's whole ledger, signed; imports accept only what checks out (both backends)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from core.ledger import LedgerIntegrityError
from core.ledger.links import LinkRefused, make_link_token, read_link_token
from core.ledger.service import export_person, import_document, keyring_for, record_statements
from core.ledger.settings import LedgerSettings
from core.ledger.signing import SigningKey, generate_key_text
from core.store import open_store
from tests.core.ledger.helpers import OTHER, PERSON, add_people, consent, grant, preference, revoke

LATER = datetime(2030, 1, 1, tzinfo=UTC)


def key_settings(**extra):
    return LedgerSettings(signing_key=SecretStr(generate_key_text()), **extra)


@pytest.fixture
def two_stores(store_url, tmp_path):
    second = f"sqlite:///{tmp_path / 'second.db'}"
    with open_store(store_url) as first, open_store(second) as other:
        add_people(first, PERSON, OTHER)
        add_people(other, PERSON, "cp_0000dddd0000")
        yield first, other


def fill(store, settings):
    record_statements(
        store,
        [
            consent("given", at="2024-01-01T00:00:00Z"),
            consent("withdrawn", at="2024-03-01T00:00:00Z", kind="observation", system="hubspot", channel="sms"),
            grant("hubspot", at="2024-01-02T00:00:00Z"),
            grant("salesforce", at="2024-01-02T00:00:00Z", parts=["work"], purposes=["service"]),
            revoke("hubspot", at="2024-02-01T00:00:00Z", parts=["contact"]),
            preference(
                "quiet_hours",
                {"start": "22:00", "end": "07:30", "timezone": "America/New_York"},
                at="2024-01-05T00:00:00Z",
            ),
        ],
    )
    record_statements(
        store, preference("weekly_cap", 2, at="2024-01-06T00:00:00Z"), keyring=keyring_for(store, settings), sign=True
    )


def test_export_then_import_on_a_second_store_gives_the_same_state_in_force(two_stores):
    first, second = two_stores
    exporter, importer = key_settings(), key_settings()
    fill(first, exporter)
    document = export_person(first, exporter, PERSON)
    assert len(document["statements"]) == 7 and document["signer"]["key_id"] == exporter.keyring().signing.key_id
    recorded, _read, target = import_document(second, importer, document, trust_key_ids=[read_key(document)])
    assert (len(recorded.entries), target) == (7, PERSON)
    assert (
        second.ledger.state_in_force(PERSON, at=LATER).to_json()
        == first.ledger.state_in_force(PERSON, at=LATER).to_json()
    )
    assert second.ledger.verify(importer.keyring()).ok
    again, _, _ = import_document(second, importer, document, trust_key_ids=[read_key(document)])
    assert again.entries == [] and len(again.skipped) == 7


def read_key(document):
    return document["signer"]["key_id"]


def test_an_import_can_be_filed_under_another_local_person(two_stores):
    first, second = two_stores
    exporter = key_settings()
    fill(first, exporter)
    document = export_person(first, exporter, PERSON)
    trusting = key_settings(trusted_keys=[document["signer"]["public_key"]])
    _, _, target = import_document(second, trusting, document, person="cp_0000dddd0000")
    assert target == "cp_0000dddd0000"
    assert second.ledger.state_in_force(target).preferences.weekly_cap == 2
    assert second.ledger.history(target)[0].statement.body["imported"]["person"] == PERSON


def test_a_foreign_document_with_a_bad_signature_is_refused_and_nothing_recorded(two_stores):
    first, second = two_stores
    exporter = key_settings()
    fill(first, exporter)
    document = export_person(first, exporter, PERSON)
    tampered = copy.deepcopy(document)
    tampered["statements"].append(grant("mailchimp", at="2024-05-01T00:00:00Z") | {"statement_id": "st_0000000000ff"})
    with pytest.raises(LedgerIntegrityError, match="does not match its content"):
        import_document(second, key_settings(), tampered, trust_key_ids=[read_key(document)])
    forged = copy.deepcopy(document)
    impostor = SigningKey.from_text(generate_key_text())
    forged["signer"] = {"key_id": impostor.key_id, "public_key": impostor.public_key}
    with pytest.raises(LedgerIntegrityError, match="does not match its public key or signature"):
        import_document(second, key_settings(), forged, trust_key_ids=[impostor.key_id])
    assert second.ledger.history(PERSON) == []


def test_a_well_signed_document_from_an_unknown_installation_needs_the_operators_word(two_stores):
    first, second = two_stores
    exporter = key_settings()
    fill(first, exporter)
    document = export_person(first, exporter, PERSON)
    with pytest.raises(LedgerIntegrityError, match="does not trust") as caught:
        import_document(second, key_settings(), document)
    assert f"--trust-key {read_key(document)}" in caught.value.hint


def test_a_changed_signed_statement_inside_a_resigned_document_is_refused(two_stores):
    first, second = two_stores
    exporter = key_settings()
    fill(first, exporter)
    document = export_person(first, exporter, PERSON)
    signed = next(s for s in document["statements"] if "signature" in s)
    signed["value"] = 50
    rogue = SigningKey.from_text(generate_key_text())
    document["signer"] = {"key_id": rogue.key_id, "public_key": rogue.public_key}
    document["signature"] = rogue.signature({k: v for k, v in document.items() if k != "signature"})
    with pytest.raises(LedgerIntegrityError, match="does not match the content"):
        import_document(second, key_settings(), document, trust_key_ids=[rogue.key_id])


def test_an_import_for_a_person_unknown_here_asks_for_person(two_stores):
    from core.errors import IdentityError

    first, second = two_stores
    exporter = key_settings()
    record_statements(first, consent("given", at="2024-01-01T00:00:00Z", person=OTHER))
    document = export_person(first, exporter, OTHER)
    with pytest.raises(IdentityError) as caught:
        import_document(second, key_settings(), document, trust_key_ids=[read_key(document)])
    assert "--person" in caught.value.hint


def test_not_a_document_is_refused():
    from core.ledger.documents import read_document

    with pytest.raises(LedgerIntegrityError, match="not a ledger export"):
        read_document({"hello": 1}, trusted={}, now=LATER)
    with pytest.raises(LedgerIntegrityError, match="not a ledger export"):
        read_document([1, 2], trusted={}, now=LATER)


def test_link_tokens_are_signed_and_expire():
    key = SigningKey.from_text(generate_key_text())
    from core.ledger.signing import Keyring

    ring = Keyring(key)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    token = make_link_token(key, profile_id=PERSON, nonce="n1", expires_at=now + timedelta(minutes=30))
    claims = read_link_token(token, ring, now=now)
    assert (claims.profile_id, claims.nonce) == (PERSON, "n1")
    with pytest.raises(LinkRefused, match="expired"):
        read_link_token(token, ring, now=now + timedelta(minutes=31))
    other = make_link_token(
        SigningKey.from_text(generate_key_text()), profile_id=PERSON, nonce="n1", expires_at=now + timedelta(minutes=30)
    )
    with pytest.raises(LinkRefused, match="not made by this installation"):
        read_link_token(other, ring, now=now)
    _payload, _, signature = token.partition(".")
    altered = make_link_token(key, profile_id=OTHER, nonce="n1", expires_at=now + timedelta(minutes=30))
    with pytest.raises(LinkRefused, match="not made by this installation"):
        read_link_token(altered.partition(".")[0] + "." + signature, ring, now=now)
    with pytest.raises(LinkRefused, match="malformed"):
        read_link_token("garbage", ring, now=now)


def test_a_signing_key_is_never_shown():
    from core.ledger import LedgerKeyError

    text = generate_key_text()
    key = SigningKey.from_text(text)
    assert text not in repr(key) and key.key_id in repr(key)
    with pytest.raises(LedgerKeyError) as caught:
        SigningKey.from_text("not-a-key-at-all")
    assert "not-a-key-at-all" not in caught.value.message
    assert SigningKey.from_text(SigningKey.from_text(text).public_key).key_id  # 32 bytes read as a seed too
