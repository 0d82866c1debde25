"""The store: Contactpoint's only shared state, in SQLite (default) or PostgreSQL.

    engine.py           database_url(), make_engine(), mask_url(), database errors → StoreError
    types.py            UtcDateTime, JSON (JSONB on PostgreSQL), canonical JSON and hashes
    tables.py           the SQLModel tables
    schema.py           Alembic, configured from code: migrate(), current/head revision, schema_diff()
    database.py         Database: engine, clock, transactions, hash-guarded batch upserts
    keys.py             RecordKey, record_key(), split_record_key()
    wal.py              WalCheckpointer: SQLite write-ahead log checkpoints off the commit path
    store.py            Store (one repository per concern over one Database) and open_store()

    repositories, one module each, reached as ``store.<name>``:
    records.py          source records as pulled, canonical records mapped from them
    deleted.py          records the systems reported deleted
    cursors.py          where each stream's pull stopped
    runs.py             the run ledger
    parked.py           rejected records with their reasons
    profiles.py         profiles and golden records
    aliases.py          merged-away profile IDs
    links.py            record → profile, with how and why
    pins.py             manual must-link / cannot-link pins
    identity_models.py  trained identity models
    identity_index.py   blocking keys and resolved records for incremental identity
    writeback.py        the value last written to each vendor field
    run_streams.py      per-stream counters of runs; report snapshots
    reviews.py          identity pairs awaiting a steward
    erasures.py         erasures (the audit) and tombstones

Usage::

    from core.store import open_store
    with open_store() as store:                 # CONTACTPOINT_DATABASE_URL or ./contactpoint.db
        run_id = store.runs.start("sync")
        counts = store.records.upsert_source(batch.records, run_id=run_id)
        store.cursors.save("hubspot", "contacts", batch.cursor, run_id=run_id)
        store.runs.finish(run_id, RunStatus.SUCCEEDED, counters={"stored": counts.changed})
"""

from __future__ import annotations

from core.store.aliases import Aliases
from core.store.cursors import Cursors
from core.store.database import Database, Repository, UpsertCounts
from core.store.decisions import AlertInput, Alerts, DecisionInput, Decisions
from core.store.deleted import DeletedRecords
from core.store.engine import DEFAULT_URL, ENV_VAR, database_url, make_engine, mask_url, normalise_url
from core.store.erasures import ERASURE_KEY_ENV, Erasures, ErasureTarget, TargetStatus, Tombstones
from core.store.field_problems import FieldProblemInput, FieldProblems
from core.store.identifiers import Identifiers
from core.store.identity_index import BlockKeyInput, IdentityChange, IdentityIndex, IndexedRecord
from core.store.identity_models import IdentityModels
from core.store.identity_tables import (
    BLOCK_KEY_LENGTH,
    IdentityBlockKey,
    IdentityModel,
    IdentityPin,
    IdentityRecord,
    IdentityWideKey,
    PinKind,
)
from core.store.keys import RecordKey, record_key, split_record_key
from core.store.links import LinkInput, Links
from core.store.locks import Holder, Locks
from core.store.parked import Parked, ParkedInput
from core.store.pins import PinInput, Pins
from core.store.profiles import ProfileInput, Profiles
from core.store.records import CanonicalInput, Records, StoredCanonical, source_content_hash
from core.store.reviews import ReviewInput, Reviews, ReviewStatus
from core.store.run_streams import RunStreams, StreamStep
from core.store.runs import Runs, new_run_id
from core.store.schema import current_revision, head_revision, migrate, schema_diff
from core.store.store import Store, open_store
from core.store.tables import (
    CanonicalRecord,
    Cursor,
    FieldProblemRow,
    Link,
    LinkMethod,
    ParkedRecord,
    Profile,
    ProfileAlias,
    ProfileStatus,
    Run,
    RunStatus,
    SourceRecordRow,
    WritebackEntry,
)
from core.store.types import CanonicalText, UtcDateTime, canonical_json, content_hash, utc_now
from core.store.writeback import WritebackLog, WrittenOp

__all__ = [
    "CanonicalText",
    "StreamStep",
    "RunStreams",
    "ReviewStatus",
    "Reviews",
    "ReviewInput",
    "Tombstones",
    "TargetStatus",
    "Erasures",
    "ErasureTarget",
    "ERASURE_KEY_ENV",
    "AlertInput",
    "Alerts",
    "Aliases",
    "BLOCK_KEY_LENGTH",
    "BlockKeyInput",
    "CanonicalInput",
    "CanonicalRecord",
    "Cursor",
    "Cursors",
    "DEFAULT_URL",
    "Database",
    "DecisionInput",
    "Decisions",
    "DeletedRecords",
    "ENV_VAR",
    "FieldProblemInput",
    "FieldProblemRow",
    "FieldProblems",
    "Holder",
    "Identifiers",
    "IdentityBlockKey",
    "IdentityChange",
    "IdentityIndex",
    "IdentityModel",
    "IdentityModels",
    "IdentityPin",
    "IdentityRecord",
    "IdentityWideKey",
    "IndexedRecord",
    "Link",
    "LinkInput",
    "LinkMethod",
    "Links",
    "Locks",
    "Parked",
    "ParkedInput",
    "ParkedRecord",
    "PinInput",
    "PinKind",
    "Pins",
    "Profile",
    "ProfileAlias",
    "ProfileInput",
    "ProfileStatus",
    "Profiles",
    "RecordKey",
    "Records",
    "Repository",
    "Run",
    "RunStatus",
    "Runs",
    "SourceRecordRow",
    "Store",
    "StoredCanonical",
    "UpsertCounts",
    "UtcDateTime",
    "WritebackEntry",
    "WritebackLog",
    "WrittenOp",
    "canonical_json",
    "content_hash",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "mask_url",
    "migrate",
    "new_run_id",
    "normalise_url",
    "open_store",
    "record_key",
    "schema_diff",
    "source_content_hash",
    "split_record_key",
    "utc_now",
]
