"""Deterministic rules: keys that, when shared, make two records one person.

Rules run in the order the settings list them. Each groups records by its key
and links every member of a group to the first earlier member it is
compatible with, so a group of *n* records yields at most *n - 1* links (enough
for clustering). The anti-chaining guard (``cluster.py``) still vets every link.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt
import structlog

from core.identity.nicknames import NicknameTable, given_name_level
from core.identity.normalise import FREE_MAIL_DOMAINS, dates_of_birth_close
from core.identity.records import RecordTable
from core.identity.settings import RuleName

log = structlog.get_logger(__name__)

__all__ = [
    "MAX_RULE_GROUP",
    "Rule",
    "RuleLinks",
    "SameExternalIdRule",
    "SamePersonalEmailRule",
    "SamePhoneAndSurnameRule",
    "apply_rules",
    "build_rules",
]

MAX_RULE_GROUP = 1000
"""A key shared by more records than this is not treated as identifying anyone."""


@dataclass(frozen=True)
class RuleLinks:
    """Links made by rules: pairs of record indexes and the rule (its position in ``rules``)."""

    left: npt.NDArray[np.int32]
    right: npt.NDArray[np.int32]
    rule: npt.NDArray[np.int16]
    rules: tuple[RuleName, ...]


class Rule(Protocol):
    """A deterministic rule: a name, the keys of a record, and a compatibility check."""

    @property
    def name(self) -> RuleName:
        """The rule's name in settings and explanations."""
        ...

    def keys(self, table: RecordTable, index: int) -> Iterator[str]:
        """Yield the keys of record ``index``."""
        ...

    def compatible(self, table: RecordTable, a: int, b: int) -> bool:
        """Return whether records ``a`` and ``b`` sharing a key may be linked."""
        ...


@dataclass(frozen=True)
class SameExternalIdRule:
    """Records that carry the same ID issued by the same system are one person.

    Matches: a Zendesk user whose ``external_id`` is ``salesforce:003A1`` and the
    Salesforce contact ``salesforce/Contact/003A1``; two HubSpot rows that both cite
    ``salesforce:003A1``. Does not match: ``salesforce:003A1`` and ``zendesk:003A1``
    (same value, different issuers).
    """

    name: ClassVar[RuleName] = RuleName.SAME_EXTERNAL_ID

    def keys(self, table: RecordTable, index: int) -> Iterator[str]:
        """Yield the record's own ``system:source_id`` and its declared external IDs."""
        yield table.own_ids[index]
        yield from table.external_ids[index]

    def compatible(self, table: RecordTable, a: int, b: int) -> bool:
        """External IDs are authoritative: always compatible (the guard still checks)."""
        return True


@dataclass(frozen=True)
class SamePersonalEmailRule:
    """Records with the same personal email (canonical form) and compatible first names.

    Matches: ``Bob.Smith@GoogleMail.com``/``bobsmith+news@gmail.com`` (Gmail ignores
    dots and tags); ``Robert``/``Bob`` at ``r.smith@acme.com``. Does not match:
    ``info@acme.com`` shared by Ann and Raj (a role mailbox); ``smiths@gmail.com``
    used by John and Mary (a shared address: incompatible first names in the batch);
    ``bob+crm@acme.com``/``bob@acme.com`` (Acme may not ignore tags; fuzzy decides).
    """

    nicknames: NicknameTable
    name: ClassVar[RuleName] = RuleName.SAME_PERSONAL_EMAIL

    def keys(self, table: RecordTable, index: int) -> Iterator[str]:
        """Yield the canonical personal emails of the record (no role or shared ones)."""
        for email in table.personal_emails[index]:
            yield email.canonical

    def compatible(self, table: RecordTable, a: int, b: int) -> bool:
        """First names, when both present, must be at least similar (or swapped with the surname)."""
        first_a, first_b = table.first_name.value(a), table.first_name.value(b)
        if not first_a or not first_b or first_a == first_b:
            return True
        if first_a == table.last_name.value(b) or first_b == table.last_name.value(a):
            return True  # swapped first and last names
        return given_name_level(first_a, first_b, self.nicknames) >= 1


