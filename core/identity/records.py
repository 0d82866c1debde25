"""The prepared batch: every record normalised once, held as columns.

``prepare_records`` turns canonical ``Person`` records into a ``RecordTable``:
records sorted by their reference (so results never depend on input order),
each comparable field factorised into integer codes over a vocabulary (``-1``
when missing), plus the per-record identifier lists the rules and the
anti-chaining guard read. Everything later works on these arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from core.canonical import IdentifierKind, Person, RecordRef
from core.identity.nicknames import NicknameTable, given_name_level
from core.identity.normalise import (
    NormalisedEmail,
    normalise_company,
    normalise_email,
    normalise_name,
    normalise_postcode,
    normalise_street,
)
from core.identity.roles import RoleMailboxes

__all__ = ["Column", "RecordTable", "factorise", "prepare_records"]

Codes = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Column:
    """One field as integer codes per record over a vocabulary; ``-1`` is missing."""

    codes: Codes
    vocab: list[str]

    def value(self, index: int) -> str:
        """Return record ``index``'s value, ``""`` when missing."""
        code = int(self.codes[index])
        return self.vocab[code] if code >= 0 else ""


def factorise(values: Iterable[str], *, vocab: dict[str, int] | None = None) -> Column:
    """Encode strings as codes; ``""`` becomes ``-1``. A shared ``vocab`` may be passed in."""
    seen: dict[str, int] = {} if vocab is None else vocab
    codes = [seen.setdefault(v, len(seen)) if v else -1 for v in values]
    ordered = [""] * len(seen)
    for text, code in seen.items():
        ordered[code] = text
    return Column(np.asarray(codes, dtype=np.int32), ordered)


@dataclass(frozen=True)
class RecordTable:
    """A batch of people, normalised, sorted by record key, as columns.

    Attributes:
        keys: ``system/stream/source_id`` of each record, ascending.
        refs: The records' references, in the same order.
        people: The records themselves, in the same order (record index → Person).
        first_name, last_name: Normalised names over one shared vocabulary (so a
            swapped first and last name can be detected by code).
        email: The primary personal email, canonical form; role and shared
            mailboxes are missing here.
        email_loose: ``loose_local@domain`` of the primary personal email.
        personal_emails: Every personal email of each record, normalised: role mailboxes
            and shared addresses left out (the only ones rules, blocking and the guard use).
        shared_emails: Canonical personal-looking addresses used by people with
            incompatible first names in this batch (treated like role mailboxes).
        shared_phones: Numbers used by people with incompatible first names in
            this batch (a household's landline): no rule key, missing when scored.
        phone, mobile: E.164 numbers. ``phones``: every number of each record.
        own_ids: ``system:source_id`` of each record itself.
        external_ids: Declared external IDs, ``system:value``, excluding the own ID.
    """

    keys: list[str]
    refs: list[RecordRef]
    people: list[Person]
    first_name: Column
    last_name: Column
    email: Column
    email_loose: Column
    phone: Column
    mobile: Column
    date_of_birth: Column
    company: Column
    street: Column
    postcode: Column
    city: Column
    personal_emails: list[tuple[NormalisedEmail, ...]]
    shared_emails: frozenset[str]
    phones: list[tuple[str, ...]]
    own_ids: list[str]
    external_ids: list[tuple[str, ...]]
    shared_phones: frozenset[str] = frozenset()

    def __len__(self) -> int:
        """Return the number of records."""
        return len(self.keys)


def _memo(func: Callable[[str], str]) -> Callable[[str | None], str]:
    cache: dict[str, str] = {}

    def run(value: str | None) -> str:
        if not value:
            return ""
        found = cache.get(value)
        if found is None:
            found = cache[value] = func(value)
        return found

    return run


def _date_of_birth(person: Person) -> str:
    """``YYYY-MM-DD`` of the date of birth, or of an impossible one as written (``1985-13-05``)."""
    if person.date_of_birth is not None:
        return person.date_of_birth.isoformat()
    return person.date_of_birth_written or ""


def _emails_of(person: Person, normalise: Callable[[str], NormalisedEmail | None]) -> tuple[NormalisedEmail, ...]:
    raw = [person.email] if person.email else []
    raw += [i.value for i in person.identifiers if i.kind is IdentifierKind.EMAIL]
    found: dict[str, NormalisedEmail] = {}
    for value in raw:
        email = normalise(value)
        if email is not None:
            found.setdefault(email.canonical, email)
    return tuple(found.values())


def _phones_of(person: Person) -> tuple[str, ...]:
    raw = [p for p in (person.phone, person.mobile) if p]
    raw += [i.normalised or i.value for i in person.identifiers if i.kind is IdentifierKind.PHONE]
    return tuple(dict.fromkeys(raw))


def _external_ids_of(person: Person) -> tuple[str, ...]:
    own = (person.source.system, person.source.source_id)
    found = {
        f"{i.system}:{i.normalised or i.value}"
        for i in person.identifiers
        if i.kind is IdentifierKind.EXTERNAL_ID and (i.system, i.normalised or i.value) != own
    }
    return tuple(sorted(found))


