"""Batch resolution over the store, with stable profile IDs, pins and the incremental index.

resolve_store(store, settings, run_id=...)
  read canonical people (deleted source records left out), previous links, pins
  → resolve (the batch engine; pins inside clustering) → assign_stable_ids
  → golden records (a profile of one record on a direct path), index rows
  → write profiles (golden records), aliases, links (with explanations),
    the blocking-key index and the trained model, in one transaction, through
    the store's lean batch path (``core.store.identity_writes``); drop links of
    records gone

The cyclic garbage collector is paused for the whole of it: every object it makes
lives until the write-out and forms no cycle, and at 100,000 records the
collector's passes over them cost as much as a fifth of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from json.encoder import encode_basestring_ascii
from types import MappingProxyType
from typing import Any

import numpy as np
import structlog

from core.canonical import GoldenValue, Person, RecordRef
from core.failpoints import reach
from core.gcpause import return_freed_memory
from core.identity.engine import collector_paused, resolve
from core.identity.index_keys import index_key_columns
from core.identity.nicknames import NicknameTable, default_nicknames
from core.identity.normalise import clear_memos
from core.identity.pins import PinnedClusters, pinned_clusters
from core.identity.records import PersonText, StoredPeople, person_json, read_person_json, stored_person
from core.identity.resolution import Resolution
from core.identity.review_pairs import review_inputs
from core.identity.settings import GOLDEN_FIELDS, IdentitySettings, SurvivorshipSettings
from core.identity.stable import StableIds, assign_stable_ids
from core.identity.survivorship import golden_record
from core.store import (
    CanonicalText,
    LinkInput,
    LinkMethod,
    ProfileInput,
    ProfileStatus,
    Store,
    canonical_json,
    content_hash,
    record_key,
    split_record_key,
)
from core.store.golden_codec import GOLDEN_MARK, pack_golden
from core.store.identity_writes import replace_index, write_links, write_profiles

__all__ = [
    "StoreResolution",
    "golden_json",
    "iter_people",
    "iter_people_texts",
    "person_json",
    "resolve_store",
    "settings_hash",
]

log = structlog.get_logger(__name__)
_quoted = encode_basestring_ascii  # a string as canonical JSON writes it (ASCII, escaped)


@dataclass(frozen=True)
class StoreResolution:
    """What a batch run over the store did.

    Attributes:
        resolution: The engine's result (its ``profile_ids`` are not the stored ones).
        clusters: Record indexes of each cluster (pins honoured; the same as ``resolution.clusters``).
        ids: The stable profile IDs of ``clusters``, new ones, merges and splits.
        removed: Record keys whose links were removed (no longer present).
        model_id: The stored model incremental resolution now scores with.
    """

    resolution: Resolution
    clusters: list[list[int]]
    ids: StableIds
    removed: list[str]
    model_id: int

    def profile_of(self) -> dict[str, str]:
        """Return record key → stored profile ID."""
        records = self.resolution.records
        return {
            str(records[i]): pid
            for pid, members in zip(self.ids.profile_ids, self.clusters, strict=True)
            for i in members
        }

    def summary(self) -> dict[str, int]:
        """Return the counts the CLI prints: profiles, new, merged, split, linked, removed, reviews."""
        reviews = sum(1 for d in self.resolution.pairs.decision if d.value == "review")
        return {
            "profiles": len(self.clusters),
            "new": len(self.ids.new),
            "merged": sum(len(gone) for gone in self.ids.merged.values()),
            "split": len(self.ids.split),
            "records_linked": len(self.resolution.records),
            "removed": len(self.removed),
            "reviews": reviews,
        }


def settings_hash(settings: IdentitySettings) -> str:
    """Return a hash of the settings (a stored model remembers which settings trained it)."""
    return content_hash(settings.model_dump(mode="json"))


def golden_json(golden: Mapping[str, GoldenValue]) -> dict[str, object]:
    """Return a golden record as JSON-ready data: field → value with its provenance."""
    return {name: value.model_dump(mode="json") for name, value in sorted(golden.items())}


def iter_people(store: Store, *, system: str | None = None) -> Iterator[Person]:
    """Yield the canonical people of the store (first row of each record), leaving out deleted records."""
    return (stored_person(text) for text in iter_people_texts(store, system=system))


def iter_people_texts(store: Store, *, system: str | None = None) -> Iterator[PersonText]:
    """``iter_people`` as the JSON the store wrote (``PersonText``): what a batch resolution reads."""
    deleted = store.deleted.keys(system=system)
    for record_system, stream, source_id, text in store.records.iter_canonical_texts("Person", system=system):
        if record_key(record_system, stream, source_id) not in deleted:
            yield PersonText(text)  # validated before it was stored


def _previous_links(store: Store, system: str | None) -> tuple[dict[str, str], set[str]]:
    """Return every stored link (aliases resolved) and the keys of this scope's linked records."""
    aliases = store.aliases.resolve_all()
    links = {key: aliases.get(pid, pid) for key, pid in store.links.by_record().items()}
    scope = set(links) if system is None else {key for key in links if split_record_key(key)[0] == system}
    return links, scope


