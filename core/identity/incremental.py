"""Incremental resolution: one new or changed record against the stored profiles, no batch re-run.

    resolve_one(store, person, settings) ─→ LinkDecision
      the record's blocking keys ─→ identity_block_keys (indexed; a key held by more than
        max_block_size records is narrowed by its sub-key) ─→ candidate records
      ─→ every record of the candidates' profiles (and of its own) from the store
      ─→ rules and comparisons of the batch engine, scored with the stored model
      ─→ pins first (must-link joins, cannot-link excludes), then the strongest link
         whose profile passes the anti-chaining guard; its own profile when it still
         matches; otherwise a new profile (a changed record that no longer matches leaves)
      ─→ link, index keys and golden records written (and the record's canonical row,
         unchanged when the sync stored it already)

It never merges two existing profiles: a record linking to several lists the
others in ``LinkDecision.also_matches`` and the next batch run merges them.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from core.canonical import Person
from core.errors import IdentityError
from core.identity.cluster import StrongValues, conflict, strong_values
from core.identity.compare import compare_pairs, default_comparisons
from core.identity.decide import lone_disagreement, required_failed
from core.identity.explain import Decision, Explanation, Method, explain_levels
from core.identity.incremental_model import Candidates
from core.identity.index_keys import index_keys
from core.identity.nicknames import NicknameTable, default_nicknames
from core.identity.parameters import ModelParameters, adjustments, match_probability, score
from core.identity.persist import golden_json
from core.identity.records import RecordTable, person_json, prepare_records, stored_person
from core.identity.roles import default_role_mailboxes
from core.identity.rules import build_rules
from core.identity.settings import IdentitySettings
from core.identity.stable import new_profile_id
from core.identity.survivorship import golden_record
from core.store import (
    BlockKeyInput,
    IdentityChange,
    IndexedRecord,
    LinkInput,
    LinkMethod,
    ProfileInput,
    ProfileStatus,
    Store,
)

__all__ = ["MAX_CANDIDATES", "IncrementalResolver", "LinkDecision", "Outcome", "resolve_few", "resolve_one"]

_CACHE_SIZE = 50_000
MAX_CANDIDATES = 12
"""At most this many candidate records (those sharing most blocking keys) per incremental record."""
Levels = npt.NDArray[np.int8]
Floats = npt.NDArray[np.float64]


class Outcome(StrEnum):
    """What became of the record."""

    JOINED = "joined"
    STAYED = "stayed"
    NEW = "new"


@dataclass(frozen=True)
class LinkDecision:
    """Where one record went, and why.

    Attributes:
        record: The record key (``system/stream/source_id``).
        profile_id: The profile it is linked to now.
        outcome: ``joined`` an existing profile, ``stayed`` in its own, or got a ``new`` one.
        left: The profile it was linked to before, when it left it.
        method: ``rule``, ``score`` or ``manual`` (a pin).
        rule: The rule's name (``pin`` for a pin).
        score: The match probability of the deciding link.
        matched: The record it was linked through.
        explanation: The link's explanation (as stored).
        also_matches: Other profiles it links to (the next batch run may merge them).
    """

    record: str
    profile_id: str
    outcome: Outcome
    left: str | None
    method: LinkMethod
    rule: str | None
    score: float | None
    matched: str | None
    explanation: dict[str, object]
    also_matches: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Ranked:
    choices: list[_Choice]
    levels: Levels


@dataclass(frozen=True)
class _Choice:
    profile_id: str
    matched: str
    row: int
    rule: str | None
    forced: int | None = None


class IncrementalResolver:
    """Resolves records one at a time against the profiles in a store, with its stored model.

    Args:
        store: A store on which the batch (``resolve_store``) has run at least once.
        settings: Identity settings (thresholds, rules, survivorship); the defaults when None.
        nicknames: A nickname table; the bundled one by default.

    Raises:
        IdentityError: When the store holds no trained model yet.
    """

    def __init__(
        self, store: Store, settings: IdentitySettings | None = None, *, nicknames: NicknameTable | None = None
    ) -> None:
        self.store = store
        store.checkpoint_wal_in_background()  # no resolve pays for a WAL checkpoint inside its commit
        self.settings = settings or IdentitySettings()
        self.nicknames = nicknames or default_nicknames().fresh()
        stored = store.identity_models.latest()
        if stored is None:
            msg = "no trained identity model in the store"
            raise IdentityError(msg, hint="run `contactpoint identity resolve --store` once first")
        self.model_id = int(stored.model_id or 0)
        self.comparisons = default_comparisons(self.nicknames)
        self.parameters = ModelParameters.from_dict(stored.parameters, self.comparisons)
        self.rules = build_rules(self.settings.rules, self.nicknames)
        self.roles = default_role_mailboxes().extended(self.settings.role_mailboxes)
        self._people: dict[str, Person] = {}
        self._adjustments: Floats = np.zeros((0, len(self.comparisons)))

    def _prepare(self, people: Sequence[Person]) -> RecordTable:
        return prepare_records(people, nicknames=self.nicknames, roles=self.roles)

    def _candidates(self, key: str, keys: list[tuple[str, str]]) -> dict[str, str]:
        """Records sharing the most usable blocking keys with the record: ``{record: profile_id}``.

        A key held by more than ``max_block_size`` records is narrowed by its sub-key (as
        in batch blocking); of the records found, the ``MAX_CANDIDATES`` sharing most keys
        are kept, so a common name cannot flood the comparison.
        """
        cap = self.settings.blocking.max_block_size
        sizes = self.store.identity_index.block_key_sizes(list(dict.fromkeys(k for k, _ in keys)))
        whole = [k for k, count in sizes.items() if count <= cap]
        narrowed = [(k, sub) for k, sub in keys if sizes.get(k, 0) > cap and sub]
        rows = self.store.identity_index.block_key_records(whole, narrowed)
        shared = Counter(record for record, _ in rows if record != key)
        profile_of = dict(rows)
        best = sorted(shared, key=lambda record: (-shared[record], record))[:MAX_CANDIDATES]
        return {record: profile_of[record] for record in best}

    def _person(self, text: str) -> Person:
        """Parse a stored Person, remembering the most recent ones (records get compared often)."""
        found = self._people.get(text)
        if found is None:
            if len(self._people) >= _CACHE_SIZE:
                self._people.pop(next(iter(self._people)))
            found = self._people[text] = stored_person(text)
        return found

    def _pool(self, person: Person, stored: Sequence[IndexedRecord]) -> Candidates:
        """The record and the stored records it is compared with, prepared in one table."""
        key = str(person.source)
        unique = {item.record: item for item in stored if item.record != key}
        people = [person, *(self._person(item.person) for item in unique.values())]
        table = self._prepare(people)
        profile_of = {record: item.profile_id for record, item in unique.items()}
        return Candidates(table, table.keys.index(key), profile_of)

    def _rule_hits(self, pool: Candidates, others: list[int]) -> dict[int, str]:
        """Candidate index → the first rule (in settings order) that links it to the record."""
        table, me = pool.table, pool.index
        hits: dict[int, str] = {}
        for rule in self.rules:
            mine = set(rule.keys(table, me))
            for other in others:
                if other in hits or not mine & set(rule.keys(table, other)):
                    continue
                if rule.compatible(table, min(me, other), max(me, other)):
                    hits[other] = rule.name.value
        return hits

    def _guard_passes(self, person: Person, members: Sequence[Person], *, dates: bool = True) -> bool:
        """Whether the record agrees with a profile's members on every strong identifier (``dates``: of birth too)."""
        if not members:
            return True
        table = self._prepare([person, *members])
        values = strong_values(table, self.settings.guard.strong_identifiers)
        mine = values.pop(table.keys.index(str(person.source)), None)
        theirs = StrongValues()
        for found in values.values():
            theirs.absorb(found)
        return mine is None or conflict(mine, theirs, self.nicknames, dates=dates) is None

    def _members(self, profile_id: str, known: dict[str, list[Person]]) -> list[Person]:
        """A profile's records (without the record being resolved), read once."""
        if profile_id not in known:
            stored = self.store.identity_index.members([profile_id])
            known[profile_id] = [self._person(item.person) for item in stored]
        return known[profile_id]

    def _score(self, pool: Candidates) -> tuple[list[int], Levels, Floats, npt.NDArray[np.bool_]]:
        """Compare the record with every other of the pool: (others, levels, weights, linked).

        Weights carry the term-frequency adjustments of the stored model's counts; they are
        kept (``self._adjustments``) for the explanation of the deciding link.
        """
        others = [i for i in range(len(pool.table)) if i != pool.index]
        left = np.full(len(others), pool.index, dtype=np.int32)
        right = np.asarray(others, dtype=np.int32)
        levels = compare_pairs(pool.table, left, right, self.comparisons)
        self._adjustments = adjustments(pool.table, left, right, levels, self.parameters)
        weights = score(levels, self.parameters) + self._adjustments.sum(axis=1)
        fuzzy = self.settings.fuzzy
        failed = required_failed(levels, self.parameters.names, fuzzy)
        return others, levels, weights, (match_probability(weights) >= fuzzy.link_threshold) & ~failed

    def _choose(self, pool: Candidates, must: dict[str, int], refused: set[str], previous: str | None) -> _Ranked:
        """Linkable profiles, best first: pinned, then its own, then rules in order, then by weight.

        ``must`` maps must-link partners to their pin; ``refused`` holds the profiles of
        cannot-link partners, which are never joined.
        """
        others, levels, weights, linked = self._score(pool)
        hits = self._rule_hits(pool, others)
        best: dict[str, tuple[tuple[float, ...], _Choice]] = {}
        for row, other in enumerate(others):
            record = pool.table.keys[other]
            pid, rule = pool.profile_of[record], hits.get(other)
            if pid in refused or not (record in must or rule or linked[row]):
                continue
            strength = (
                0.0 if record in must else 1.0,
                0.0 if pid == previous else 1.0,
                self._rule_rank(rule),
                -float(weights[row]),
            )
            if pid not in best or strength < best[pid][0]:
                best[pid] = (strength, _Choice(pid, record, row, rule, must.get(record)))
        return _Ranked([choice for _, choice in sorted(best.values(), key=lambda item: item[0])], levels)

    def _rule_rank(self, rule: str | None) -> float:
        names = [r.name.value for r in self.rules]
        return float(names.index(rule)) if rule in names else float(len(names))

    def _link(
        self, choice: _Choice | None, levels: Levels
    ) -> tuple[LinkMethod, str | None, float | None, dict[str, object]]:
        """Method, rule, score and explanation of the deciding link."""
        if choice is None:
            return LinkMethod.SCORE, None, None, {"decision": "new", "reason": "no link to any stored record"}
        if choice.forced is not None:
            return LinkMethod.MANUAL, "pin", None, {"pin_id": choice.forced, "right": choice.matched}
        tf = self._adjustments[choice.row] if len(self._adjustments) > choice.row else None
        weight, probability, contributions = explain_levels(levels[choice.row], self.parameters, tf)
        explanation = Explanation(
            left="", right=choice.matched, decision=Decision.LINK,
            method=Method.RULE if choice.rule else Method.SCORE, rule=choice.rule, reason=None,
            prior_weight=self.parameters.prior_weight, match_weight=weight, probability=probability,
            contributions=contributions,
        )  # fmt: skip
        method = LinkMethod.RULE if choice.rule else LinkMethod.SCORE
        return method, choice.rule, round(probability, 6), explanation.to_dict()

    def resolve(self, person: Person) -> LinkDecision:
        """Resolve one new or changed record and store where it went.

        Raises:
            StoreError: When the database fails.
        """
        key = str(person.source)
        keys = index_keys(self._prepare([person]), self.settings.blocking.keys, self.nicknames)[0]
        with self.store.database.reading():  # the look-ups below share one connection
            candidates = self._candidates(key, keys)
            must, cannot = self.store.pins.partners(key)
            known = self.store.identity_index.profiles_of([key, *cannot])
            previous = known.pop(key, None)
            refused = {known[record] for record in cannot if record in known}
            members: dict[str, list[Person]] = {}
            own = self.store.identity_index.members([previous]) if previous else []
            if previous:
                members[previous] = [self._person(item.person) for item in own if item.record != key]
            pool = self._pool(person, [*self.store.identity_index.records_of(sorted({*candidates, *must})), *own])
            ranked = self._choose(pool, must, refused, previous)
            choice = self._pick(person, ranked, members)
        alone = previous is not None and not members[previous]
        target = choice.profile_id if choice else (previous if alone and previous else new_profile_id())
        outcome = Outcome.STAYED if target == previous else (Outcome.JOINED if choice else Outcome.NEW)
        method, rule, probability, explanation = self._link(choice, ranked.levels)
        explanation = {**explanation, "left": key}
        self._write(person, (target, previous), members, (method, rule, probability, explanation), keys)
        return LinkDecision(
            record=key, profile_id=target, outcome=outcome,
            left=previous if previous and previous != target else None,
            method=method, rule=rule, score=probability, matched=choice.matched if choice else None,
            explanation=explanation,
            also_matches=tuple(c.profile_id for c in ranked.choices if c is not choice and c.profile_id != target),
        )  # fmt: skip

    def _pick(self, person: Person, ranked: _Ranked, members: dict[str, list[Person]]) -> _Choice | None:
        """The first linkable profile that is pinned or passes the guard; its members are then loaded."""
        for choice in ranked.choices:
            found = self._members(choice.profile_id, members)
            row = ranked.levels[choice.row : choice.row + 1]
            dates = not lone_disagreement(row, self.parameters.names, "date_of_birth")[0]  # as the batch's guard
            if choice.forced is not None or self._guard_passes(person, found, dates=dates):
                return choice
        return None

    def _write(
        self,
        person: Person,
        profiles: tuple[str, str | None],
        members: dict[str, list[Person]],
        link: tuple[LinkMethod, str | None, float | None, dict[str, object]],
        keys: list[tuple[str, str]],
    ) -> None:
        (target, previous), rules = profiles, self.settings.survivorship
        key, ref = str(person.source), person.source
        joined = [person, *(p for p in members.get(target, []) if str(p.source) != key)]
        stored = [ProfileInput(target, golden_json(golden_record(joined, rules)))]
        aliases: dict[str, str] = {}
        if previous and previous != target:
            left_behind = members[previous]
            golden = golden_json(golden_record(left_behind, rules))
            if left_behind:
                stored.append(ProfileInput(previous, golden))
            else:  # its only record moved: the old ID keeps resolving, to where the record went
                stored.append(ProfileInput(previous, golden, ProfileStatus.MERGED, merged_into=target))
                aliases[previous] = target
        method, rule, probability, explanation = link
        change = IdentityChange(
            ref=ref, indexed=IndexedRecord(key, target, person_json(person)),
            keys=[BlockKeyInput(k, sub, key) for k, sub in keys],
            link=LinkInput(ref.system, ref.stream, ref.source_id, target, method, rule, probability, explanation),
            profiles=stored, aliases=aliases,
        )  # fmt: skip
        self.store.identity_index.commit(change)

    def resolve_many(self, people: Sequence[Person]) -> list[LinkDecision]:
        """Resolve records one after the other (each sees the ones before it)."""
        return [self.resolve(person) for person in people]


