"""The state in force, computed without a store: precedence, expiry, revocation, modes, preferences."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.ledger import (
    ConsentChoice,
    LedgerChannel,
    Mode,
    Part,
    PermissionCode,
    Purpose,
    compute_state,
    parse_statements,
    part_of_source,
)
from tests.core.ledger.helpers import PERSON, consent, grant, preference, revoke

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def state(*items, at=NOW, mode=Mode.OBSERVED_CONSENT):
    statements = parse_statements(list(items), now=NOW) if items else []
    return compute_state(PERSON, statements, at=at, mode=mode)


def test_a_stated_consent_outranks_a_later_observation():
    s = state(
        consent("given", at="2024-01-01T00:00:00Z"),
        consent("withdrawn", at="2024-05-01T00:00:00Z", kind="observation", system="hubspot"),
    )
    assert s.consent(LedgerChannel.EMAIL, Purpose.MARKETING) is ConsentChoice.GIVEN
    assert s.consents[(LedgerChannel.EMAIL, Purpose.MARKETING)].source == "customer"


def test_an_observation_counts_when_nothing_was_stated():
    s = state(consent("withdrawn", at="2024-05-01T00:00:00Z", kind="observation", system="hubspot"))
    assert s.consent("email", "marketing") is ConsentChoice.WITHDRAWN


def test_a_later_statement_of_the_same_rank_wins_whatever_the_order_given():
    later, earlier = consent("withdrawn", at="2024-03-01T00:00:00Z"), consent("given", at="2024-02-01T00:00:00Z")
    assert state(later, earlier).consent("email", "marketing") is ConsentChoice.WITHDRAWN
    assert state(earlier, later).consent("email", "marketing") is ConsentChoice.WITHDRAWN


def test_equal_times_and_ranks_go_to_the_one_recorded_last():
    a, b = consent("given", at="2024-03-01T00:00:00Z"), consent("withdrawn", at="2024-03-01T00:00:00Z")
    assert state(a, b).consent("email", "marketing") is ConsentChoice.WITHDRAWN
    assert state(b, a).consent("email", "marketing") is ConsentChoice.GIVEN


def test_statements_made_after_the_moment_asked_are_not_yet_in_force():
    s = state(consent("given", at="2024-01-01T00:00:00Z"), consent("withdrawn", at="2024-07-01T00:00:00Z"))
    assert s.consent("email", "marketing") is ConsentChoice.GIVEN
    assert s.statements == 1


def test_a_grant_permits_only_its_system_parts_and_purposes():
    s = state(grant("hubspot", at="2024-01-01T00:00:00Z", parts=["contact"], purposes=["marketing"]))
    assert s.permits("hubspot", Part.CONTACT, Purpose.MARKETING).allowed
    assert s.permits("hubspot", Part.CONTACT, Purpose.MARKETING).code is PermissionCode.GRANTED
    for system, part, purpose in [
        ("hubspot", "address", "marketing"),
        ("hubspot", "contact", "analytics"),
        ("salesforce", "contact", "marketing"),
    ]:
        permission = s.permits(system, part, purpose)
        assert not permission.allowed
        assert permission.code is PermissionCode.NOT_GRANTED


def test_an_expired_grant_permits_nothing_and_says_so():
    s = state(grant("hubspot", at="2024-01-01T00:00:00Z", expires="2024-05-01T00:00:00Z"))
    permission = s.permits("hubspot", "contact", "marketing")
    assert (permission.allowed, permission.code) == (False, PermissionCode.GRANT_EXPIRED)
    assert "2024-05-01T00:00:00Z" in permission.reason
    assert s.grants() == []
    before = state(
        grant("hubspot", at="2024-01-01T00:00:00Z", expires="2024-05-01T00:00:00Z"),
        at=datetime(2024, 4, 30, tzinfo=UTC),
    )
    assert before.permits("hubspot", "contact", "marketing").allowed


def test_a_revocation_stops_the_grant_and_names_its_statement():
    g, r = grant("hubspot", at="2024-01-01T00:00:00Z"), revoke("hubspot", at="2024-02-01T00:00:00Z")
    s = state(g, r)
    permission = s.permits("hubspot", "contact", "marketing")
    assert (permission.allowed, permission.code) == (False, PermissionCode.GRANT_REVOKED)
    revoked_id = s.grant_slots[("hubspot", Purpose.MARKETING, Part.CONTACT)].statement_id
    assert permission.statement_id == revoked_id
    assert s.grants() == []
    regranted = state(g, r, grant("hubspot", at="2024-03-01T00:00:00Z"))
    assert regranted.permits("hubspot", "contact", "marketing").allowed


def test_a_partial_revocation_leaves_the_rest_of_the_grant():
    s = state(
        grant("hubspot", at="2024-01-01T00:00:00Z", parts=["contact", "identity"]),
        revoke("hubspot", at="2024-02-01T00:00:00Z", parts=["contact"]),
    )
    assert not s.permits("hubspot", "contact", "marketing").allowed
    assert s.permits("hubspot", "identity", "marketing").allowed
    assert s.grants()[0]["parts"] == ["identity"]


def test_protections_are_always_permitted_even_when_everything_else_is_stopped():
    s = state(
        revoke("hubspot", at="2024-02-01T00:00:00Z"), consent("withdrawn", at="2024-01-01T00:00:00Z"), mode=Mode.STRICT
    )
    assert s.permits("hubspot", Part.PROTECTIONS, Purpose.MARKETING).code is PermissionCode.PROTECTIVE
    assert s.permits("hubspot", part_of_source("suppression.all"), "marketing").allowed
    assert s.permits("hubspot", part_of_source("ledger.quiet_hours"), "marketing").allowed
    assert not s.permits("hubspot", part_of_source("golden.email"), "marketing").allowed


def test_modes_differ_only_while_no_grant_is_held():
    assert state().permits("hubspot", "contact", "marketing").code is PermissionCode.NO_GRANT_HELD
    strict = state(mode=Mode.STRICT).permits("hubspot", "contact", "marketing")
    assert (strict.allowed, strict.code) == (False, PermissionCode.STRICT_MODE)
    with_grant = [grant("salesforce", at="2024-01-01T00:00:00Z")]
    for mode in Mode:
        assert not state(*with_grant, mode=mode).permits("hubspot", "contact", "marketing").allowed
        assert state(*with_grant, mode=mode).permits("salesforce", "contact", "marketing").allowed


def test_a_withdrawn_consent_stops_its_purpose_even_under_a_grant():
    s = state(grant("hubspot", at="2024-01-01T00:00:00Z"), consent("withdrawn", at="2024-02-01T00:00:00Z"))
    permission = s.permits("hubspot", "contact", "marketing", channel="email")
    assert (permission.allowed, permission.code) == (False, PermissionCode.CONSENT_WITHDRAWN)
    assert s.permits("hubspot", "contact", "marketing").code is PermissionCode.CONSENT_WITHDRAWN
    assert s.permits("hubspot", "contact", "marketing", channel="sms").allowed


def test_without_a_channel_a_purpose_stops_only_when_withdrawn_on_every_channel_held():
    s = state(
        consent("withdrawn", at="2024-02-01T00:00:00Z"), consent("given", at="2024-02-01T00:00:00Z", channel="sms")
    )
    assert s.permits("hubspot", "contact", "marketing").allowed
    assert not s.permits("hubspot", "contact", "marketing", channel="email").allowed


def test_preferences_become_plain_write_back_values():
    s = state(
        preference(
            "quiet_hours", {"start": "21:00", "end": "08:00", "timezone": "Europe/London"}, at="2024-01-01T00:00:00Z"
        ),
        preference("weekly_cap", 3, at="2024-01-01T00:00:00Z"),
        preference("preferred_channel", "sms", at="2024-01-01T00:00:00Z"),
        preference("preferred_channel", "email", at="2024-03-01T00:00:00Z", kind="observation"),
        preference("never_call", True, at="2024-01-01T00:00:00Z"),
        {
            "person": PERSON,
            "type": "interest",
            "source": {"kind": "customer"},
            "at": "2024-01-01T00:00:00Z",
            "topic": "cycling",
            "stance": "interested",
        },
        {
            "person": PERSON,
            "type": "interest",
            "source": {"kind": "customer"},
            "at": "2024-01-01T00:00:00Z",
            "topic": "gambling",
            "stance": "avoid",
        },
        {
            "person": PERSON,
            "type": "interest",
            "source": {"kind": "customer"},
            "at": "2024-01-01T00:00:00Z",
            "topic": "golf",
            "stance": "interested",
        },
        {
            "person": PERSON,
            "type": "interest",
            "source": {"kind": "customer"},
            "at": "2024-02-01T00:00:00Z",
            "topic": "golf",
            "stance": "neutral",
        },
    )
    assert s.writeback_values() == {
        "ledger.preferred_channel": "sms",
        "ledger.interests": ["cycling"],
        "ledger.quiet_hours": "21:00-08:00 Europe/London",
        "ledger.quiet_hours_start": "21:00",
        "ledger.quiet_hours_end": "08:00",
        "ledger.timezone": "Europe/London",
        "ledger.weekly_cap": 3,
        "ledger.never_call": True,
        "ledger.topics_to_avoid": ["gambling"],
    }
    cleared = state(
        preference("weekly_cap", 3, at="2024-01-01T00:00:00Z"),
        preference("weekly_cap", None, at="2024-02-01T00:00:00Z"),
    )
    assert cleared.preferences.weekly_cap is None


@pytest.mark.parametrize(
    ("utc", "quiet"),
    [
        ("2024-06-01T20:30:00Z", True),  # 21:30 in London (BST)
        ("2024-06-01T19:30:00Z", False),  # 20:30
        ("2024-06-01T06:59:00Z", True),  # 07:59
        ("2024-06-01T07:00:00Z", False),  # 08:00
        ("2024-01-15T21:30:00Z", True),
    ],  # 21:30 in London (GMT)
)
def test_quiet_hours_are_read_in_the_persons_timezone_across_midnight(utc, quiet):
    s = state(
        preference(
            "quiet_hours", {"start": "21:00", "end": "08:00", "timezone": "Europe/London"}, at="2023-01-01T00:00:00Z"
        )
    )
    assert s.preferences.quiet_hours.contains(datetime.fromisoformat(utc)) is quiet


def test_every_ledger_write_back_name_has_a_part():
    from core.ledger import LEDGER_SOURCES
    from core.mapping.writeback import check_source_name

    assert all(check_source_name(name) for name in LEDGER_SOURCES)
    assert part_of_source("ledger.preferred_channel") is Part.PREFERENCES
    assert part_of_source("ledger.interests") is Part.INTERESTS
    assert part_of_source("enrichment.intent_score") is Part.ACTIVITY
    assert part_of_source("profile_id") is Part.IDENTITY
    assert part_of_source("golden.date_of_birth") is Part.DEMOGRAPHICS