_NEW_RECORD: Mapping[str, str] = MappingProxyType({"decision": "new", "reason": "no link to any other record"})
"""The explanation of every record a batch linked to no other: one object, so its JSON is made once (``write_links``)."""


def _link_for(resolution: Resolution, pinned: PinnedClusters, record: int, profile_id: str) -> LinkInput:
    base = (*split_record_key(resolution.table.keys[record]), profile_id)
    if record in pinned.pinned_by:
        pin_id = pinned.pinned_by[record]
        return LinkInput(*base, method=LinkMethod.MANUAL, rule="pin", explanation={"pin_id": pin_id})
    position = pinned.attached_by.get(record)
    if position is None:
        return LinkInput(*base, method=LinkMethod.SCORE, explanation=_NEW_RECORD)
    found = resolution.explain(position)
    method = LinkMethod.RULE if found.method.value == "rule" else LinkMethod.SCORE
    score = round(found.probability, 6)
    return LinkInput(*base, method=method, rule=found.rule, score=score, explanation=found.to_dict())


def _index(
    resolution: Resolution, profile_of: Mapping[str, str], nicknames: NicknameTable, *, whole: bool
) -> tuple[Iterator[tuple[str, str]], Iterator[tuple[str, str, str]], dict[str, int]]:
    """The identity index rows of a batch: ``(record, profile)``, ``(key, sub_key, record)``.

    Both are made as the write takes them, not held: a batch's index has about ten rows a
    record. A batch over every record (``whole``) leaves out the rows no search reads (those
    without a sub-key of a key too common to search by) and counts them in the third item,
    ``{key: rows}``, filled as the key rows are taken.
    """
    table = resolution.table  # prepared once, by ``resolve``
    profiles = [profile_of[key] for key in table.keys]  # by record index
    records = zip(table.keys, profiles, strict=True)

    blocking, left_out = resolution.settings.blocking, dict[str, int]()
    wide = (blocking.max_block_size, left_out) if whole else None

    record_keys = np.asarray(table.keys, dtype=object)
    keys = chain.from_iterable(  # gathered a column at a time: no Python step per row
        zip(block_keys, sub_keys, record_keys[at].tolist(), strict=True)
        for at, block_keys, sub_keys in index_key_columns(table, blocking.keys, nicknames, wide=wide)
    )
    return records, keys, left_out