_RESOLVERS: weakref.WeakKeyDictionary[Store, IncrementalResolver] = weakref.WeakKeyDictionary()


def _resolver(store: Store, settings: IdentitySettings | None) -> IncrementalResolver:
    """The store's cached resolver, rebuilt when the settings or the stored model changed."""
    wanted = settings or IdentitySettings()
    cached = _RESOLVERS.get(store)
    same_settings = cached is not None and (cached.settings is wanted or cached.settings == wanted)
    if cached is None or not same_settings or cached.model_id != store.identity_models.latest_id():
        cached = _RESOLVERS[store] = IncrementalResolver(store, wanted)
    return cached


def resolve_one(store: Store, person: Person, settings: IdentitySettings | None = None) -> LinkDecision:
    """Resolve one new or changed record against the stored profiles (see ``IncrementalResolver``).

    The resolver (stored model, rules, comparisons) is cached per store and rebuilt
    when the settings change or a batch run stores a newer model.

    Raises:
        IdentityError: When the store holds no trained model yet.
        StoreError: When the database fails.
    """
    return _resolver(store, settings).resolve(person)


def resolve_few(store: Store, people: Sequence[Person], settings: IdentitySettings | None = None) -> list[LinkDecision]:
    """Resolve a few records incrementally, one after the other."""
    return _resolver(store, settings).resolve_many(people)
