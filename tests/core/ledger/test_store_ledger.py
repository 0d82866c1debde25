"""``store.ledger`` on SQLite and PostgreSQL: recording, precedence, merges, tamper evidence, observations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.canonical import Channel, Consent, ConsentStatus, RecordRef
from core.ledger import (
    ConsentChoice,
    Mode,
    Observation,
    PermissionCode,
    StatementRejected,
    observation_from_consent,
)
from core.ledger.service import keyring_for, record_statements
from core.ledger.settings import LedgerSettings
from core.ledger.signing import generate_key_text
from core.store import open_store
from core.store.ledger_tables import LedgerEntryRow
from tests.core.ledger.helpers import OTHER, PERSON, add_people, consent, grant, revoke

ENTRIES = LedgerEntryRow.__table__


@pytest.fixture
def ledger_store(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as opened:
        add_people(opened, PERSON, OTHER)
        yield opened


def settings_with_key(key=None, **extra):
    from pydantic import SecretStr

    return LedgerSettings(signing_key=SecretStr(key or generate_key_text()), **extra)


def test_statements_are_chained_per_person_in_order(ledger_store):
    recorded = record_statements(
        ledger_store,
        [
            consent("given", at="2024-01-01T00:00:00Z"),
            consent("given", at="2024-01-01T00:00:00Z", person=OTHER),
            grant("hubspot", at="2024-01-02T00:00:00Z"),
        ],
    )
    assert [(e.chain, e.seq) for e in recorded.entries] == [(PERSON, 1), (OTHER, 1), (PERSON, 2)]
    history = ledger_store.ledger.history(PERSON)
    assert [e.seq for e in history] == [1, 2]
    assert history[1].prev_hash == history[0].entry_hash
    assert ledger_store.ledger.people() == sorted([PERSON, OTHER])


def test_precedence_holds_through_the_store(ledger_store, fixed_clock):
    record_statements(ledger_store, consent("given", at="2024-01-01T00:00:00Z"))
    ledger_store.ledger.record_observation(
        Observation(
            PERSON,
            "hubspot",
            "email",
            "marketing",
            ConsentChoice.WITHDRAWN,
            datetime(2024, 3, 1, tzinfo=UTC),
            record="hubspot/contacts/901",
        )
    )
    assert ledger_store.ledger.state_in_force(PERSON).consent("email", "marketing") is ConsentChoice.GIVEN
    record_statements(ledger_store, consent("withdrawn", at="2024-02-01T00:00:00Z"))
    state = ledger_store.ledger.state_in_force(PERSON)
    assert state.consent("email", "marketing") is ConsentChoice.WITHDRAWN
    assert state.permits("hubspot", "contact", "marketing").code is PermissionCode.CONSENT_WITHDRAWN


def test_expiry_and_revocation_through_the_store(ledger_store, fixed_clock):
    record_statements(
        ledger_store,
        [
            grant("hubspot", at="2024-04-01T00:00:00Z", expires="2024-05-01T12:00:00Z"),
            grant("salesforce", at="2024-04-01T00:00:00Z", purposes=["service"]),
        ],
    )
    assert ledger_store.ledger.state_in_force(PERSON).permits("hubspot", "contact", "marketing").allowed
    fixed_clock.advance(days=1)  # 2024-05-02
    expired = ledger_store.ledger.state_in_force(PERSON).permits("hubspot", "contact", "marketing")
    assert expired.code is PermissionCode.GRANT_EXPIRED
    assert ledger_store.ledger.state_in_force(PERSON).permits("salesforce", "identity", "service").allowed
    record_statements(ledger_store, revoke("salesforce", at="2024-05-02T09:00:00Z"))
    stopped = ledger_store.ledger.state_in_force(PERSON).permits("salesforce", "identity", "service")
    assert stopped.code is PermissionCode.GRANT_REVOKED
    assert (
        ledger_store.ledger.state_in_force(PERSON, at=datetime(2024, 4, 15, tzinfo=UTC))
        .permits("salesforce", "identity", "service")
        .allowed
    )


def test_a_bad_batch_writes_nothing(ledger_store):
    with pytest.raises(StatementRejected) as caught:
        record_statements(
            ledger_store,
            [
                consent("given", at="2024-01-01T00:00:00Z"),
                consent("given", at="2024-01-01T00:00:00Z", person="cp_000000000000"),
            ],
        )
    assert "person: 'cp_000000000000' is not a profile in this store" in caught.value.problems
    assert ledger_store.ledger.history(PERSON) == []


def test_an_observation_is_recorded_once_however_often_a_sync_sees_it(ledger_store):
    observed = Consent(
        source=RecordRef(system="hubspot", stream="contacts", source_id="901"),
        channel=Channel.EMAIL,
        purpose="newsletter",
        status=ConsentStatus.DENIED,
        at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    observation = observation_from_consent(PERSON, observed)
    assert observation is not None and observation.purpose == "marketing"
    first = ledger_store.ledger.record_observations([observation])
    again = ledger_store.ledger.record_observations([observation_from_consent(PERSON, observed)])
    assert (
        len(first.entries) == 1 and again.entries == [] and again.skipped == [first.entries[0].statement.statement_id]
    )
    assert ledger_store.ledger.history(PERSON)[0].statement.body["source"] == {
        "kind": "observation",
        "system": "hubspot",
        "record": "hubspot/contacts/901",
    }
    unknown = Consent(
        source=RecordRef(system="hubspot", stream="contacts", source_id="9"),
        channel=Channel.WEB,
        purpose="marketing",
        status=ConsentStatus.DENIED,
        at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    assert observation_from_consent(PERSON, unknown) is None


def test_a_statement_id_is_never_reused_for_other_content(ledger_store):
    (entry,) = record_statements(ledger_store, consent("given", at="2024-01-01T00:00:00Z")).entries
    same = {**entry.statement.body}
    assert record_statements(ledger_store, same).skipped == [entry.statement.statement_id]
    with pytest.raises(StatementRejected, match="already recorded with different content"):
        record_statements(ledger_store, {**same, "status": "withdrawn"})


def test_a_merged_away_profiles_ledger_is_read_as_part_of_the_survivor(ledger_store):
    record_statements(
        ledger_store,
        [grant("hubspot", at="2024-01-01T00:00:00Z", person=OTHER), consent("given", at="2024-01-01T00:00:00Z")],
    )
    ledger_store.aliases.add({OTHER: PERSON}, run_id=None)
    state = ledger_store.ledger.state_in_force(OTHER)
    assert state.profile_id == PERSON
    assert state.permits("hubspot", "contact", "marketing").allowed
    assert state.consent("email", "marketing") is ConsentChoice.GIVEN
    record_statements(ledger_store, revoke("hubspot", at="2024-02-01T00:00:00Z", person=OTHER))
    assert ledger_store.ledger.history(PERSON)[-1].chain == PERSON  # filed under the survivor
    assert not ledger_store.ledger.state_in_force(PERSON).permits("hubspot", "contact", "marketing").allowed
    many = ledger_store.ledger.states_in_force([PERSON, OTHER, "cp_0000cccc0000"])
    assert many[OTHER] is many[PERSON] and many["cp_0000cccc0000"].statements == 0


def test_verify_names_the_first_tampered_entry_of_each_chain(ledger_store):
    settings = settings_with_key()
    record_statements(ledger_store, [consent("given", at=f"2024-01-0{d}T00:00:00Z") for d in range(1, 5)])
    record_statements(
        ledger_store,
        consent("given", at="2024-01-01T00:00:00Z", person=OTHER),
        keyring=keyring_for(ledger_store, settings),
        sign=True,
    )
    assert ledger_store.ledger.verify(settings.keyring()).ok
    history = ledger_store.ledger.history(PERSON)
    with ledger_store.database.transaction() as conn:
        body = {**history[2].statement.body, "status": "withdrawn"}
        conn.execute(sa.update(ENTRIES).where(ENTRIES.c.chain == PERSON, ENTRIES.c.seq == 3).values(body=body))
    report = ledger_store.ledger.verify(settings.keyring())
    assert (report.chains, report.entries) == (2, 5)
    (found,) = report.breaks
    assert (found.chain, found.seq, found.statement_id) == (PERSON, 3, history[2].statement.statement_id)
    assert "does not match its hash" in found.reason


def test_verify_finds_a_removed_entry_and_a_rehashed_one(ledger_store):
    record_statements(ledger_store, [consent("given", at=f"2024-01-0{d}T00:00:00Z") for d in range(1, 5)])
    history = ledger_store.ledger.history(PERSON)
    with ledger_store.database.transaction() as conn:
        conn.execute(sa.delete(ENTRIES).where(ENTRIES.c.chain == PERSON, ENTRIES.c.seq == 2))
    (found,) = ledger_store.ledger.verify(LedgerSettings().keyring()).breaks
    assert found.seq == 3 and "missing" in found.reason
    with ledger_store.database.transaction() as conn:  # an edit whose own hash is recomputed breaks the next link
        conn.execute(
            sa.update(ENTRIES)
            .where(ENTRIES.c.chain == PERSON, ENTRIES.c.seq == 3)
            .values(seq=2, prev_hash=history[0].entry_hash)
        )
        conn.execute(sa.update(ENTRIES).where(ENTRIES.c.chain == PERSON, ENTRIES.c.seq == 4).values(seq=3))
    (found,) = ledger_store.ledger.verify(LedgerSettings().keyring()).breaks
    assert found.seq == 2 and "does not match its hash" in found.reason


def test_a_signed_statement_with_changed_content_and_hash_is_caught_by_its_signature(ledger_store):
    from core.ledger.chain import entry_hash

    settings = settings_with_key()
    (entry,) = record_statements(
        ledger_store,
        consent("given", at="2024-01-01T00:00:00Z"),
        keyring=keyring_for(ledger_store, settings),
        sign=True,
    ).entries
    forged = {**entry.statement.body, "status": "withdrawn"}
    rehashed = entry_hash(chain=PERSON, seq=1, prev_hash=entry.prev_hash, recorded_at=entry.recorded_at, body=forged)
    with ledger_store.database.transaction() as conn:
        conn.execute(sa.update(ENTRIES).where(ENTRIES.c.chain == PERSON).values(body=forged, entry_hash=rehashed))
    (found,) = ledger_store.ledger.verify(settings.keyring()).breaks
    assert "signature by key" in found.reason and "does not match" in found.reason


def test_a_rotated_key_keeps_verifying_what_it_signed(ledger_store):
    old, new = settings_with_key(), settings_with_key()
    record_statements(
        ledger_store, consent("given", at="2024-01-01T00:00:00Z"), keyring=keyring_for(ledger_store, old), sign=True
    )
    record_statements(
        ledger_store, consent("withdrawn", at="2024-02-01T00:00:00Z"), keyring=keyring_for(ledger_store, new), sign=True
    )
    assert ledger_store.ledger.verify(new.keyring()).ok
    assert len(ledger_store.ledger.keys()) == 2


def test_strict_mode_through_the_store(ledger_store):
    assert (
        ledger_store.ledger.state_in_force(PERSON, mode=Mode.STRICT).permits("hubspot", "contact", "marketing").code
        is PermissionCode.STRICT_MODE
    )
    assert ledger_store.ledger.state_in_force(PERSON).permits("hubspot", "contact", "marketing").allowed


def test_sign_in_links_work_once_and_not_after_expiry(ledger_store, fixed_clock):
    from core.store.ledger_access import LinkUse

    access = ledger_store.ledger_access
    access.add_link("nonce-1", PERSON, expires_at=fixed_clock.now + timedelta(minutes=30))
    access.add_link("nonce-2", PERSON, expires_at=fixed_clock.now + timedelta(minutes=30))
    assert access.use_link("nonce-1") == (LinkUse.SIGNED_IN, PERSON)
    assert access.use_link("nonce-1") == (LinkUse.USED, None)
    assert access.use_link("forged") == (LinkUse.UNKNOWN, None)
    fixed_clock.advance(minutes=31)
    assert access.use_link("nonce-2") == (LinkUse.EXPIRED, None)
    token, session = access.start_session(PERSON, minutes=30)
    assert access.session(token) == session
    access.end_session(token)
    assert access.session(token) is None
