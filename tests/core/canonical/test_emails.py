"""``check_email`` gives email-validator's verdict and message for every address, each domain checked once."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import emails
from core.canonical.emails import check_email

LOCAL = st.text(alphabet="abcXYZ019._+-!#$%&'*/=?^`{|}~\"(),:;<>@[\\] é漢\u0301\u037e", min_size=0, max_size=70)
DOMAINS = st.sampled_from([
    "example.com", "EXAMPLE.com", "acme.co.uk", "localhost", "invalid", "a..b.com", "-bad.com", "bad-.com",
    "xn--bcher-kva.example", "bücher.example", "例え.テスト", "[127.0.0.1]", "[IPv6:::1]", "", "x" * 64 + ".com",
    ".".join(["abcdefghij"] * 26), "mail.example.test", "ex ample.com", "ex_ample.com", "com", "a.b",
])  # fmt: skip


def _verdict(check, text: str) -> str | None:
    try:
        check(text)
    except EmailNotValidError as err:
        return f"{type(err).__name__}: {err}"
    return None


def _library(text: str) -> None:
    validate_email(text, check_deliverability=False)


@settings(max_examples=600, deadline=None)
@given(local=LOCAL, domain=DOMAINS)
def test_addresses_on_a_few_domains_get_the_libraries_verdict(local, domain):
    text = f"{local}@{domain}"
    assert _verdict(check_email, text) == _verdict(_library, text)
    assert _verdict(check_email, text) == _verdict(_library, text)  # again, from the domain cache


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=90) | st.emails())
def test_any_text_gets_the_libraries_verdict(text):
    assert _verdict(check_email, text) == _verdict(_library, text)


@pytest.mark.parametrize(
    "text",
    ["bob@acme.com", "Bob Smith <bob@acme.com>", '"bob"@acme.com', "bob@[127.0.0.1]", "POSTMASTER@acme.com",
     "a" * 65 + "@acme.com", "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com", "bob@localhost", "bob@", "@acme.com",
     "bob@acme..com", "bob@acme.com.", "bób@acme.com", "bob@acme.c", "bob@@acme.com", "zoë.müller@example.com",
     "bob@\u0338acme.com@example.com", "bob\u0338@acme.com", "a@b@c.com", "bob\\@acme.com", "@", "bob@ acme.com"],
)  # fmt: skip
def test_known_cases_get_the_libraries_verdict(text):
    assert _verdict(check_email, text) == _verdict(_library, text)


def test_each_domain_is_checked_once(monkeypatch):
    emails.clear_domain_cache()
    seen: list[str] = []
    real = emails.validate_email_domain_name

    def counting(domain: str, **kwargs):
        seen.append(domain)
        return real(domain, **kwargs)

    monkeypatch.setattr(emails, "validate_email_domain_name", counting)
    for i in range(50):
        check_email(f"person{i}@example.com")
        with pytest.raises(EmailNotValidError):
            check_email(f"person{i}@invalid")
    assert seen == ["example.com", "invalid"]
