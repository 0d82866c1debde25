"""The prepared batch: every record normalised once, held as columns.

``prepare_records`` turns canonical ``Person`` records (or their JSON as the store wrote
it, ``PersonText``) into a ``RecordTable``:
records sorted by their reference (so results never depend on input order),
each comparable field factorised into integer codes over a vocabulary (``-1``
when missing), plus the per-record identifier lists the rules and the
anti-chaining guard read. Everything later works on these arrays.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, cast, overload

import numpy as np
import numpy.typing as npt
import orjson
from rapidfuzz.distance import OSA

from core.canonical import STORED, IdentifierKind, Person, RecordRef
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
from core.store.types import canonical_json

__all__ = [
    "Column",
    "PersonText",
    "RecordRefs",
    "RecordTable",
    "StoredPeople",
    "factorise",
    "person_json",
    "person_text",
    "prepare_records",
    "stored_person",
]

Codes = npt.NDArray[np.int32]
_H = TypeVar("_H")
_T = TypeVar("_T")


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
        keys: ``system/stream/source_id`` of each record, ascending (``refs``: the same as
            ``RecordRef`` objects, made when read).
        people: The records themselves, in the same order (record index → Person); a
            ``StoredPeople`` when prepared ``compact``.
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
    people: Sequence[Person]
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

    @property
    def refs(self) -> RecordRefs:
        """The records' references, in the order of ``keys``."""
        return RecordRefs(self.keys)


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


def _date_of_birth(person: Mapping[str, Any]) -> str:
    """``YYYY-MM-DD`` of the date of birth, or of an impossible one as written (``1985-13-05``)."""
    return person.get("date_of_birth") or person.get("date_of_birth_written") or ""


def _identifiers(person: Mapping[str, Any], kind: IdentifierKind) -> list[Mapping[str, Any]]:
    return [i for i in person.get("identifiers") or () if i["kind"] == kind]


def _emails_of(
    person: Mapping[str, Any], normalise: Callable[[str], NormalisedEmail | None]
) -> tuple[NormalisedEmail, ...]:
    raw = [person["email"]] if person.get("email") else []
    raw += [i["value"] for i in _identifiers(person, IdentifierKind.EMAIL)]
    found: dict[str, NormalisedEmail] = {}
    for value in raw:
        email = normalise(value)
        if email is not None:
            found.setdefault(email.canonical, email)
    return tuple(found.values())


def _phones_of(person: Mapping[str, Any]) -> tuple[str, ...]:
    raw = [p for p in (person.get("phone"), person.get("mobile")) if p]
    raw += [i.get("normalised") or i["value"] for i in _identifiers(person, IdentifierKind.PHONE)]
    return tuple(dict.fromkeys(raw))