@dataclass(frozen=True)
class SamePhoneAndSurnameRule:
    """Records sharing a phone number and surname, whose first names agree.

    Matches: ``+442079460958`` with Robert Smith and Bob Smith; Jonathan/Jonathon
    Smith on the same mobile. Does not match: John and Mary Smith on the family's
    landline (a number used by people with incompatible names is not a key at all);
    Ian and John Berger (Ian is John's nickname) with their own addresses at
    ``icloud.com`` and ``outlook.com``; Smith with no first name on that landline (households share phones,
    so a missing first name is not agreement); dates of birth that are not one typo apart.
    """

    nicknames: NicknameTable
    name: ClassVar[RuleName] = RuleName.SAME_PHONE_AND_SURNAME

    def keys(self, table: RecordTable, index: int) -> Iterator[str]:
        """Yield ``phone|surname`` for each phone of a record that has a surname."""
        surname = table.last_name.value(index)
        if surname:
            for phone in table.phones[index]:
                if phone not in table.shared_phones:  # a household's landline identifies nobody
                    yield f"{phone}|{surname}"

    def compatible(self, table: RecordTable, a: int, b: int) -> bool:
        """First names present and close, nickname or equal; personal mailboxes and dates of birth not different."""
        first_a, first_b = table.first_name.value(a), table.first_name.value(b)
        if not first_a or not first_b:
            return False
        if first_a != first_b and given_name_level(first_a, first_b, self.nicknames) < 2:
            return False
        if _own_mailboxes_differ(table.email_loose.value(a), table.email_loose.value(b)):
            return False
        dob_a, dob_b = table.date_of_birth.value(a), table.date_of_birth.value(b)
        return not dob_a or not dob_b or dates_of_birth_close(dob_a, dob_b)


def _own_mailboxes_differ(a: str, b: str) -> bool:
    """Whether two ``loose_local@domain`` addresses are two people's own free-mail mailboxes."""
    if not a or not b or a.partition("@")[0] == b.partition("@")[0]:
        return False
    return a.rpartition("@")[2] in FREE_MAIL_DOMAINS and b.rpartition("@")[2] in FREE_MAIL_DOMAINS


def build_rules(names: Sequence[RuleName], nicknames: NicknameTable) -> tuple[Rule, ...]:
    """Instantiate the rules named in the settings, in their order."""
    known: dict[RuleName, Rule] = {
        RuleName.SAME_EXTERNAL_ID: SameExternalIdRule(),
        RuleName.SAME_PERSONAL_EMAIL: SamePersonalEmailRule(nicknames),
        RuleName.SAME_PHONE_AND_SURNAME: SamePhoneAndSurnameRule(nicknames),
    }
    return tuple(known[name] for name in names)


def _link_group(rule: Rule, table: RecordTable, members: list[int]) -> Iterator[tuple[int, int]]:
    for position, member in enumerate(members[1:], start=1):
        for earlier in members[:position]:
            if rule.compatible(table, earlier, member):
                yield earlier, member
                break


def apply_rules(table: RecordTable, rules: Sequence[Rule]) -> RuleLinks:
    """Run every rule over the table.

    Returns:
        The links, in rule order then by record index. Groups larger than
        ``MAX_RULE_GROUP`` are skipped, and how many is logged per rule
        (``identity.rule_keys_skipped``).
    """
    left: list[int] = []
    right: list[int] = []
    codes: list[int] = []
    for code, rule in enumerate(rules):
        oversized = 0
        groups: dict[str, list[int]] = {}
        for index in range(len(table)):
            for key in rule.keys(table, index):
                members = groups.setdefault(key, [])
                if not members or members[-1] != index:
                    members.append(index)
        for members in groups.values():
            if len(members) > MAX_RULE_GROUP:
                oversized += 1
                continue
            for a, b in _link_group(rule, table, members) if len(members) > 1 else ():
                left.append(a)
                right.append(b)
                codes.append(code)
        if oversized:
            log.warning("identity.rule_keys_skipped", rule=rule.name.value, keys=oversized, max_group=MAX_RULE_GROUP)
    return RuleLinks(
        left=np.asarray(left, dtype=np.int32),
        right=np.asarray(right, dtype=np.int32),
        rule=np.asarray(codes, dtype=np.int16),
        rules=tuple(rule.name for rule in rules),
    )
