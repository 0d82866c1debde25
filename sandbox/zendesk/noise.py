"""How people look once they have written to a helpdesk: Zendesk's own kinds of noise.

Zendesk users are made by whoever writes in, not by a sales rep, so their names and
numbers are as the channel gave them:

- a name typed in capitals or lower case, written ``Last, First``, or only the email's
  local part (``maya.lindqvist``, what a web form leaves when the name is blank);
- a caller with no email, named after the number (``Caller +1 415 555 0142``), as Zendesk Talk does;
- emails in capitals now and then; phones as typed (``(415) 555-0142``, ``020 7946 0321``,
  ``0044 20 7946 0321``, ``1 (415) 555-0142``, ``+14155550142``) or missing;
- organization names with or without a legal suffix.
"""

from __future__ import annotations

import random

__all__ = ["company_name", "locale_of", "name_of", "national", "phone_of", "spaced"]

_SUFFIXES = ("Inc.", "Ltd", "GmbH", "LLC", "S.A.", "Pty Ltd")
_LOCALES = {"US": ("en-US", "Pacific Time (US & Canada)", "America/Los_Angeles"),
            "GB": ("en-GB", "London", "Europe/London"), "DE": ("de", "Berlin", "Europe/Berlin"),
            "FR": ("fr", "Paris", "Europe/Paris"), "CA": ("en-CA", "Eastern Time (US & Canada)", "America/Toronto"),
            "AU": ("en-AU", "Sydney", "Australia/Sydney")}  # fmt: skip


def locale_of(country: str) -> tuple[str, str, str]:
    """The locale, Zendesk time zone name and IANA zone a person of ``country`` gets (``en-US``...)."""
    return _LOCALES.get(country, ("en-US", "UTC", "Etc/UTC"))


def national(clean: str) -> str:
    """A clean ``+CC …`` number written as it is dialled at home (``020 7946 0321``, ``(415) 555-0142``)."""
    digits = "".join(ch for ch in clean if ch.isdigit())
    if clean.startswith("+1 "):
        rest = digits[1:]
        return f"({rest[:3]}) {rest[3:6]}-{rest[6:]}"
    code, _, rest = clean[1:].partition(" ")
    trunk = "" if code in {"39"} else "0"
    return trunk + rest


def phone_of(rng: random.Random, clean: str) -> str | None:
    """The person's phone as a Zendesk user may hold it; None for about a third of users."""
    roll = rng.random()
    if roll < 0.33:
        return None
    if roll < 0.55:
        return national(clean)
    if roll < 0.70:
        return "+" + "".join(ch for ch in clean if ch.isdigit())
    if roll < 0.78:  # the international prefix as dialled at home: 00 in Europe and Australia, 1 in North America
        return "1 " + national(clean) if clean.startswith("+1 ") else "00" + clean[1:]
    return clean


def name_of(rng: random.Random, first: str, last: str, email: str | None) -> str:
    """The name a Zendesk user carries for this person."""
    roll = rng.random()
    if roll < 0.08:
        return f"{first} {last}".upper()
    if roll < 0.13:
        return f"{first} {last}".lower()
    if roll < 0.17:
        return f"{last}, {first}"
    if roll < 0.22 and email:
        return email.partition("@")[0]
    return f"{first} {last}"


def spaced(rng: random.Random, email: str) -> str:
    """An email as typed: now and then in capitals or with a capitalised local part."""
    roll = rng.random()
    if roll < 0.05:
        return email.upper()
    if roll < 0.09:
        local, _, domain = email.partition("@")
        return f"{local.title()}@{domain}"
    return email


def company_name(rng: random.Random, name: str) -> str:
    """An organization name, with a legal suffix a fifth of the time."""
    return f"{name} {rng.choice(_SUFFIXES)}" if rng.random() < 0.2 else name
