"""The store: Contactpoint's only shared state, in SQLite (default) or PostgreSQL.

    engine.py    database_url(), make_engine(), mask_url(), database errors → StoreError
    types.py     UtcDateTime, JSON (JSONB on PostgreSQL), canonical JSON and hashes
    tables.py    the SQLModel tables
    schema.py    Alembic, configured from code: migrate(), current/head revision, schema_diff()
    store.py     Store (records, runs, identity, ledger parts) and open_store()

Usage::

    from core.store import open_store
    with open_store() as store:                 # CONTACTPOINT_DATABASE_URL or ./contactpoint.db
        run_id = store.start_run("sync")
        counts = store.upsert_source_records(batch.records, run_id=run_id)
        store.save_cursor("hubspot", "contacts", batch.cursor, run_id=run_id)
        store.finish_run(run_id, RunStatus.SUCCEEDED, counters={"stored": counts.changed})
"""

from __future__ import annotations

from core.store.base import RecordKey, UpsertCounts
from core.store.engine import DEFAULT_URL, ENV_VAR, database_url, make_engine, mask_url, normalise_url
from core.store.identity import LinkInput, ProfileInput
from core.store.identity_index import BlockKeyInput, IdentityChange, IndexedRecord
from core.store.identity_pins import PinInput, record_key, split_record_key
from core.store.ledger import WrittenOp
from core.store.records import CanonicalInput, StoredCanonical, source_content_hash
from core.store.runs import ParkedInput, new_run_id
from core.store.schema import current_revision, head_revision, migrate, schema_diff
from core.store.store import Store, open_store
from core.store.tables import (
    BLOCK_KEY_LENGTH,
    CanonicalRecord,
    Cursor,
    IdentityBlockKey,
    IdentityModel,
    IdentityPin,
    IdentityRecord,
    Link,
    LinkMethod,
    ParkedRecord,
    PinKind,
    Profile,
    ProfileAlias,
    ProfileStatus,
    Run,
    RunStatus,
    SourceRecordRow,
    WritebackEntry,
)
from core.store.types import UtcDateTime, canonical_json, content_hash, utc_now

__all__ = [
    "BLOCK_KEY_LENGTH",
    "DEFAULT_URL",
    "BlockKeyInput",
    "IdentityChange",
    "IdentityRecord",
    "IndexedRecord",
    "IdentityBlockKey",
    "IdentityModel",
    "IdentityPin",
    "PinInput",
    "PinKind",
    "record_key",
    "split_record_key",
    "ENV_VAR",
    "CanonicalInput",
    "CanonicalRecord",
    "Cursor",
    "Link",
    "LinkInput",
    "LinkMethod",
    "ParkedInput",
    "ParkedRecord",
    "Profile",
    "ProfileAlias",
    "ProfileInput",
    "ProfileStatus",
    "RecordKey",
    "Run",
    "RunStatus",
    "SourceRecordRow",
    "Store",
    "StoredCanonical",
    "UpsertCounts",
    "UtcDateTime",
    "WritebackEntry",
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
    "schema_diff",
    "source_content_hash",
    "utc_now",
]
