"""``Store``: the one object the rest of Contactpoint reads and writes state through.

    Store                migrate, revision, is_current, counts, checkpoint_wal_in_background,
    │                    close; engine, url, dialect
    ├── database         Database: engine, clock, transactions, batch upserts (database.py)
    ├── records          upsert_source, upsert_canonical, drop_stale_canonical, get_source, iter_source,
    │                    iter_canonical, iter_canonical_texts, canonical_of, canonical_texts_of
    ├── identifiers      replace, profiles_of, records_of
    ├── deleted          keys
    ├── cursors          get, save
    ├── runs             start, heartbeat, finish, abandon, get, list
    ├── locks            acquire, heartbeat, release, list
    ├── parked           add, list, count, resolve
    ├── field_problems   replace, list, count
    ├── profiles         upsert, get, created_at
    ├── aliases          add, resolve, resolve_all, family
    ├── links            save, remove, of_profile, profile_of, iter, by_record
    ├── pins             add, deactivate, list, partners
    ├── identity_models  save, latest, latest_id
    ├── identity_index   replace, move, block_key_sizes, block_key_records, members,
    │                    records_of, profiles_of, commit
    ├── writeback        record, last_written, written, diff, fail, failures
    ├── decisions        save, get, explained, due
    ├── alerts           raise_new, pending, mark, of_profile
    ├── ledger           record, record_observation(s), history, state_in_force, states_in_force,
    │                    people, verify, keys
    ├── ledger_access    sign-in links and preference-centre sessions
    ├── oauth            OAuth clients, authorization codes and tokens bound to grants
    ├── run_streams      record, of_runs, snapshot, last_snapshot (per-stream run counters; reports)
    ├── reviews          refresh, list, get, count, decide, forget (identity pairs for a steward)
    ├── erasures         start, pending, answer, settle, get, list, targets_of (the erasure audit)
    ├── tombstones       add, any, matches (keyed hashes of erased people's identifiers)
    └── forget           merged_away, person_keys, records, profiles (an erasure removes a person's rows)

Each repository is one module named for what it holds, over the one shared
``Database``; adding a concern is one module and one attribute here. Every write
is batch-oriented and idempotent: giving the same input twice leaves every row as
it was. ``open_store()`` opens the configured database and migrates it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.store.aliases import Aliases
from core.store.cursors import Cursors
from core.store.database import Database
from core.store.decisions import Alerts, Decisions
from core.store.deleted import DeletedRecords
from core.store.engine import make_engine
from core.store.erasures import Erasures, Tombstones
from core.store.field_problems import FieldProblems
from core.store.forget import Forget
from core.store.identifiers import Identifiers
from core.store.identity_index import IdentityIndex
from core.store.identity_models import IdentityModels
from core.store.ledger import Ledger
from core.store.ledger_access import LedgerAccess
from core.store.links import Links
from core.store.locks import Locks
from core.store.oauth import OAuthGrants
from core.store.parked import Parked
from core.store.pins import Pins
from core.store.profiles import Profiles
from core.store.records import Records
from core.store.reviews import Reviews
from core.store.run_streams import RunStreams
from core.store.runs import Runs
from core.store.schema import current_revision, head_revision
from core.store.schema import migrate as migrate_schema
from core.store.tables import TABLES
from core.store.wal import WalCheckpointer
from core.store.writeback import WritebackLog

__all__ = ["Store", "open_store"]


class Store:
    """Contactpoint's state, over one SQLAlchemy engine (SQLite or PostgreSQL): one repository per concern.

    Args:
        engine: From ``make_engine``; the schema must be migrated (``open_store`` does it).
        clock: Returns the current aware UTC time; inject a fixed one in tests.

    Use it as a context manager, or call ``close()``, to release connections.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self.database = db = Database(engine, clock=clock)
        self.records = Records(db)
        self.identifiers = Identifiers(db)
        self.deleted = DeletedRecords(db)
        self.cursors = Cursors(db)
        self.runs = Runs(db)
        self.locks = Locks(db)
        self.parked = Parked(db)
        self.field_problems = FieldProblems(db)
        self.profiles = Profiles(db)
        self.aliases = Aliases(db)
        self.links = Links(db, self.aliases)
        self.pins = Pins(db)
        self.identity_models = IdentityModels(db)
        self.identity_index = IdentityIndex(db)
        self.writeback = WritebackLog(db)
        self.ledger = Ledger(db, self.aliases)
        self.ledger_access = LedgerAccess(db)
        self.oauth = OAuthGrants(db)
        self.decisions = Decisions(db)
        self.alerts = Alerts(db)
        self.run_streams = RunStreams(db)
        self.reviews = Reviews(db)
        self.erasures = Erasures(db)
        self.tombstones = Tombstones(db)
        self.forget = Forget(db)
        self._wal_checkpointer: WalCheckpointer | None = None

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for ad-hoc queries; prefer the repositories)."""
        return self.database.engine

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return self.database.url

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.database.dialect

    def revision(self) -> str | None:
        """Return the schema revision of the database (None when never migrated)."""
        return current_revision(self.engine)

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (a no-op when up to date)."""
        migrate_schema(self.engine)

    def is_current(self) -> bool:
        """Return True when the database is at the newest schema revision."""
        return self.revision() == head_revision()

    def counts(self) -> dict[str, int]:
        """Return the number of rows of each store table, by table name."""
        result: dict[str, int] = {}
        with self.database.connection() as conn:
            for model in TABLES:
                table = model.__table__  # type: ignore[attr-defined]
                result[table.name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        return result

    def checkpoint_wal_in_background(self) -> None:
        """On a SQLite file, move write-ahead log checkpoints off the commit path into a thread (idempotent).

        For long-lived, latency-sensitive writers; ``close()`` stops the thread. A no-op
        on PostgreSQL and in-memory SQLite. (Not to be confused with sync cursors.)
        """
        if self._wal_checkpointer is None and WalCheckpointer.applies_to(self.engine):
            self._wal_checkpointer = WalCheckpointer(self.engine).start()

    def close(self) -> None:
        """Stop background WAL checkpoints, if any, and release every pooled connection."""
        if self._wal_checkpointer is not None:
            self._wal_checkpointer.stop()
            self._wal_checkpointer = None
        self.database.close()

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
