"""``Database``: what every repository of the store shares.

One engine and clock, transactions (``transaction`` for writes, ``connection`` for
reads, ``reading`` to share one connection across a block of reads, ``session`` for
ad-hoc SQLModel queries), and the hash-guarded batch upsert: rows are written in
chunks of ``CHUNK_SIZE``, one transaction each, and a row whose content hash is
unchanged is not written at all. On PostgreSQL a table that a load has doubled is
re-analysed so lookups keep using its unique index.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby, islice, repeat
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.store.bulk import on_driver
from core.store.engine import mask_url, store_errors, write_options
from core.store.types import utc_now

__all__ = [
    "CHUNK_SIZE",
    "Database",
    "Repository",
    "UpsertCounts",
    "UpsertSpec",
    "chunked",
    "insert",
    "of_records",
    "record_chunks",
    "select_rows",
]

CHUNK_SIZE = 2000
"""Rows per statement batch and per transaction in bulk operations."""

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    """What a batch upsert did: rows inserted, rows updated, rows left as they were."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Rows given (after removing duplicates within the batch)."""
        return self.inserted + self.updated + self.unchanged

    @property
    def changed(self) -> int:
        """Rows written: inserted plus updated."""
        return self.inserted + self.updated

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        """Sum two counts field by field."""
        return UpsertCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(frozen=True, slots=True)
class UpsertSpec:
    """How to upsert into one table by content hash.

    Attributes:
        table: The table.
        key: Columns of its unique key (the ``ON CONFLICT`` target).
        lookup: How many leading key columns find existing rows: the first ``lookup - 1`` are
            fixed per query and column ``lookup`` goes in an ``IN`` list; later key columns
            come back with the rows (a source record's canonical rows share its prefix).
        hash_column: The column compared to decide "unchanged".
        update: Columns overwritten when the hash differs.
        json_text: JSON columns whose row values are already canonical JSON text
            (bound as text, so a value is serialised once for its hash and its storage).
    """

    table: sa.Table
    key: tuple[str, ...]
    lookup: int
    hash_column: str
    update: tuple[str, ...]
    json_text: tuple[str, ...] = ()


_UPSERT_STATEMENTS: dict[tuple[str, UpsertSpec], Any] = {}


def _json_text_param(conn: sa.Connection, name: str) -> Any:
    """A bind for JSON given as text: cast to JSONB on PostgreSQL, stored as is on SQLite."""
    param = sa.bindparam(name, type_=sa.Text())
    if conn.dialect.name == "postgresql":
        return sa.cast(param, postgresql.JSONB())
    return sa.type_coerce(param, sa.Text())


_DRIVER_TEXTS: dict[tuple[int, tuple[tuple[str, int], ...]], tuple[Any, str, tuple[str, ...]]] = {}
"""SQLite text of a statement, by the statement and its lists' lengths, with its parameters' names in order.

Each entry keeps its statement: an ID is only unique among objects alive at once.
"""