def _names_clash(a: tuple[str, str], b: tuple[str, str], nicknames: NicknameTable) -> bool:
    """Whether two (first token, surname) pairs cannot be one person's (swaps allowed)."""
    (first_a, last_a), (first_b, last_b) = a, b
    if len(first_a) < 3 or len(first_b) < 3 or given_name_level(first_a, first_b, nicknames) > 0:
        return False
    return not (_same_name(first_a, last_b) or _same_name(first_b, last_a))


def _same_name(a: str, b: str) -> bool:
    """Whether a first name may be the other record's surname: equal, a part of it, or one typo away."""
    if not a or not b:
        return False
    return a == b or a in b.split() or (min(len(a), len(b)) >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1)


def _shared_emails(
    emails: list[tuple[NormalisedEmail, ...]], names: list[tuple[str, str]], nicknames: NicknameTable
) -> frozenset[str]:
    """Addresses used by records whose names cannot be the same person's (``smiths@`` for John and Mary)."""
    values = [tuple(e.canonical for e in found if not e.is_role) for found in emails]
    return _shared_values(values, names, nicknames)


def _shared_values(
    values: list[tuple[str, ...]], names: list[tuple[str, str]], nicknames: NicknameTable
) -> frozenset[str]:
    """Identifier values used by records whose names cannot be one person's (a family's address or landline)."""
    first_name_of: dict[str, tuple[str, str]] = {}
    names_by_value: dict[str, set[tuple[str, str]]] = {}  # only values seen with two or more names
    for found, (first, last) in zip(values, names, strict=True):
        if not first or not found:
            continue
        name = (first.partition(" ")[0], last)
        for value in found:
            first_seen = first_name_of.setdefault(value, name)
            if first_seen != name:
                names_by_value.setdefault(value, {first_seen}).add(name)
    shared = set()
    for value, seen in names_by_value.items():
        ordered = sorted(seen)
        if any(_names_clash(a, b, nicknames) for i, a in enumerate(ordered) for b in ordered[i + 1 :]):
            shared.add(value)
    return frozenset(shared)


def _all_emails(people: Sequence[Person], roles: RoleMailboxes) -> list[tuple[NormalisedEmail, ...]]:
    """Every record's normalised emails; each distinct address is normalised once."""
    cache: dict[str, NormalisedEmail | None] = {}

    def email_of(value: str) -> NormalisedEmail | None:
        if value not in cache:
            cache[value] = normalise_email(value, roles=roles)
        return cache[value]

    return [_emails_of(p, email_of) for p in people]


def _one_vocab(first: Iterable[str], second: Iterable[str]) -> tuple[Column, Column]:
    """Two columns over one vocabulary, which each column holds whole (a swap is then equal codes)."""
    vocab: dict[str, int] = {}
    a, b = factorise(first, vocab=vocab), factorise(second, vocab=vocab)
    return Column(a.codes, b.vocab), b


def prepare_records(people: Sequence[Person], *, nicknames: NicknameTable, roles: RoleMailboxes) -> RecordTable:
    """Normalise a batch of people once and lay it out as columns, sorted by record key.

    Args:
        people: Canonical people; phones are already E.164 (the mapping's ``e164``
            transform or the CSV reader applies each system's default region).
        nicknames: The nickname table, for spotting shared addresses.
        roles: Role mailbox local parts.

    Returns:
        The prepared table; ``len(table) == len(people)``.
    """
    keyed = sorted(((str(p.source), p) for p in people), key=lambda item: item[0])
    ordered = [person for _, person in keyed]
    name, company, street = (
        _memo(lambda v: normalise_name(v, drop_titles=True)),
        _memo(normalise_company),
        _memo(normalise_street),
    )
    plain, postcode = _memo(normalise_name), _memo(normalise_postcode)
    firsts = [name(p.first_name) for p in ordered]
    lasts = [plain(p.last_name) for p in ordered]
    emails, names = _all_emails(ordered, roles), list(zip(firsts, lasts, strict=True))
    shared = _shared_emails(emails, names, nicknames)
    personal = [tuple(e for e in found if not e.is_role and e.canonical not in shared) for found in emails]
    primary = [found[0] if found else None for found in personal]
    phones = [_phones_of(p) for p in ordered]
    first_name, last_name = _one_vocab(firsts, lasts)
    phone, mobile = _one_vocab([(*found, "")[0] for found in phones], [(*found, "", "")[1] for found in phones])
    return RecordTable(
        keys=[key for key, _ in keyed],
        refs=[p.source for p in ordered],
        people=ordered,
        first_name=first_name,
        last_name=last_name,
        email=factorise(e.canonical if e else "" for e in primary),
        email_loose=factorise(f"{e.loose_local}@{e.domain}" if e else "" for e in primary),
        phone=phone,
        mobile=mobile,
        date_of_birth=factorise(_date_of_birth(p) for p in ordered),
        company=factorise(company(p.company) for p in ordered),
        street=factorise(street(p.street) for p in ordered),
        postcode=factorise(postcode(p.postcode) for p in ordered),
        city=factorise(plain(p.city) for p in ordered),
        personal_emails=personal,
        shared_emails=shared,
        phones=phones,
        own_ids=[f"{p.source.system}:{p.source.source_id}" for p in ordered],
        external_ids=[_external_ids_of(p) for p in ordered],
        shared_phones=_shared_values(phones, names, nicknames),
    )