class _OneRecordGolden:
    """``pack_golden(golden_json(golden_record([person], settings)))`` of one person, as its canonical JSON text.

    With one record every rule chooses that record's value, so each field keeps its
    value with the record's one provenance; only the rule's name differs per field. The
    values are read from the JSON the store gave (``person_json``, or its JSONB text), which holds them in
    the form a golden record stores, and the text is put together from parts encoded
    once (each field's name and rule) or once a person (the provenance); the Person is
    made only for a value of another kind, which takes the general path.
    """

    def __init__(self, settings: SurvivorshipSettings) -> None:
        self._settings = settings
        self._fields = [  # each field's name and rule, encoded once: ``"city":[`` and ``,"most_recent",0]``
            (name, f"{_quoted(name)}:[", f",{_quoted(settings.rule_for(name).value)},0]")
            for name in sorted(GOLDEN_FIELDS)
        ]

    def __call__(self, text: str) -> CanonicalText:
        """The golden record of the person whose canonical JSON is ``text``, packed as the store keeps it."""
        person = read_person_json(text)
        parts: list[str] = []
        for name, head, rule in self._fields:
            value = person.get(name)
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str:
                encoded = _quoted(value)
            elif kind is bool:
                encoded = "true" if value else "false"
            elif kind is int:
                encoded = int.__repr__(value)
            else:  # anything else takes the general path
                golden = golden_json(golden_record([stored_person(text)], self._settings))
                return CanonicalText(canonical_json(pack_golden(golden)))
            parts.append(f"{head}{encoded}{rule}")
        if not parts:
            return CanonicalText("{}")
        provenance = _provenance(person)  # every field's: the one record's, at its time
        return CanonicalText(f'{{"{GOLDEN_MARK}":{{"fields":{{{",".join(parts)}}},"provenance":[{provenance}]}}}}')


def _provenance(person: Mapping[str, Any]) -> str:
    """A one-record golden record's one provenance, ``[observed_at, source]``, as canonical JSON.

    A source of the three string keys a ``RecordRef`` has, and a time as text, are written
    from their parts; anything else goes through ``canonical_json``.
    """
    observed, source = person.get("updated_at"), person["source"]
    observed_text = _quoted(observed) if type(observed) is str else canonical_json(observed)
    if type(source) is dict and source.keys() == _SOURCE_KEYS and all(type(v) is str for v in source.values()):
        source_text = (
            f'{{"source_id":{_quoted(source["source_id"])},"stream":{_quoted(source["stream"])},'
            f'"system":{_quoted(source["system"])}}}'
        )
    else:
        source_text = canonical_json(source)
    return f"[{observed_text},{source_text}]"


_SOURCE_KEYS = {"source_id", "stream", "system"}


def _profiles(
    resolution: Resolution, pinned: PinnedClusters, ids: StableIds, emptied: set[str]
) -> Iterator[ProfileInput]:
    """Every profile row of a batch, its golden record made as the write takes it."""
    settings = resolution.settings.survivorship
    of_one = _OneRecordGolden(settings)
    people: Sequence[Person] = resolution.people
    text_of = people.text if isinstance(people, StoredPeople) else lambda i: person_json(people[i])

    def golden(members: list[int]) -> Mapping[str, object] | CanonicalText:
        if len(members) == 1:
            return of_one(text_of(members[0]))
        return golden_json(golden_record([people[i] for i in members], settings))

    for pid, members in zip(ids.profile_ids, pinned.clusters, strict=True):
        yield ProfileInput(pid, golden(members))
    for alias, keep in ids.aliases.items():
        yield ProfileInput(alias, {}, ProfileStatus.MERGED, merged_into=keep)
    for pid in sorted(emptied):
        yield ProfileInput(pid, {}, ProfileStatus.RETIRED)


def _log_changes(ids: StableIds, run_id: str) -> None:
    for keep, gone in sorted(ids.merged.items()):
        log.info("identity.merged", profile_id=keep, merged_from=gone, run_id=run_id)
    for old, parts in sorted(ids.split.items()):
        log.info("identity.split", profile_id=old, split_into=parts, run_id=run_id)


def resolve_store(
    store: Store,
    settings: IdentitySettings | None = None,
    *,
    run_id: str,
    system: str | None = None,
    nicknames: NicknameTable | None = None,
    check_stop: Callable[[], None] | None = None,
) -> StoreResolution:
    """Resolve every canonical person in the store and persist profiles with stable IDs.

    The profiles, aliases, links and identity index of one resolution are written in one
    transaction: a crash leaves the store as the previous resolution left it, never with
    profiles whose links were not written. Active profiles no record links to any more
    (a record deleted or moved away; orphans of older versions) are retired. When it ends
    the batch's memos are forgotten and the heap it freed is given back to the system
    (``return_freed_memory``), so a long-lived process does not keep its working set.

    Args:
        store: The store (migrated).
        settings: Identity settings; ``None`` uses the defaults.
        run_id: The run the writes belong to.
        system: Only this system's people (links of other systems are left alone).
        nicknames: A nickname table; the bundled one by default.
        check_stop: Called once the resolution is computed, before anything is written;
            raises to stop there (``RunContext.check_stop``).

    Returns:
        What happened: clusters with stable IDs, merges, splits, removed links, model ID.

    Raises:
        StoreError: When the database fails.
    """
    try:
        with collector_paused():
            return _resolve_store(store, settings or IdentitySettings(), run_id, system, nicknames, check_stop)
    finally:
        clear_memos()  # the batch's working set, not kept for whatever the process does next
        return_freed_memory()


