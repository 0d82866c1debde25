"""Blocking keys of single records, for the store's index that incremental resolution searches.

Each key is ``name:value`` with a sub-key; a key held by more records than
``max_block_size`` is narrowed by its sub-key, as in batch blocking. The keys
mirror the batch ones (``blocking.py``) plus the identifiers the deterministic
rules link on (external IDs), so a record meets every record a rule could link
it to.
"""

from __future__ import annotations

from collections.abc import Iterator

import jellyfish

from core.identity.nicknames import NicknameTable
from core.identity.records import RecordTable
from core.identity.settings import BlockingKey

__all__ = ["record_index_keys"]


def _sound(text: str) -> str:
    return jellyfish.soundex(text.replace(" ", "")) if text else ""


def _name_keys(table: RecordTable, i: int, nicknames: NicknameTable) -> Iterator[tuple[str, str]]:
    first, last = table.first_name.value(i), table.last_name.value(i)
    if not (first and last):
        return
    place = table.postcode.value(i) or table.city.value(i)
    for given in nicknames.name_keys(first.split()[0]):
        yield f"{BlockingKey.NAMES_SORTED.value}:{'|'.join(sorted((given, last)))}", place
        yield f"{BlockingKey.FIRST_NAME_SURNAME_INITIAL.value}:{given}|{last[:2]}", table.company.value(i) or place
    yield f"{BlockingKey.SURNAME_SOUND_FIRST_INITIAL.value}:{_sound(last)}|{first[:2]}", _sound(first)
    if postcode := table.postcode.value(i):
        yield f"{BlockingKey.POSTCODE_SURNAME.value}:{postcode}|{_sound(last)}", ""
    if company := table.company.value(i):
        yield f"{BlockingKey.COMPANY_SURNAME.value}:{company}|{_sound(last)}|{first[:1]}", ""


def _contact_keys(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
    last = table.last_name.value(i)
    for email in table.emails[i]:
        if email.is_role or email.canonical in table.shared_emails:
            continue
        yield f"{BlockingKey.EMAIL.value}:{email.canonical}", ""
        if len(email.loose_local) >= 4:
            yield f"{BlockingKey.EMAIL_LOCAL_PART.value}:{email.loose_local}", email.domain
    for number in table.phones[i]:
        yield f"{BlockingKey.PHONE.value}:{number}", last[:1]
    if dob := table.date_of_birth.value(i):
        yield f"{BlockingKey.DATE_OF_BIRTH.value}:{dob}", last[:1]
    yield f"external_id:{table.own_ids[i]}", ""
    for external in table.external_ids[i]:
        yield f"external_id:{external}", ""


def record_index_keys(table: RecordTable, index: int, nicknames: NicknameTable) -> list[tuple[str, str]]:
    """Return the distinct ``(key, sub_key)`` pairs of record ``index`` of ``table``.

    Example keys: ``email:bob@acme.com``, ``phone:+442079460958`` (sub-key the
    surname's initial), ``names_sorted:robert|smith`` (sub-key the postcode),
    ``external_id:salesforce:003A1``.
    """
    found = dict.fromkeys([*_contact_keys(table, index), *_name_keys(table, index, nicknames)])
    return [(key[:255], sub[:255]) for key, sub in found]
