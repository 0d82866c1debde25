"""The true people behind the identity benchmark's records, and how CRMs write their phones and companies."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz.distance import Levenshtein

from bench.identity_names import first_name, surname
from bench.identity_vocab import (
    CITIES,
    COMPANY_KINDS,
    COMPANY_SUFFIXES,
    COMPANY_WORDS,
    NICKNAMES,
    PERSONAL_DOMAINS,
    ROLE_MAILBOXES,
    STREET_KINDS,
    STREET_NAMES,
    US_AREA_CODES,
)

__all__ = ["Company", "Person", "PersonFactory", "date_typo", "padded", "phone_text", "typo"]

_COUNTRY_CODE = {"GB": "44", "US": "1"}
_EXIT_CODE = {"GB": "00", "US": "011"}
_POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_SUFFIX_SPELLINGS = sorted(
    ((spelling, group) for forms in COMPANY_SUFFIXES.values() for group in forms for spelling in group),
    key=lambda item: -len(item[0]),
)


@dataclass(frozen=True)
class Company:
    """An employer: display name, legal-form spellings, email domain, country."""

    name: str
    legal_forms: tuple[str, ...]
    domain: str
    country: str

    @property
    def display(self) -> str:
        """The name as the company writes it: ``Northwind Logistics Ltd``."""
        suffix = self.legal_forms[0]
        return f"{self.name}{suffix}" if suffix.startswith(",") else f"{self.name} {suffix}"


@dataclass(frozen=True)
class Person:
    """One real person: the clean values every record of theirs derives from."""

    first_name: str
    last_name: str
    email: str
    other_email: str | None
    phone: str  # national significant number, digits only
    country: str
    street: str
    city: str
    postcode: str
    company: Company | None
    date_of_birth: date
    role_mailbox: str | None = None

    def value(self, name: str) -> str:
        """The clean text of one CSV field (phone and email are rendered elsewhere)."""
        if name == "company":
            return self.company.display if self.company else ""
        if name == "date_of_birth":
            return self.date_of_birth.isoformat()
        if name == "phone":
            return f"+{_COUNTRY_CODE[self.country]}{self.phone}"
        return str(getattr(self, name))


class PersonFactory:
    """Makes people, households and teams with unique emails and phones (unless shared on purpose)."""

    def __init__(self, rng: random.Random, *, n_companies: int) -> None:
        self._rng = rng
        self._emails: set[str] = set()
        self._all_locals: set[str] = set()
        self._personal_locals: set[str] = set()
        self._phones: set[str] = set()
        self._domains: set[str] = set()
        self._companies: dict[str, list[Company]] = {"GB": [], "US": []}
        self._n_companies = n_companies

    def person(self, *, company: Company | None = None, country: str | None = None) -> Person:
        """One person with their own email, mobile phone and address."""
        rng = self._rng
        country = country or (company.country if company else rng.choices(("GB", "US"), weights=(6, 4))[0])
        if company is None and rng.random() < 0.85:
            company = self._company(country)
        first, last = first_name(rng), surname(rng)
        street, city, postcode = self._address(country)
        work = self._work_email(first, last, company) if company else None
        personal = self._personal_email(first, last, country)
        use_work = work is not None and rng.random() < 0.6
        email, other = (work, personal) if use_work and work else (personal, work)
        return Person(
            first_name=first,
            last_name=last,
            email=email,
            other_email=other,
            phone=self._mobile(country),
            country=country,
            street=street,
            city=city,
            postcode=postcode,
            company=company,
            date_of_birth=_birthday(rng, 1950, 2005),
        )

    def household(self, size: int) -> list[Person]:
        """``size`` family members sharing surname, address and home phone; distinct first names and birthdays."""
        rng = self._rng
        head = self.person()
        phone, taken = self._landline(head.country), _name_family(head.first_name)
        members = [_replace(head, phone=phone, other_email=None)]
        while len(members) < size:
            first = first_name(rng)
            if _name_family(first) & taken or any(_alike(first, m.first_name) for m in members):
                continue
            taken |= _name_family(first)
            born = _birthday(rng, 1950, 1985) if len(members) == 1 else _birthday(rng, 1986, 2005)
            email = self._personal_email(first, head.last_name, head.country)
            members.append(_replace(members[0], first_name=first, email=email, date_of_birth=born, company=None))
        return members

    def team(self, size: int) -> list[Person]:
        """``size`` colleagues at one company whose support tickets come from one role mailbox."""
        rng = self._rng
        company = self._new_company(rng.choices(("GB", "US"), weights=(6, 4))[0])
        mailbox = f"{rng.choice(ROLE_MAILBOXES)}@{company.domain}"  # a new domain: nobody else uses it
        self._emails.add(_email_key(mailbox))
        members: list[Person] = []
        names: set[tuple[str, str]] = set()
        while len(members) < size:
            member = self.person(company=company)
            if (member.first_name, member.last_name) in names or member.email == member.other_email:
                continue
            names.add((member.first_name, member.last_name))
            work = member.email if member.email.endswith(company.domain) else member.other_email
            members.append(_replace(member, email=work, other_email=None, role_mailbox=mailbox))
        return members

    @staticmethod
    def company_variant(rng: random.Random, text: str) -> str:
        """The company as another system files it: other suffix spelling, no suffix, other case."""
        base, group = text, ()
        for spelling, forms in _SUFFIX_SPELLINGS:
            if text.endswith(spelling):
                base, group = text[: -len(spelling)].rstrip(" ,"), forms
                break
        choice = rng.choice([*group, "", ""])
        variant = f"{base}{choice}" if choice.startswith(",") else f"{base} {choice}".strip()
        return rng.choice((variant, variant, variant.upper(), variant.lower()))

    def _company(self, country: str) -> Company:
        pool = self._companies[country]
        if len(pool) < self._n_companies // 2 and (not pool or self._rng.random() < 0.3):
            return self._new_company(country)
        return self._rng.choice(pool)

    def _new_company(self, country: str) -> Company:
        rng = self._rng
        while True:
            words = [rng.choice(COMPANY_WORDS)] + ([rng.choice(COMPANY_WORDS)] if rng.random() < 0.5 else [])
            name = " ".join([*words, rng.choice(COMPANY_KINDS)])
            tld = ".co.uk" if country == "GB" and rng.random() < 0.7 else ".com"
            domain = re.sub(r"[^a-z]", "", "".join(words).lower() + name.rsplit(" ", 1)[-1].lower()) + tld
            if domain not in self._domains:
                break
        self._domains.add(domain)
        company = Company(name, rng.choice(COMPANY_SUFFIXES[country]), domain, country)
        self._companies[country].append(company)
        return company

    def _address(self, country: str) -> tuple[str, str, str]:
        rng = self._rng
        city, area = rng.choice(CITIES[country])
        kind = rng.choice(tuple(STREET_KINDS))
        number = rng.randint(1, 220) if country == "GB" else rng.randint(1, 9999)
        street = f"{number} {rng.choice(STREET_NAMES)} {kind}"
        if country == "GB":
            letters = "".join(rng.choice(_POSTCODE_LETTERS) for _ in range(2))
            postcode = f"{area}{rng.randint(1, 20)} {rng.randint(0, 9)}{letters}"
        else:
            postcode = f"{area}{rng.randint(0, 99):02d}"
        return street, city, postcode

    def _unique_email(self, local: str, domain: str, *, personal: bool) -> str:
        """An unused address. A personal address's local part (dots ignored) is used by nobody
        else at any domain, and no work address reuses it: two people never look alike by
        mailbox name alone, so the truth stays unambiguous."""
        local = re.sub(r"\.+", ".", re.sub(r"[^a-z0-9.]", "", local.lower())).strip(".")
        candidate, n = f"{local}@{domain}", 1
        while _email_key(candidate) in self._emails or _loose(candidate) in (
            self._all_locals if personal else self._personal_locals
        ):
            n += 1
            candidate = f"{local}{n}@{domain}"
        self._emails.add(_email_key(candidate))
        self._all_locals.add(_loose(candidate))
        if personal:
            self._personal_locals.add(_loose(candidate))
        return candidate

    def _work_email(self, first: str, last: str, company: Company) -> str:
        pattern = self._rng.choice(("{f}.{l}", "{f}.{l}", "{i}{l}", "{f}{j}", "{f}"))
        local = pattern.format(f=first, l=last, i=first[0], j=last[0])
        return self._unique_email(local, company.domain, personal=False)

    def _personal_email(self, first: str, last: str, country: str) -> str:
        rng = self._rng
        pattern = rng.choice(("{f}.{l}", "{f}{l}", "{i}{l}", "{f}.{l}{n}", "{l}.{f}{n}", "{f}{n}"))
        local = pattern.format(f=first, l=last, i=first[0], n=rng.randint(1, 99))
        return self._unique_email(local, rng.choice(PERSONAL_DOMAINS[country]), personal=True)

    def _mobile(self, country: str) -> str:
        rng = self._rng
        while True:
            if country == "GB":
                number = f"7{rng.randint(4, 9)}{rng.randrange(10**8):08d}"
            else:
                number = f"{rng.choice(US_AREA_CODES)}{rng.randint(2, 9)}{rng.randrange(10**6):06d}"
            if number not in self._phones:
                self._phones.add(number)
                return number

    def _landline(self, country: str) -> str:
        rng = self._rng
        while True:
            area = rng.choice(("20", "161", "113", "121", "117")) if country == "GB" else rng.choice(US_AREA_CODES)
            width = 10 - len(area) if country == "GB" else 7
            number = f"{area}{rng.randint(2, 9)}{rng.randrange(10 ** (width - 1)):0{width - 1}d}"
            if number not in self._phones:
                self._phones.add(number)
                return number


def phone_text(rng: random.Random, number: str, country: str, region: str) -> tuple[str, bool]:
    """Write ``number`` (national digits of ``country``) as a user of a system in ``region`` would.

    Returns the text and whether it is in national format (readable only with the region).
    """
    groups = " ".join(_groups(number, country))
    code = _COUNTRY_CODE[country]
    if country == region and rng.random() < 0.6:
        if country == "US":
            a, b, c = number[:3], number[3:6], number[6:]
            forms = (f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", number, f"1-{a}-{b}-{c}", f"1 ({a}) {b}-{c}")
        else:
            national = f"0{groups}"
            forms = (
                national,
                national.replace(" ", ""),
                national.replace(" ", "-"),
                f"({national.replace(' ', ') ', 1)}",
            )
        return rng.choice(forms), True
    forms = (
        f"+{code} {groups}",
        f"+{code}{number}",
        f"{_EXIT_CODE[region]}{code} {groups}",
        f"+{code}-{groups.replace(' ', '-')}",
    )
    if country == "GB":
        forms = (*forms, f"+44 (0){groups}")
    return rng.choice(forms), False


def padded(text: str) -> str:
    """The text with stray spaces around it, as pasted into a form."""
    return f"  {text} "


def typo(rng: random.Random, word: str) -> str:
    """One keyboard slip: a letter dropped, swapped, replaced or doubled."""
    if len(word) < 4:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    edit = rng.randrange(4)
    if edit == 0:  # delete
        return word[:i] + word[i + 1 :]
    if edit == 1:  # transpose
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == 2:  # substitute
        return word[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def date_typo(rng: random.Random, iso: str) -> str:
    """Day and month swapped, the year's last two digits swapped, or the day or year one off (always a real date)."""
    typo = _date_typo_text(rng, iso)
    try:
        date.fromisoformat(typo)
    except ValueError:  # 29 February moved to a year that has none
        return iso[:-2] + "28"
    return typo


