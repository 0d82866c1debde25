"""Normalisers: the comparable form of emails, phones, names, companies and addresses.

Each function is pure and total: it returns the normalised value, or ``None``
(``""`` for free text) when nothing usable is left. They are applied once per
record before rules, blocking and comparison see it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from cleanco.clean import custom_basename, normalized, prepare_default_terms, strip_punct
from rapidfuzz.distance import OSA

from core.identity.roles import RoleMailboxes, default_role_mailboxes

__all__ = [
    "FREE_MAIL_DOMAINS",
    "NormalisedEmail",
    "clear_memos",
    "dates_of_birth_close",
    "email_organisation",
    "house_number",
    "normalise_company",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "normalise_postcode",
    "normalise_street",
    "street_name",
    "strip_accents",
]

_DOTS_AND_TAGS = frozenset({"gmail.com"})
"""Providers that ignore dots in the local part and everything after '+'."""
_TAGS_ONLY = frozenset(
    {
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "fastmail.com",
        "fastmail.fm",
        "protonmail.com",
        "proton.me",
        "pm.me",
    }
)
"""Providers that deliver ``name+anything@`` to ``name@`` but keep dots significant."""
_DOMAIN_ALIASES = {"googlemail.com": "gmail.com"}
FREE_MAIL_DOMAINS = (
    _DOTS_AND_TAGS
    | _TAGS_ONLY
    | frozenset(
        {
            "yahoo.com",
            "yahoo.co.uk",
            "ymail.com",
            "aol.com",
            "gmx.com",
            "gmx.de",
            "gmx.net",
            "web.de",
            "mail.com",
            "zoho.com",
            "yandex.com",
            "yandex.ru",
            "mail.ru",
            "qq.com",
            "163.com",
            "comcast.net",
            "verizon.net",
            "att.net",
            "sbcglobal.net",
            "btinternet.com",
            "sky.com",
            "virginmedia.com",
            "talktalk.net",
            "orange.fr",
            "free.fr",
            "libero.it",
            "hotmail.fr",
            "live.co.uk",
            "outlook.co.uk",
        }
    )
)
"""Providers whose addresses belong to individuals, not to an organisation."""

_SPECIAL_LETTERS = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "đ": "d", "þ": "th"}
)
_APOSTROPHES = re.compile("['\u2019`\u00b4]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"})
_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "drive": "dr",
    "lane": "ln",
    "boulevard": "blvd",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "terrace": "ter",
    "crescent": "cres",
    "close": "cl",
    "highway": "hwy",
    "parkway": "pkwy",
    "suite": "ste",
    "apartment": "apt",
    "floor": "fl",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


@dataclass(frozen=True, slots=True)
class NormalisedEmail:
    """An email address in its comparable forms.

    Attributes:
        address: Trimmed, NFKC and lowercased, e.g. ``bob.smith+crm@gmail.com``.
        canonical: With the provider's own equivalences applied (Gmail ignores dots
            and ``+tags``; Outlook, iCloud, Fastmail and Proton ignore ``+tags``),
            e.g. ``bobsmith@gmail.com``. Safe as a deterministic key.
        local: The canonical local part.
        domain: The canonical domain.
        loose_local: The local part without ``+tag`` and dots, whatever the
            provider: only for fuzzy comparison and blocking, never a key.
        is_role: Whether the local part is a role mailbox (``info``, ``sales``…).
    """

    address: str
    canonical: str
    local: str
    domain: str
    loose_local: str
    is_role: bool


def strip_accents(text: str) -> str:
    """Return ``text`` without diacritics: ``Zoë Ørsted`` → ``Zoe Orsted``."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_email(value: str | None, *, roles: RoleMailboxes | None = None) -> NormalisedEmail | None:
    """Normalise an email address; ``None`` when it has no usable local part and domain.

    Examples:
        >>> normalise_email("  Bob.Smith+CRM@GoogleMail.com ").canonical
        'bobsmith@gmail.com'
        >>> normalise_email("bob.smith+crm@acme.com").canonical
        'bob.smith+crm@acme.com'
        >>> normalise_email("info@acme.com").is_role
        True
    """
    if not value:
        return None
    address = (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip().lower()
    local, sep, domain = address.rpartition("@")
    domain = domain.strip(".")
    if not sep or not local or "." not in domain or " " in address:
        return None
    domain = _DOMAIN_ALIASES.get(domain, domain)
    untagged = local.split("+", 1)[0] or local
    canonical_local = local
    if domain in _DOTS_AND_TAGS:
        canonical_local = untagged.replace(".", "")
    elif domain in _TAGS_ONLY:
        canonical_local = untagged
    is_role = (roles or default_role_mailboxes()).is_role(untagged)
    # equal forms share one string, and a domain is one string for every address at it: a
    # batch holds the addresses of each of its people, about a third of what it holds of them
    domain = sys.intern(domain)
    whole = f"{local}@{domain}"
    whole = address if whole == address else whole
    return NormalisedEmail(
        address=whole,
        canonical=whole if canonical_local is local else f"{canonical_local}@{domain}",
        local=canonical_local,
        domain=domain,
        loose_local=untagged.replace(".", ""),
        is_role=is_role,
    )


def normalise_phone(value: str | None, *, region: str | None = None) -> str | None:
    """Return a phone number in E.164 form, or ``None`` when it is not a possible number.

    ``region`` (ISO 3166-1 alpha-2) is the system's default for numbers written
    without a country code.

    Examples:
        >>> normalise_phone("020 7946 0958", region="GB")
        '+442079460958'
        >>> normalise_phone("(415) 555-2671", region="US")
        '+14155552671'
        >>> normalise_phone("12", region="GB") is None
        True
    """
    if not value or not value.strip():
        return None
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_name(value: str | None, *, drop_titles: bool = False) -> str:
    """Return a person's name lowercased, without accents, punctuation or extra spaces.

    Apostrophes vanish (``O'Brien`` → ``obrien``); hyphens and other punctuation
    become spaces. With ``drop_titles``, a leading ``Mr``/``Dr``… is removed.

    Examples:
        >>> normalise_name("  José-María  O'Brien ")
        'jose maria obrien'
        >>> normalise_name("Dr. Robert", drop_titles=True)
        'robert'
    """
    if not value:
        return ""
    text = _APOSTROPHES.sub("", strip_accents(value).lower())
    tokens = _NON_ALNUM.sub(" ", text).split()
    if drop_titles and len(tokens) > 1 and tokens[0] in _TITLES:
        tokens = tokens[1:]
    return " ".join(tokens)


@lru_cache(maxsize=65536)
def normalise_company(value: str | None) -> str:
    """Return a company name without its legal form, case, accents or punctuation.

    Legal suffixes are recognised by ``cleanco`` (Inc, Ltd, GmbH, S.A., LLC…).

    Examples:
        >>> normalise_company("ACME, Inc."), normalise_company("Acme GmbH"), normalise_company("The Acme Company Ltd")
        ('acme', 'acme', 'acme')
    """
    if not value or not value.strip():
        return ""
    return _company(" ".join(value.split()).lower())


_LEGAL_TERMS = prepare_default_terms()
"""cleanco's legal-form terms, ``(token count, tokens)``, in the order it tries them."""
_TERMS_BY_LAST_TOKEN: dict[str, list[int]] = {}
for _position, (_, _tokens) in enumerate(_LEGAL_TERMS):
    _TERMS_BY_LAST_TOKEN.setdefault(_tokens[-1], []).append(_position)


def _legal_terms_of(name: str) -> list[tuple[int, list[str]]]:
    """The terms that can end ``name``: those whose last token is one of its tokens, in cleanco's order.

    cleanco only removes terms from the end, and a term can only end the name once
    its last token is there, so trying just these gives cleanco's own result
    while skipping the hundreds of terms that cannot apply.
    """
    tokens = {strip_punct(token) for token in normalized(name).split()}
    positions = sorted(p for token in tokens for p in _TERMS_BY_LAST_TOKEN.get(token, ()))
    return [_LEGAL_TERMS[p] for p in positions]


@lru_cache(maxsize=65536)
def _company(value: str) -> str:
    """``normalise_company`` of a lowercase, single-spaced name (case variants share one cache entry)."""
    base = custom_basename(value, _legal_terms_of(value))
    tokens = normalise_name(base or value).split()
    if tokens and tokens[0] == "the":
        tokens = tokens[1:]
    if len(tokens) > 1 and tokens[-1] in {"company", "co", "corp", "group"}:
        tokens = tokens[:-1]
    return " ".join(tokens)


def normalise_street(value: str | None) -> str:
    """Return a street line tidied: lowercase, no punctuation, common words abbreviated.

    Example:
        >>> normalise_street("10,  Downing Street")
        '10 downing st'
    """
    tokens = normalise_name(value).split()
    if tokens:
        tokens[-1:] = _unglued(tokens[-1])
    return " ".join(_STREET_WORDS.get(token, token) for token in tokens)


_GLUED_WORDS = tuple(sorted((word for word in _STREET_WORDS if len(word) >= 4), key=len, reverse=True))


def _unglued(token: str) -> list[str]:
    """A last word with the street word typed onto it split off: ``rosellastreet`` → ``rosella street``.

    Only when at least three letters are left before it (``broad`` stays one word).
    """
    for word in _GLUED_WORDS:
        if token.endswith(word) and len(token) - len(word) >= 3 and token[: -len(word)].isalpha():
            return [token[: -len(word)], word]
    return [token]


@lru_cache(maxsize=262_144)
def house_number(street: str) -> str:
    """The house number of a normalised street line (its first word with a digit): ``10 downing st`` → ``10``."""
    return next((token for token in street.split() if any(ch.isdigit() for ch in token)), "")


@lru_cache(maxsize=262_144)
def street_name(street: str) -> str:
    """A normalised street line without its numbers: ``10 downing st`` → ``downing st``."""
    return " ".join(token for token in street.split() if not any(ch.isdigit() for ch in token))


def clear_memos() -> None:
    """Forget the remembered companies and street lines (call after a batch).

    A batch over 100,000 people fills them with as many distinct values, which a
    long-lived process (``schedule run``) would otherwise hold until it exits.
    """
    for memo in (normalise_company, _company, house_number, street_name):
        memo.cache_clear()


def normalise_postcode(value: str | None) -> str:
    """Return a postcode uppercase without spaces or punctuation: ``sw1a 2aa`` → ``SW1A2AA``."""
    if not value:
        return ""
    return _NON_ALNUM.sub("", strip_accents(value).lower()).upper()


def email_organisation(domain: str) -> str:
    """The organisation's label of a domain: ``acme`` for ``acme.com`` and ``mail.acme.co.uk``."""
    labels = domain.split(".")
    short_suffix = len(labels) >= 3 and len(labels[-1]) == 2 and len(labels[-2]) <= 3
    return labels[-3] if short_suffix else labels[-2] if len(labels) >= 2 else domain


def dates_of_birth_close(a: str, b: str) -> bool:
    """Whether two ISO dates can be one date of birth mistyped.

    Close: one digit different or two adjacent digits swapped (``1960``/``1906``),
    day and month swapped, or the same day and month one year apart, or the same
    year and month one day apart (``1989-05-04``/``1990-05-04``, ``…-09``/``…-10``).
    """
    if a == b:
        return True
    if len(a) != 10 or len(b) != 10:
        return False
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    year_a, month_a, day_a = a[:4], a[5:7], a[8:10]
    year_b, month_b, day_b = b[:4], b[5:7], b[8:10]
    if year_a == year_b and month_a == day_b and day_a == month_b:
        return True
    if not (year_a + month_a + day_a + year_b + month_b + day_b).isdigit():
        return False
    if month_a == month_b and day_a == day_b:
        return abs(int(year_a) - int(year_b)) == 1
    return year_a == year_b and month_a == month_b and abs(int(day_a) - int(day_b)) == 1