@dataclass(frozen=True)
class _Computed:
    """A resolution with everything the write-out needs, computed before anything is written."""

    resolution: Resolution
    pinned: PinnedClusters
    ids: StableIds
    profile_of: dict[str, str]
    removed: list[str]
    emptied: set[str]
    index: tuple[Iterator[tuple[str, str]], Iterator[tuple[str, str, str]], dict[str, int]]


def _compute(store: Store, settings: IdentitySettings, system: str | None, names: NicknameTable) -> _Computed:
    """Read the people, resolve them, keep IDs stable and build the index rows (nothing written)."""
    previous, scope = _previous_links(store, system)
    people = iter_people_texts(store, system=system)  # read once, held as text: memory follows the columns
    pins = store.pins.list()  # pins naming a record not in the batch are ignored
    resolution = resolve(people, settings, nicknames=names, pins=pins, compact=True)
    record_keys = resolution.table.keys  # ``system/stream/source_id`` by record index
    pinned = pinned_clusters(resolution)
    clusters = [[record_keys[i] for i in members] for members in pinned.clusters]
    ids = assign_stable_ids(clusters, previous, store.profiles.created_at())
    profile_of = {key: pid for pid, members in zip(ids.profile_ids, clusters, strict=True) for key in members}
    removed = sorted(scope - set(profile_of))
    homes = set(ids.profile_ids) | set(ids.aliases)
    emptied = {previous[key] for key in removed} - homes
    index = _index(resolution, profile_of, names, whole=system is None)
    return _Computed(resolution, pinned, ids, profile_of, removed, emptied, index)


def _write(
    store: Store, done: _Computed, profiles: Iterator[ProfileInput], *, run_id: str, system: str | None
) -> tuple[int, int]:
    """Write one resolution in one transaction; return the stored model's ID and how many profiles were retired."""
    resolution, record_keys = done.resolution, done.resolution.table.keys
    with store.database.atomic():
        write_profiles(store.database, profiles, run_id=run_id)
        reach("identity.profiles_written")
        store.aliases.add(done.ids.aliases, run_id=run_id)
        links = (_link_for(resolution, done.pinned, i, done.profile_of[key]) for i, key in enumerate(record_keys))
        write_links(store.database, links, run_id=run_id)
        reach("identity.links_written")
        store.links.remove([RecordRef.parse(key) for key in done.removed])
        scope = None if system is None else [*record_keys, *done.removed]
        records, keys, left_out = done.index
        replace_index(store.database, records, keys, scope=scope, left_out=left_out)
        model_id = store.identity_models.save(
            resolution.parameters.to_dict(), settings_hash=settings_hash(resolution.settings), run_id=run_id
        )
        retired = store.profiles.retire_unlinked(run_id=run_id)
        store.reviews.refresh(review_inputs(resolution, model_id), run_id=run_id)
        reach("identity.written")
    return model_id, retired


def _resolve_store(
    store: Store,
    settings: IdentitySettings,
    run_id: str,
    system: str | None,
    nicknames: NicknameTable | None,
    check_stop: Callable[[], None] | None,
) -> StoreResolution:
    done = _compute(store, settings, system, nicknames or default_nicknames().fresh())
    profiles = _profiles(done.resolution, done.pinned, done.ids, done.emptied)
    if check_stop is not None:
        check_stop()
    reach("identity.resolved")
    model_id, retired = _write(store, done, profiles, run_id=run_id, system=system)
    if retired:
        log.info("identity.profiles_retired", count=retired, run_id=run_id)
    _log_changes(done.ids, run_id)
    return StoreResolution(done.resolution, done.pinned.clusters, done.ids, done.removed, model_id)