def _date_typo_text(rng: random.Random, iso: str) -> str:
    year, month, day = iso.split("-")
    if int(day) <= 12 and day != month and rng.random() < 0.5:
        return f"{year}-{day}-{month}"
    if year[2] != year[3] and rng.random() < 0.4:
        return f"{year[:2]}{year[3]}{year[2]}-{month}-{day}"
    if rng.random() < 0.5:
        return f"{int(year) + rng.choice((-1, 1))}-{month}-{day}"
    return f"{year}-{month}-{min(28, max(1, int(day) + rng.choice((-1, 1)))):02d}"


def _groups(number: str, country: str) -> list[str]:
    if country == "US":
        return [number[:3], number[3:6], number[6:]]
    if number.startswith("7"):
        return [number[:4], number[4:]]
    if number.startswith("20"):
        return [number[:2], number[2:6], number[6:]]
    return [number[:3], number[3:6], number[6:]]


def _email_key(email: str) -> str:
    local, domain = email.lower().split("@")
    local = local.split("+", 1)[0]
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def _loose(email: str) -> str:
    return email.split("@", 1)[0].split("+", 1)[0].replace(".", "")


def _name_family(first: str) -> set[str]:
    family = {first, *NICKNAMES.get(first, ())}
    family |= {full for full, short in NICKNAMES.items() if family & set(short)}
    return {name.lower() for name in family} | {first.lower()[:3]}


