from __future__ import annotations

from structlog.testing import capture_logs

from core.canonical import Identifier
from core.identity import (
    SameExternalIdRule,
    SamePersonalEmailRule,
    SamePhoneAndSurnameRule,
    apply_rules,
    default_nicknames,
)
from core.identity.rules import MAX_RULE_GROUP
from tests.core.identity.helpers import person, table


def _linked(rule: object, *people: object) -> set[tuple[str, str]]:
    prepared = table(*people)  # type: ignore[arg-type]
    links = apply_rules(prepared, [rule])  # type: ignore[list-item]
    return {
        (prepared.keys[a], prepared.keys[b]) for a, b in zip(links.left.tolist(), links.right.tolist(), strict=True)
    }


def test_same_external_id_links_a_record_to_the_record_its_id_names() -> None:
    contact = person("003A1", system="salesforce", first_name="Robert")
    requester = person(
        "77",
        system="zendesk",
        first_name="Bob",
        identifiers=[Identifier(kind="external_id", system="salesforce", value="003A1")],
    )
    assert _linked(SameExternalIdRule(), contact, requester) == {("salesforce/people/003A1", "zendesk/people/77")}


def test_same_external_id_value_from_different_issuers_does_not_link() -> None:
    a = person("1", system="hubspot", identifiers=[Identifier(kind="external_id", system="salesforce", value="003A1")])
    b = person("2", system="hubspot", identifiers=[Identifier(kind="external_id", system="zendesk", value="003A1")])
    assert _linked(SameExternalIdRule(), a, b) == set()


def test_same_personal_email_links_across_case_dots_and_gmail_tags() -> None:
    a = person("1", first_name="Robert", email="Bob.Smith@GoogleMail.com")
    b = person("2", system="zendesk", first_name="Bob", email="bobsmith+news@gmail.com")
    assert _linked(SamePersonalEmailRule(default_nicknames()), a, b) == {("crm/people/1", "zendesk/people/2")}


def test_role_mailbox_is_never_a_key() -> None:
    """Hard negative: colleagues who both left info@acme.com."""
    a = person("1", first_name="Ann", last_name="Lee", email="info@acme.com")
    b = person("2", first_name="Ann", last_name="Lee", email="info@acme.com")
    assert _linked(SamePersonalEmailRule(default_nicknames()), a, b) == set()


def test_address_shared_by_people_with_different_names_is_not_a_key() -> None:
    """Hard negative: a family address (smiths@) used by John and by Mary."""
    a = person("1", first_name="John", last_name="Smith", email="smiths@gmail.com")
    b = person("2", first_name="Mary", last_name="Smith", email="smiths@gmail.com")
    c = person("3", first_name="Johnny", last_name="Smith", email="smiths@gmail.com")
    assert _linked(SamePersonalEmailRule(default_nicknames()), a, b, c) == set()


def test_personal_email_with_swapped_names_still_links() -> None:
    a = person("1", first_name="Zoe", last_name="Ishric", email="zoe.ishric@outlook.com")
    b = person("2", first_name="Ishric", email="zoe.ishric+crm@outlook.com")
    assert _linked(SamePersonalEmailRule(default_nicknames()), a, b) == {("crm/people/1", "crm/people/2")}


def test_corporate_plus_tag_is_not_assumed_to_be_ignored() -> None:
    a = person("1", first_name="Bob", email="bob+crm@acme.com")
    b = person("2", first_name="Bob", email="bob@acme.com")
    assert _linked(SamePersonalEmailRule(default_nicknames()), a, b) == set()


def test_same_phone_and_surname_links_nicknames() -> None:
    a = person("1", first_name="Robert", last_name="Smith", phone="+442079460958")
    b = person("2", first_name="Bob", last_name="Smith", mobile="+442079460958")
    assert _linked(SamePhoneAndSurnameRule(default_nicknames()), a, b) == {("crm/people/1", "crm/people/2")}


def test_family_sharing_phone_and_surname_is_not_linked() -> None:
    """Hard negative: John and Mary Smith on the family landline."""
    a = person("1", first_name="John", last_name="Smith", phone="+442079460958")
    b = person("2", first_name="Mary", last_name="Smith", phone="+442079460958")
    assert _linked(SamePhoneAndSurnameRule(default_nicknames()), a, b) == set()


def test_phone_and_surname_needs_both_first_names() -> None:
    a = person("1", first_name="John", last_name="Smith", phone="+442079460958")
    b = person("2", last_name="Smith", phone="+442079460958")
    assert _linked(SamePhoneAndSurnameRule(default_nicknames()), a, b) == set()


def test_phone_and_surname_refuses_different_dates_of_birth() -> None:
    """Hard negative: father and son, both John Smith, on one landline."""
    a = person("1", first_name="John", last_name="Smith", phone="+442079460958", date_of_birth="1960-01-01")
    b = person("2", first_name="John", last_name="Smith", phone="+442079460958", date_of_birth="1990-05-05")
    assert _linked(SamePhoneAndSurnameRule(default_nicknames()), a, b) == set()


def test_a_group_links_each_member_to_an_earlier_compatible_one() -> None:
    people = [person(str(i), first_name="Robert", last_name="Smith", phone="+442079460958") for i in range(4)]
    links = _linked(SamePhoneAndSurnameRule(default_nicknames()), *people)
    assert len(links) == 3


def test_a_landline_shared_by_people_with_incompatible_names_is_no_key() -> None:
    landline = "+441135116512"
    robert = person("1", first_name="Robert", last_name="Zhao", phone=landline)
    william = person("2", first_name="William", last_name="Zhao", phone=landline)
    billy = person("3", first_name="Billy", last_name="Zhao", phone=landline)  # Robert's or William's nickname
    assert _linked(SamePhoneAndSurnameRule(default_nicknames()), robert, william, billy) == set()
    assert table(robert, william, billy).shared_phones == frozenset({landline})


def test_phone_and_surname_refuses_two_own_mailboxes() -> None:
    """Hard negative: Ian is a nickname of John, but Ian and John Berger each have their own address."""
    landline = "+442078747598"
    ian = person("1", first_name="Ian", last_name="Berger", phone=landline, email="berger.ian44@icloud.com")
    john = person("2", first_name="John", last_name="Berger", phone=landline, email="jberger2@outlook.com")
    rule = SamePhoneAndSurnameRule(default_nicknames())
    assert _linked(rule, ian, john) == set()
    assert _linked(rule, person("1", first_name="Ian", last_name="Berger", phone=landline), john) == {
        ("crm/people/1", "crm/people/2")
    }


def test_a_key_shared_by_too_many_records_links_nobody_and_is_logged() -> None:
    crowd = [person(str(i), first_name="Ann", email="ann@acme.com") for i in range(MAX_RULE_GROUP + 1)]
    with capture_logs() as logs:
        assert _linked(SamePersonalEmailRule(default_nicknames()), *crowd) == set()
    skipped = [entry for entry in logs if entry["event"] == "identity.rule_keys_skipped"]
    assert skipped == [
        {"event": "identity.rule_keys_skipped", "log_level": "warning", "rule": "same_personal_email", "keys": 1,
         "max_group": MAX_RULE_GROUP}
    ]  # fmt: skip
    few = _linked(SamePersonalEmailRule(default_nicknames()), *crowd[:3])  # the same key, in a small group
    assert few == {("crm/people/0", "crm/people/1"), ("crm/people/0", "crm/people/2")}
