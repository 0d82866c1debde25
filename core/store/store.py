"""``Store``: the one object the rest of Contactpoint reads and writes state through.

    Store
    ├── records   upsert_source_records, upsert_canonical, iter_source_records, iter_canonical
    ├── runs      start_run, finish_run, get_run, list_runs, get_cursor, save_cursor,
    │             park, list_parked, resolve_parked
    ├── identity  upsert_profiles, add_aliases, resolve_alias, set_links, remove_links,
    │             links_for_profile, profile_for_record, iter_links, linked_profiles
    ├── identity_pins   add_pins, list_pins, deactivate_pins, save_identity_model,
    │             latest_identity_model, deleted_records, alias_map, profile_created
    ├── identity_index  replace_identity_index, move_records, block_key_sizes, block_key_records,
    │             identity_members, identity_profiles, commit_identity_change
    └── ledger    record_writes, last_written, diff_against_ledger

Every write is batch-oriented and idempotent: giving the same input twice leaves
every row as it was. ``open_store()`` opens the configured database and migrates it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

import sqlalchemy as sa

from core.store.checkpoint import WalCheckpointer
from core.store.engine import make_engine, mask_url
from core.store.identity import IdentityMixin
from core.store.identity_index import IdentityIndexMixin
from core.store.identity_pins import IdentityPinsMixin
from core.store.ledger import LedgerMixin
from core.store.records import RecordsMixin
from core.store.runs import RunsMixin
from core.store.schema import current_revision, head_revision
from core.store.schema import migrate as migrate_schema
from core.store.tables import TABLES

__all__ = ["Store", "open_store"]


class Store(RecordsMixin, RunsMixin, IdentityMixin, IdentityPinsMixin, IdentityIndexMixin, LedgerMixin):
    """Contactpoint's state, over one SQLAlchemy engine (SQLite or PostgreSQL).

    Args:
        engine: From ``make_engine``; the schema must be migrated (``open_store`` does it).
        clock: Returns the current aware UTC time; inject a fixed one in tests.

    Use it as a context manager, or call ``close()``, to release connections.
    """

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return mask_url(self._engine.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def revision(self) -> str | None:
        """Return the schema revision of the database (None when never migrated)."""
        return current_revision(self._engine)

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (a no-op when up to date)."""
        migrate_schema(self._engine)

    def is_current(self) -> bool:
        """Return True when the database is at the newest schema revision."""
        return self.revision() == head_revision()

    def counts(self) -> dict[str, int]:
        """Return the number of rows of each store table, by table name."""
        result: dict[str, int] = {}
        with self._read() as conn:
            for model in TABLES:
                table = model.__table__  # type: ignore[attr-defined]
                result[table.name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        return result

    def checkpoint_in_background(self) -> None:
        """On a SQLite file, move WAL checkpoints off the commit path into a thread (idempotent).

        For long-lived, latency-sensitive writers; ``close()`` stops the thread.
        """
        if self._checkpointer is None and WalCheckpointer.applies_to(self._engine):
            self._checkpointer = WalCheckpointer(self._engine).start()

    def close(self) -> None:
        """Stop background checkpoints, if any, and release every pooled connection."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._engine.dispose()

    def __enter__(self) -> Store:
        """Return the store itself."""
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the store."""
        self.close()


def open_store(url: str | None = None, *, clock: Callable[[], datetime] | None = None, migrate: bool = True) -> Store:
    """Open the store at ``url`` (``database_url()`` when None) and migrate it to the newest schema.

    Args:
        url: Database URL; ``postgres://`` and ``postgresql://`` use psycopg 3.
        clock: Current-time function for timestamps (tests inject a fixed one).
        migrate: Upgrade the schema first (default); pass False to only open it.

    Raises:
        StoreError: When the URL is invalid, the database unreachable or a migration fails.
    """
    store = Store(make_engine(url), clock=clock)
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