def _alike(a: str, b: str) -> bool:
    """Names a reader could take for one another: close spelling, or one inside the other (Alexandra, Sandra)."""
    a, b = a.lower(), b.lower()
    return Levenshtein.distance(a, b) <= 2 or a in b or b in a or a[:3] == b[:3]


def _birthday(rng: random.Random, oldest: int, youngest: int) -> date:
    start = date(oldest, 1, 1)
    return start + timedelta(days=rng.randrange((date(youngest, 12, 31) - start).days))


def _replace(person: Person, **changes: object) -> Person:
    values = {name: getattr(person, name) for name in Person.__dataclass_fields__}
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]


COUNTRY_SPELLINGS = {
    "GB": ("GB", "gb", "GBR", "826", "United Kingdom", "UNITED KINGDOM", "UK", "England", "Royaume-Uni",
           "Reino Unido", "Vereinigtes Königreich", "Regno Unito"),
    "US": ("US", "us", "USA", "840", "United States", "United States of America", "U.S.A.", "usa",
           "Estados Unidos", "États-Unis", "Etats-Unis", "Vereinigte Staaten", "Stati Uniti"),
}  # fmt: skip
"""How exports write a country: ISO codes in any case, English and other languages' names."""

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def written_date(rng: random.Random, iso: str, country: str) -> str:
    """A date of birth as a system in ``country`` writes it: ISO, compact, numeric in the country's order, or a month name."""
    year, month, day = iso.split("-")
    numeric = f"{month}/{day}/{year}" if country == "US" else f"{day}/{month}/{year}"
    name = _MONTHS[int(month) - 1] if 1 <= int(month) <= 12 else ""
    forms = [iso, f"{year}{month}{day}", numeric, numeric]
    if name:
        forms.append(f"{name} {int(day)}, {year}" if country == "US" else f"{int(day)} {name} {year}")
    return rng.choice(forms)