def _placeholders(length: int) -> int:
    """How many placeholders a list of ``length`` values is given: a power of two up to 64, then a multiple of 64.

    The list is padded to it with its last value, which an ``IN`` does not count twice: a
    statement's texts stay a few dozen whatever lengths it is asked with (one text for each
    length would keep thousands of placeholders' names for each length a chunk ever had).
    """
    if length <= 1:
        return length
    if length <= 64:
        return int(1 << (length - 1).bit_length())
    return -(-length // 64) * 64


def select_rows(conn: sa.Connection, statement: Any, params: dict[str, Any]) -> list[Any]:
    """Run a built-once SELECT of text and number columns and return its rows as tuples.

    On SQLite the statement's text for the lengths of its list parameters (``IN``) is made
    once and run on the driver's own cursor: SQLAlchemy's work for each execution (the
    lists' placeholders, the parameters, the result's processors) costs several times
    what SQLite takes to answer a look-up by index, and incremental resolution makes
    some fifteen a record. Only for statements whose columns need no conversion (text
    and numbers, not times or JSON values). Elsewhere it goes through SQLAlchemy.
    """
    if conn.dialect.name != "sqlite":
        return [tuple(row) for row in conn.execute(statement, params)]
    padded = {
        name: [*value, *repeat(value[-1], _placeholders(len(value)) - len(value))]
        if isinstance(value, list) and value
        else value
        for name, value in params.items()
    }
    lengths = tuple((name, len(value)) for name, value in padded.items() if isinstance(value, list))
    key = (id(statement), lengths)
    found = _DRIVER_TEXTS.get(key)
    if found is None or found[0] is not statement:
        state = statement.compile(dialect=conn.dialect).construct_expanded_state(padded)
        found = _DRIVER_TEXTS[key] = (statement, state.statement, tuple(state.positiontup or ()))
    _, text, names = found
    flat = dict(padded)
    for name, length in lengths:
        flat.update(zip([f"{name}_{i}" for i in range(1, length + 1)], padded[name], strict=True))
    values = [flat[name] for name in names]
    rows: list[Any] = on_driver(conn, text, lambda cursor: cursor.execute(text, values).fetchall(), values)
    return rows


def chunked(items: Iterable[T], size: int = CHUNK_SIZE) -> Iterator[list[T]]:
    """Yield lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def record_chunks(records: Iterable[tuple[str, str, str]], size: int = 500) -> Iterator[tuple[str, str, list[str]]]:
    """Yield ``(system, stream, source IDs)``: these records by stream, in key order, ``size`` IDs at a time.

    Each part is picked with ``of_records``: ``system = ? AND stream = ? AND source_id IN (...)``,
    which every database answers from the table's key index. A row-value ``IN`` over the
    three columns is not, on SQLite: it scans the whole table once per chunk, so a lookup of
    a few records would cost as much as the store is large.
    """
    for (system, stream), found in groupby(sorted(set(records)), key=lambda record: record[:2]):
        for part in chunked((source_id for _, _, source_id in found), size):
            yield system, stream, part


def of_records(table: sa.Table | Any, system: str, stream: str, source_ids: Sequence[str]) -> Any:
    """The condition picking ``source_ids`` of one stream in ``table`` (or an alias of it): see ``record_chunks``."""
    c = table.c
    return sa.and_(c.system == system, c.stream == stream, c.source_id.in_(source_ids))


def insert(conn: sa.Connection, table: sa.Table) -> Any:
    """Return an ``INSERT`` into ``table`` in the connection's dialect (so it can take ``ON CONFLICT``)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


class Database:
    """The engine, the clock, transactions and the batch machinery every repository builds on.

    Args:
        engine: From ``make_engine``.
        clock: Returns the current aware UTC time; inject a fixed one in tests.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._clock = clock or utc_now
        self._pinned = threading.local()  # the connection ``reading`` lends to this thread's reads

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for ad-hoc queries; prefer the repositories)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with its password masked."""
        return mask_url(self._engine.url)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def now(self) -> datetime:
        """Return the clock's current time (aware UTC); tests inject a fixed clock."""
        return self._clock()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """Yield a connection in one write transaction, committed on success.

        Raises:
            StoreError: When the database fails.
        """
        held: sa.Connection | None = getattr(self._pinned, "atomic", None)
        if held is not None:  # inside ``atomic``: part of its one transaction
            with store_errors(self._engine.url):
                yield held
            return
        with store_errors(self._engine.url), self._engine.connect() as conn:
            conn.execution_options(**write_options())
            with conn.begin():
                yield conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Make every write and read of this thread inside the block one transaction: all of it lands, or none.

        For work whose parts only make sense together (a resolution's profiles, links and
        index): a crash or an error inside leaves the store as it was before the block.
        Reads inside see the block's own writes. Nested blocks join the outer one.

        Raises:
            StoreError: When the database fails (everything inside is rolled back).
        """
        if getattr(self._pinned, "atomic", None) is not None:
            yield
            return
        before = getattr(self._pinned, "conn", None)
        with store_errors(self._engine.url), self._engine.connect() as conn:
            conn.execution_options(**write_options())
            with conn.begin():
                self._pinned.atomic = self._pinned.conn = conn
                try:
                    yield
                finally:
                    self._pinned.atomic, self._pinned.conn = None, before

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Serve this thread's reads inside the block from one connection.

        A sequence of small look-ups (one incremental decision makes half a dozen)
        then pays for one connection instead of one each. Writes still take their
        own transaction. Nested blocks share the outer connection.

        Raises:
            StoreError: When the database fails.
        """
        if getattr(self._pinned, "conn", None) is not None:
            yield
            return
        with store_errors(self._engine.url), self._engine.connect() as conn:
            self._pinned.conn = conn
            try:
                yield
            finally:
                self._pinned.conn = None

    @contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """Yield a connection for reading (no write lock on SQLite): the one ``reading`` lent, if any.

        Raises:
            StoreError: When the database fails.
        """
        pinned: sa.Connection | None = getattr(self._pinned, "conn", None)
        if pinned is not None:
            with store_errors(self._engine.url):
                yield pinned
            return
        with store_errors(self._engine.url), self._engine.connect() as conn:
            yield conn

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a SQLModel session in a transaction, committed on success.

        Raises:
            StoreError: When the database fails.
        """
        with store_errors(self._engine.url), self._engine.connect() as conn:
            conn.execution_options(**write_options())
            with Session(bind=conn, expire_on_commit=False) as session:
                yield session
                session.commit()

    def select_all(self, statement: Any) -> list[Any]:
        """Run a SQLModel select and return every row it finds.

        Raises:
            StoreError: When the database fails.
        """
        pinned: sa.Connection | None = getattr(self._pinned, "conn", None)
        bind = pinned if pinned is not None else self._engine
        with store_errors(self._engine.url), Session(bind=bind, expire_on_commit=False) as session:
            return list(session.exec(statement).all())

    def stream(self, query: Any) -> Iterator[Any]:
        """Yield the rows of a Core select, fetched ``CHUNK_SIZE`` at a time.

        Raises:
            StoreError: When the database fails.
        """
        pinned: sa.Connection | None = getattr(self._pinned, "conn", None)
        if pinned is not None:
            with store_errors(self._engine.url):
                yield from pinned.execute(query)
            return
        with store_errors(self._engine.url), self._engine.connect() as conn:
            result = conn.execution_options(yield_per=CHUNK_SIZE).execute(query)
            yield from result

    def upsert_statement(self, conn: sa.Connection, spec: UpsertSpec) -> Any:
        """Return the hash-guarded upsert of ``spec`` for this dialect, built once (building costs more than running)."""
        cache_key = (conn.dialect.name, spec)
        found = _UPSERT_STATEMENTS.get(cache_key)
        if found is None:
            stmt = insert(conn, spec.table)
            if spec.json_text:
                stmt = stmt.values({name: _json_text_param(conn, name) for name in spec.json_text})
            column = spec.table.c[spec.hash_column]
            found = _UPSERT_STATEMENTS[cache_key] = stmt.on_conflict_do_update(
                index_elements=list(spec.key),
                set_={name: stmt.excluded[name] for name in spec.update},
                where=column != stmt.excluded[spec.hash_column],
            )
        return found

    def _existing_hashes(
        self, conn: sa.Connection, spec: UpsertSpec, rows: Sequence[dict[str, Any]]
    ) -> dict[tuple[Any, ...], str]:
        table, fixed, varying = spec.table, spec.key[: spec.lookup - 1], spec.key[spec.lookup - 1]
        groups: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
        for row in rows:
            groups[tuple(row[c] for c in fixed)].add(row[varying])
        found: dict[tuple[Any, ...], str] = {}
        columns = [table.c[c] for c in spec.key] + [table.c[spec.hash_column]]
        for prefix, values in groups.items():
            where = [table.c[c] == v for c, v in zip(fixed, prefix, strict=True)]
            query = sa.select(*columns).where(*where, table.c[varying].in_(values))
            for result in conn.execute(query):
                found[tuple(result[:-1])] = result[-1]
        return found

    def upsert(
        self, spec: UpsertSpec, rows: Iterable[dict[str, Any]], *, changed_keys: list[tuple[Any, ...]] | None = None
    ) -> UpsertCounts:
        """Insert new rows, update rows whose hash changed, leave equal rows untouched.

        Duplicates within ``rows`` collapse to the last one. One transaction per chunk.
        ``changed_keys``, when given, receives the key of every row inserted or updated.

        Returns:
            How many rows were inserted, updated and left unchanged.

        Raises:
            StoreError: When a row cannot be stored or the database fails.
        """
        counts, grown = UpsertCounts(), 0
        for chunk in chunked(rows):
            unique = {tuple(row[c] for c in spec.key): row for row in chunk}
            with self.transaction() as conn:
                existing = self._existing_hashes(conn, spec, list(unique.values()))
                new = [row for key, row in unique.items() if key not in existing]
                changed = [
                    row for key, row in unique.items() if key in existing and existing[key] != row[spec.hash_column]
                ]
                if new or changed:
                    conn.execute(self.upsert_statement(conn, spec), new + changed)
                grown = self._refresh_statistics(conn, spec.table, grown + len(new))
            if changed_keys is not None:
                changed_keys.extend(tuple(row[c] for c in spec.key) for row in (*new, *changed))
            counts += UpsertCounts(len(new), len(changed), len(unique) - len(new) - len(changed))
        return counts

    def _refresh_statistics(self, conn: sa.Connection, table: sa.Table, grown: int) -> int:
        """ANALYZE a PostgreSQL table that grew past its planner statistics; return rows not yet analysed.

        Without it, a bulk load into a fresh table keeps plans made for an empty one
        (lookups scan every row of the stream), and a 100k-row load turns quadratic.
        """
        if conn.dialect.name != "postgresql" or grown < CHUNK_SIZE:
            return grown
        known = conn.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"), {"name": table.name}
        ).scalar_one()
        if grown <= max(known, 0):
            return grown
        conn.execute(sa.text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}"))
        return 0


class Repository:
    """One concern of the store (runs, links, pins...): its reads and writes over the shared ``Database``.

    Args:
        db: The database every repository of one ``Store`` shares.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
