from __future__ import annotations

import pytest
from cleanco import basename
from cleanco.clean import custom_basename
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import (
    default_role_mailboxes,
    normalise_company,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_street,
)
from core.identity.normalise import _legal_terms_of


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("  Bob.Smith@ACME.com ", "bob.smith@acme.com"),
        ("Bob.Smith+crm@acme.com", "bob.smith+crm@acme.com"),  # Acme may deliver tags elsewhere: kept
        ("Bob.Smith+news@gmail.com", "bobsmith@gmail.com"),  # Gmail ignores dots and tags
        ("b.o.b.smith@googlemail.com", "bobsmith@gmail.com"),
        ("bob.smith+x@outlook.com", "bob.smith@outlook.com"),  # Outlook ignores tags, not dots
        ("\uff42\uff4f\uff42@example.com", "bob@example.com"),  # full-width letters (NFKC)
    ],
)
def test_email_canonical_form_applies_only_real_provider_rules(raw: str, canonical: str) -> None:
    email = normalise_email(raw)
    assert email is not None
    assert email.canonical == canonical


def test_email_loose_local_part_drops_tags_and_dots_for_any_domain() -> None:
    email = normalise_email("Bob.Smith+crm@acme.com")
    assert email is not None
    assert (email.loose_local, email.domain) == ("bobsmith", "acme.com")


def test_equal_forms_of_an_email_are_one_string_and_a_domain_one_for_every_address() -> None:
    # a batch holds a normalised address of each person: equal forms held twice were a third of it
    plain, tagged, other = (normalise_email(v) for v in ("Bob@Acme.com", "bob+x@outlook.com", "Ann@ACME.com."))
    assert plain is not None and tagged is not None and other is not None
    assert plain.canonical is plain.address == "bob@acme.com"
    assert (tagged.address, tagged.canonical) == ("bob+x@outlook.com", "bob@outlook.com")
    assert other.domain is plain.domain and other.address == other.canonical == "ann@acme.com"


@pytest.mark.parametrize("raw", ["", None, "no-at-sign", "@acme.com", "bob@localhost", "bob smith@acme.com"])
def test_email_without_local_part_or_domain_is_none(raw: str | None) -> None:
    assert normalise_email(raw) is None


@pytest.mark.parametrize("local", ["info", "sales", "support", "noreply", "no-reply", "support2", "Info"])
def test_role_mailboxes_are_recognised(local: str) -> None:
    email = normalise_email(f"{local}@acme.com")
    assert email is not None
    assert email.is_role


@pytest.mark.parametrize("local", ["bob.smith", "information.officer", "salesforce.admin.bob", "infobob"])
def test_personal_mailboxes_are_not_roles(local: str) -> None:
    email = normalise_email(f"{local}@acme.com")
    assert email is not None
    assert not email.is_role


def test_extra_role_mailboxes_from_settings() -> None:
    roles = default_role_mailboxes().extended(["accounts-payable"])
    assert roles.is_role("accounts-payable")
    assert not default_role_mailboxes().is_role("accounts-payable")


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", None, "+442079460958"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phone_to_e164_with_default_region(raw: str, region: str | None, e164: str) -> None:
    assert normalise_phone(raw, region=region) == e164


@pytest.mark.parametrize(("raw", "region"), [("020 7946 0958", None), ("12", "GB"), ("call me", "GB"), ("", "GB")])
def test_phone_that_cannot_be_read_is_none(raw: str, region: str | None) -> None:
    assert normalise_phone(raw, region=region) is None


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  ROBERT  ", "robert"),
        ("José-María", "jose maria"),
        ("O'Brien", "obrien"),
        ("Zoë Ørsted", "zoe orsted"),
        ("Straße", "strasse"),
        ("Łukasz", "lukasz"),
        ("", ""),
    ],
)
def test_names_lose_case_accents_and_punctuation(raw: str, normal: str) -> None:
    assert normalise_name(raw) == normal


def test_titles_are_dropped_only_when_asked_and_something_remains() -> None:
    assert normalise_name("Dr. Robert", drop_titles=True) == "robert"
    assert normalise_name("Dr", drop_titles=True) == "dr"
    assert normalise_name("Dr. Robert") == "dr robert"


@pytest.mark.parametrize(
    "raw", ["Acme", "ACME, Inc.", "Acme Inc", "Acme Ltd", "Acme GmbH", "The Acme Company", "Acme LLC"]
)
def test_company_names_lose_legal_suffixes(raw: str) -> None:
    assert normalise_company(raw) == "acme"


def test_company_names_keep_their_real_words() -> None:
    assert normalise_company("Acme Widgets Ltd") == "acme widgets"
    assert normalise_company("Globex") != normalise_company("Acme")


def test_addresses_are_tidied() -> None:
    assert normalise_street("10,  Downing Street") == "10 downing st"
    assert normalise_street("10 downing st.") == "10 downing st"
    assert normalise_postcode(" sw1a 2aa ") == "SW1A2AA"


# fmt: off
_COMPANY_WORDS = [
    "acme", "the", "&", "sons", "co", "co.", "ltd", "ltd.", "inc", "gmbh", "kg", "s.a.", "de", "c.v.", "llc", "pty",
    "limited", "liability", "company", "société", "générale", "ag", "plc", "oy", "ab", "s.r.l.", "bv",
]
# fmt: on


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_COMPANY_WORDS), min_size=1, max_size=6))
def test_legal_suffixes_are_removed_exactly_as_cleanco_does(words: list[str]) -> None:
    name = " ".join(words)
    assert custom_basename(name, _legal_terms_of(name)) == basename(name)