def _external_ids_of(person: Mapping[str, Any]) -> tuple[str, ...]:
    source = person["source"]
    own = (source["system"], source["source_id"])
    found = {
        f"{i.get('system')}:{i.get('normalised') or i['value']}"
        for i in _identifiers(person, IdentifierKind.EXTERNAL_ID)
        if (i.get("system"), i.get("normalised") or i["value"]) != own
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


def _email_normaliser(roles: RoleMailboxes) -> Callable[[str], NormalisedEmail | None]:
    """``normalise_email`` with each distinct address normalised once."""
    cache: dict[str, NormalisedEmail | None] = {}

    def email_of(value: str) -> NormalisedEmail | None:
        if value not in cache:
            cache[value] = normalise_email(value, roles=roles)
        return cache[value]

    return email_of


def _one_vocab(first: Iterable[str], second: Iterable[str]) -> tuple[Column, Column]:
    """Two columns over one vocabulary, which each column holds whole (a swap is then equal codes)."""
    vocab: dict[str, int] = {}
    a, b = factorise(first, vocab=vocab), factorise(second, vocab=vocab)
    return Column(a.codes, b.vocab), b


def person_json(person: Person) -> str:
    """Return a Person as canonical JSON text (what the identity index keeps, and ``StoredPeople`` holds)."""
    return person_text(person.model_dump(mode="json"))


def person_text(data: Mapping[str, Any]) -> str:
    """Return a Person's JSON data (as it dumps, or as the store wrote it) as its canonical text: ``person_json``."""
    return canonical_json(data)


def read_person_json(text: str) -> dict[str, Any]:
    """A stored Person's JSON text parsed: ``json.loads``' dict, read by orjson.

    A Person's JSON holds strings, booleans, nulls, lists and objects and no number (its
    model forbids other fields), which orjson reads to the same values a fifth faster: it
    counts where a batch reads every stored person, once to prepare it and once more for
    its golden record. A text orjson refuses (one holding a lone surrogate escape, which
    ``json.loads`` takes) is read by ``json.loads``.

    Raises:
        ValueError: When the text is not JSON (``json.JSONDecodeError``).
    """
    try:
        return cast(dict[str, Any], orjson.loads(str(text) if type(text) is not str else text))  # not a str subclass
    except orjson.JSONDecodeError:
        return cast(dict[str, Any], json.loads(text))


def _data_of(person: Person | PersonText) -> dict[str, Any]:
    """A person's JSON data: parsed from the store's text, or dumped from the Person (the same for one written)."""
    if isinstance(person, PersonText):
        return read_person_json(person)
    return person.model_dump(mode="json")


def stored_person(text: str) -> Person:
    """Rebuild a Person from the canonical JSON the store wrote.

    The store wrote it from a validated Person, so email syntax and phone numbers are
    not checked again (``STORED``): that would cost more than resolving the record,
    and a stricter check today must not make yesterday's records unreadable.
    """
    return Person.model_validate_json(text, context=STORED)


class PersonText(str):
    """A Person's JSON as the store wrote it from a validated Person (``Records.iter_canonical_texts``).

    ``prepare_records`` reads a batch's fields from the JSON itself: building each Person
    first (``stored_person``) would cost more than normalising it, and the store checked
    the values when it wrote them. A Person is made from it only when one is asked for
    again (a golden record of several people).
    """

    __slots__ = ()


class _MadeOnRead(Sequence[_T], Generic[_H, _T]):
    """A sequence that holds a lighter form of its items and makes each item from it when read."""

    def __init__(self, held: Sequence[_H], make: Callable[[_H], _T]) -> None:
        self._held = held
        self._make = make

    def __len__(self) -> int:
        """Return the number of items."""
        return len(self._held)

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> list[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | list[_T]:
        """Return one item (or a list of them), made from what is held."""
        if isinstance(index, slice):
            return [self._make(held) for held in self._held[index]]
        return self._make(self._held[index])

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of equal items in the same order."""
        return (
            isinstance(other, Sequence)
            and len(other) == len(self)
            and all(a == b for a, b in zip(self, other, strict=True))
        )

    __hash__ = None  # type: ignore[assignment]


class RecordRefs(_MadeOnRead[str, RecordRef]):
    """Record references read from their keys when asked for (a batch keeps the keys only)."""

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__(keys, RecordRef.parse)


@cache
def _shape() -> bytes:
    """A canonical Person's JSON with placeholder values: the preset dictionary of ``StoredPeople``.

    Every text shares its field names and most of its punctuation with it, so a person
    compresses to about a quarter of its text where on its own it would not reach half.
    """
    ids = [
        {"kind": kind, "value": value, "system": system}
        for kind, value, system in (
            ("external_id", "0", "hubspot"),
            ("email", "a@example.com", None),
            ("phone", "+1", None),
        )
    ]
    person = Person(
        source=RecordRef(system="salesforce", stream="Contact", source_id="0"), identifiers=ids, country="US",
        created_at="2025-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    return person_json(person).encode()


class StoredPeople(_MadeOnRead[bytes, Person]):
    """A batch's people held as their JSON text, compressed, each made a Person again when asked for.

    The text is the one the store gave (``PersonText``: SQLite's canonical text, PostgreSQL's
    JSONB layout of the same values), or ``person_json`` of a Person given as an object.

    A Person object with its nested identifiers takes about six times the memory of its
    text, and the text about four times its compressed form (deflate with the shape of a
    person's JSON as preset dictionary: a few microseconds each way); a batch that only
    reads its people again for golden records and the index (the store's resolution)
    holds them like this.
    """

    def __init__(self, packed: list[bytes]) -> None:
        super().__init__(packed, lambda item: stored_person(_unpack(item)))

    @staticmethod
    def pack(text: str) -> bytes:
        """One person's JSON text, compressed as ``StoredPeople`` holds it."""
        packer = zlib.compressobj(1, zdict=_shape())
        return packer.compress(text.encode()) + packer.flush()

    def text(self, index: int) -> str:
        """Return one person's JSON text, as it was given."""
        return _unpack(self._held[index])

    def texts(self) -> Iterator[str]:
        """Yield every person's JSON text, as it was given, in order."""
        return (_unpack(item) for item in self._held)


def _unpack(packed: bytes) -> str:
    return zlib.decompressobj(zdict=_shape()).decompress(packed).decode()


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One person's normalised values, all ``prepare_records`` keeps of it (with its text, when compact)."""

    key: str
    own_id: str
    person: Person | bytes
    first: str
    last: str
    emails: tuple[NormalisedEmail, ...]
    phones: tuple[str, ...]
    date_of_birth: str
    company: str
    street: str
    postcode: str
    city: str
    external_ids: tuple[str, ...]


def prepare_records(
    people: Iterable[Person | PersonText], *, nicknames: NicknameTable, roles: RoleMailboxes, compact: bool = False
) -> RecordTable:
    """Normalise a batch of people once and lay it out as columns, sorted by record key.

    Args:
        people: Canonical people, or their JSON as the store wrote it (``PersonText``);
            phones are already E.164 (the mapping's ``e164`` transform or the CSV reader
            applies each system's default region). Read once, in one pass: a generator is
            enough.
        nicknames: The nickname table, for spotting shared addresses.
        roles: Role mailbox local parts.
        compact: Keep each person as its JSON text, compressed (``StoredPeople``), instead of
            the object: a sixth of the memory, one rebuild per person read again.

    Returns:
        The prepared table; ``len(table)`` is the number of people.
    """
    name, company, street = (
        _memo(lambda v: normalise_name(v, drop_titles=True)),
        _memo(normalise_company),
        _memo(normalise_street),
    )
    plain, postcode, email_of = _memo(normalise_name), _memo(normalise_postcode), _email_normaliser(roles)

    def prepared(person: Person | PersonText) -> _Prepared:
        data = _data_of(person)  # one reading of the fields for both forms
        if compact:
            held: Person | bytes = StoredPeople.pack(person if isinstance(person, PersonText) else person_text(data))
        else:
            held = stored_person(person) if isinstance(person, PersonText) else person
        source, get = data["source"], data.get
        return _Prepared(
            f"{source['system']}/{source['stream']}/{source['source_id']}", f"{source['system']}:{source['source_id']}",
            held, name(get("first_name")), plain(get("last_name")), _emails_of(data, email_of), _phones_of(data),
            _date_of_birth(data), company(get("company")), street(get("street")), postcode(get("postcode")),
            plain(get("city")), _external_ids_of(data),
        )  # fmt: skip

    rows = sorted((prepared(p) for p in people), key=lambda row: row.key)
    firsts, lasts = [r.first for r in rows], [r.last for r in rows]
    emails, names = [r.emails for r in rows], list(zip(firsts, lasts, strict=True))
    shared = _shared_emails(emails, names, nicknames)
    personal = [tuple(e for e in found if not e.is_role and e.canonical not in shared) for found in emails]
    primary = [found[0] if found else None for found in personal]
    phones = [r.phones for r in rows]
    first_name, last_name = _one_vocab(firsts, lasts)
    phone, mobile = _one_vocab([(*found, "")[0] for found in phones], [(*found, "", "")[1] for found in phones])
    held = [r.person for r in rows]
    return RecordTable(
        keys=[r.key for r in rows],
        people=StoredPeople(cast(list[bytes], held)) if compact else cast(list[Person], held),
        first_name=first_name,
        last_name=last_name,
        email=factorise(e.canonical if e else "" for e in primary),
        email_loose=factorise(f"{e.loose_local}@{e.domain}" if e else "" for e in primary),
        phone=phone,
        mobile=mobile,
        date_of_birth=factorise(r.date_of_birth for r in rows),
        company=factorise(r.company for r in rows),
        street=factorise(r.street for r in rows),
        postcode=factorise(r.postcode for r in rows),
        city=factorise(r.city for r in rows),
        personal_emails=personal,
        shared_emails=shared,
        phones=phones,
        own_ids=[r.own_id for r in rows],
        external_ids=[r.external_ids for r in rows],
        shared_phones=_shared_values(phones, names, nicknames),
    )
