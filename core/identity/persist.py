"""Batch resolution over the store, with stable profile IDs, pins and the incremental index.

resolve_store(store, settings, run_id=...)
  read canonical people (deleted source records left out), previous links, pins
  → resolve (the batch engine; pins inside clustering) → assign_stable_ids
  → write profiles (golden records), aliases, links (with explanations),
    the blocking-key index and the trained model; drop links of records gone
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from core.canonical import STORED, GoldenValue, Person, RecordRef
from core.failpoints import reach
from core.identity.engine import resolve
from core.identity.index_keys import index_keys
from core.identity.nicknames import NicknameTable, default_nicknames
from core.identity.pins import PinnedClusters, pinned_clusters
from core.identity.resolution import Resolution
from core.identity.settings import IdentitySettings
from core.identity.stable import StableIds, assign_stable_ids
from core.identity.survivorship import golden_record
from core.store import (
    BlockKeyInput,
    IndexedRecord,
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

__all__ = ["StoreResolution", "golden_json", "load_people", "person_json", "resolve_store", "settings_hash"]

log = structlog.get_logger(__name__)


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


def load_people(store: Store, *, system: str | None = None) -> list[Person]:
    """Read the canonical people of the store (first row of each record), leaving out deleted records."""
    deleted = store.deleted.keys(system=system)
    people: dict[str, Person] = {}
    for row in store.records.iter_canonical("Person", system=system):
        key = record_key(row.system, row.stream, row.source_id)
        if key not in deleted and key not in people:
            people[key] = Person.model_validate(row.data, context=STORED)  # validated before it was stored
    return list(people.values())


def _previous_links(store: Store, system: str | None) -> tuple[dict[str, str], set[str]]:
    """Return every stored link (aliases resolved) and the keys of this scope's linked records."""
    aliases = store.aliases.resolve_all()
    links = {key: aliases.get(pid, pid) for key, pid in store.links.by_record().items()}
    scope = set(links) if system is None else {key for key in links if split_record_key(key)[0] == system}
    return links, scope


def _link_for(resolution: Resolution, pinned: PinnedClusters, record: int, profile_id: str) -> LinkInput:
    ref = resolution.records[record]
    base = (ref.system, ref.stream, ref.source_id, profile_id)
    if record in pinned.pinned_by:
        pin_id = pinned.pinned_by[record]
        return LinkInput(*base, method=LinkMethod.MANUAL, rule="pin", explanation={"pin_id": pin_id})
    position = pinned.attached_by.get(record)
    if position is None:
        explanation = {"decision": "new", "reason": "no link to any other record"}
        return LinkInput(*base, method=LinkMethod.SCORE, explanation=explanation)
    found = resolution.explain(position)
    method = LinkMethod.RULE if found.method.value == "rule" else LinkMethod.SCORE
    score = round(found.probability, 6)
    return LinkInput(*base, method=method, rule=found.rule, score=score, explanation=found.to_dict())


def person_json(person: Person) -> str:
    """Return a Person as the canonical JSON text the identity index keeps."""
    return canonical_json(person.model_dump(mode="json"))


def _index(
    resolution: Resolution, profile_of: Mapping[str, str], nicknames: NicknameTable
) -> tuple[list[IndexedRecord], list[BlockKeyInput]]:
    """The identity index rows of a batch: each record with its profile, and its blocking keys."""
    table = resolution.table  # prepared once, by ``resolve``
    records = [
        IndexedRecord(key, profile_of[key], person_json(person))
        for key, person in zip(table.keys, table.people, strict=True)
    ]
    by_record = index_keys(table, resolution.settings.blocking.keys, nicknames)
    keys = [
        BlockKeyInput(block_key, sub_key, key, profile_of[key])
        for key, found in zip(table.keys, by_record, strict=True)
        for block_key, sub_key in found
    ]
    return records, keys


def _profiles(resolution: Resolution, pinned: PinnedClusters, ids: StableIds, emptied: set[str]) -> list[ProfileInput]:
    rules = resolution.settings.survivorship
    found = [
        ProfileInput(pid, golden_json(golden_record([resolution.people[i] for i in members], rules)))
        for pid, members in zip(ids.profile_ids, pinned.clusters, strict=True)
    ]
    found += [ProfileInput(a, {}, ProfileStatus.MERGED, merged_into=keep) for a, keep in ids.aliases.items()]
    found += [ProfileInput(pid, {}, ProfileStatus.RETIRED) for pid in sorted(emptied)]
    return found


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
    (a record deleted or moved away; orphans of older versions) are retired.

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
    settings = settings or IdentitySettings()
    names = nicknames or default_nicknames()
    people = load_people(store, system=system)
    previous, scope = _previous_links(store, system)
    resolution = resolve(people, settings, nicknames=names, pins=store.pins.list())  # absent records: ignored
    record_keys = resolution.table.keys  # ``system/stream/source_id`` by record index
    pinned = pinned_clusters(resolution)
    clusters = [[record_keys[i] for i in members] for members in pinned.clusters]
    ids = assign_stable_ids(clusters, previous, store.profiles.created_at())
    profile_of = {key: pid for pid, members in zip(ids.profile_ids, clusters, strict=True) for key in members}
    removed = sorted(scope - set(profile_of))
    homes = set(ids.profile_ids) | set(ids.aliases)
    emptied = {previous[key] for key in removed} - homes
    indexed, keys = _index(resolution, profile_of, names)
    if check_stop is not None:
        check_stop()
    reach("identity.resolved")
    with store.database.atomic():
        store.profiles.upsert(_profiles(resolution, pinned, ids, emptied), run_id=run_id)
        reach("identity.profiles_written")
        store.aliases.add(ids.aliases, run_id=run_id)
        links = (_link_for(resolution, pinned, i, profile_of[key]) for i, key in enumerate(record_keys))
        store.links.save(links, run_id=run_id)
        reach("identity.links_written")
        store.links.remove([RecordRef.parse(key) for key in removed])
        store.identity_index.replace(indexed, keys, scope=None if system is None else [*record_keys, *removed])
        model_id = store.identity_models.save(
            resolution.parameters.to_dict(), settings_hash=settings_hash(settings), run_id=run_id
        )
        retired = store.profiles.retire_unlinked(run_id=run_id)
        reach("identity.written")
    if retired:
        log.info("identity.profiles_retired", count=retired, run_id=run_id)
    _log_changes(ids, run_id)
    return StoreResolution(resolution, pinned.clusters, ids, removed, model_id)