def sparse_record(rng: random.Random, person: Person, system: str, values: dict[str, str], noise: list[str]) -> None:
    """Make one record like a real export's: contact fields missing, countries and dates written every way.

    Mixpanel keeps its email (its people are keyed by it); a Zendesk user keeps an email or a
    phone (it needs one). Salesforce and HubSpot leads may carry neither.
    """
    drop_email = system in ("salesforce", "hubspot", "zendesk") and values.get("email") and rng.random() < 0.4
    drop_phone = values.get("phone") and rng.random() < 0.45
    if system == "zendesk" and drop_email and drop_phone:
        drop_phone = False
    if person.role_mailbox and system == "zendesk":
        drop_email = False
    if drop_email or drop_phone:
        values["email"] = "" if drop_email else values["email"]
        values["phone"] = "" if drop_phone else values["phone"]
        noise.append("no_contact")
    if values.get("country"):
        values["country"] = rng.choice(COUNTRY_SPELLINGS[person.country])
        noise.append("country_spelling")
    born = values.get("date_of_birth")
    if born:
        if rng.random() < 0.04 and int(born[8:10]) > 12:
            born = f"{born[:4]}-{born[8:10]}-{born[5:7]}"  # day and month swapped: month 13 or more
            noise.append("impossible_date")
        values["date_of_birth"] = written_date(rng, born, person.country)
        if values["date_of_birth"] != born:
            noise.append("date_format")
