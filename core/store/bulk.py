"""Lean bulk inserts: rows as tuples, straight to the driver.

    prepare(conn, table, columns)   a ``BulkInsert``: the columns' bind conversions, looked up once
    bind_value(dialect, column, v)  a batch-level value (a timestamp) converted once, as binding would
    BulkInsert.write(rows)          ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL
    BulkInsert.write_all(chunks)    the same for many chunks: one ``COPY`` on PostgreSQL
    on_driver(conn, sql, run)       run(cursor) on the driver's own connection, its errors SQLAlchemy's

SQLAlchemy builds a parameter dict per row and runs each value through its type's
bind processing; for a load of 100,000 rows that costs several times what the
database itself spends. Here each row is a tuple in ``columns`` order and only the
columns whose type converts values (timezone-aware datetimes, JSON given as Python
values) are converted per row, with SQLAlchemy's own bind processors for the
dialect, so a row is stored byte for byte as the ORM path would store it.

Inserts only: a row that breaks a unique key raises ``sqlalchemy.exc.IntegrityError``
(on every backend), and the caller decides what to do (``savepoint`` lets it undo the
attempt and carry on in the same transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc

__all__ = ["BulkInsert", "bind_value", "on_driver", "prepare", "savepoint"]

Row = tuple[Any, ...]
T = TypeVar("T")


@dataclass(frozen=True)
class BulkInsert:
    """A prepared insert of ``columns`` into one table on one connection.

    Attributes:
        conn: The connection (in the caller's transaction).
        table: The table.
        columns: Column names, in the order of each row's values.
        processors: Per column, SQLAlchemy's bind conversion for this dialect, or ``None``.
    """

    conn: sa.Connection
    table: sa.Table
    columns: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def write(self, rows: Sequence[Row], *, converted: Sequence[str] = ()) -> int:
        """Insert ``rows``; return how many.

        Args:
            rows: Tuples in ``columns`` order.
            converted: Columns whose values the caller already converted (``convert``):
                they are passed through as they are.

        Raises:
            sqlalchemy.exc.IntegrityError: A row breaks a unique key or a constraint (nothing of
                this call is written; the transaction must be rolled back or a savepoint released).
            sqlalchemy.exc.DBAPIError: The database failed.
        """
        if not rows:
            return 0
        todo = [(i, p) for i, (name, p) in enumerate(zip(self.columns, self.processors, strict=True))
                if p is not None and name not in converted]  # fmt: skip
        if todo:
            rows = [_converted(row, todo) for row in rows]
        if self.conn.dialect.name == "postgresql":
            self._copy(rows)
        else:
            self._executemany(rows)
        return len(rows)

    def write_all(self, chunks: Iterable[Sequence[Row]]) -> int:
        """Insert every chunk's rows, as ``write`` each; return how many.

        On PostgreSQL the chunks go through one ``COPY``, taken a chunk at a time: a ``COPY``
        of its own for each chunk of 5,000 rows costs the server and the round trips about as
        much again as the rows (0.5 against 0.3 s for 924,000 short rows). SQLite runs one
        ``executemany`` a chunk.

        Raises:
            sqlalchemy.exc.IntegrityError: As ``write``.
            sqlalchemy.exc.DBAPIError: As ``write``.
        """
        if self.conn.dialect.name != "postgresql":
            return sum(self.write(chunk) for chunk in chunks)
        todo = [(i, p) for i, p in enumerate(self.processors) if p is not None]
        written = [0]

        def rows() -> Iterator[Row]:
            for chunk in chunks:
                written[0] += len(chunk)
                yield from ([_converted(row, todo) for row in chunk] if todo else chunk)

        self._copy(rows())
        return written[0]

    def _executemany(self, rows: Sequence[Row]) -> None:
        names = ", ".join(_quote(self.conn, c) for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        sql = f"INSERT INTO {_quote(self.conn, self.table.name)} ({names}) VALUES ({marks})"
        self._driver(lambda cursor: cursor.executemany(sql, rows), sql)

    def _copy(self, rows: Iterable[Row]) -> None:
        names = ", ".join(_quote(self.conn, c) for c in self.columns)
        sql = f"COPY {_quote(self.conn, self.table.name)} ({names}) FROM STDIN"

        def run(cursor: Any) -> None:
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)

        self._driver(run, sql)

    def _driver(self, run: Callable[[Any], Any], sql: str) -> None:
        on_driver(self.conn, sql, run)


def on_driver(conn: sa.Connection, sql: str, run: Callable[[Any], T], params: Any = None) -> T:
    """Return ``run(cursor)`` on the driver's own connection, raising SQLAlchemy's errors as the ORM path does.

    ``sql`` and ``params`` are what the error names (``store_errors`` turns it into a ``StoreError``).
    """
    raw = conn.connection.driver_connection
    dbapi = conn.dialect.loaded_dbapi
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        return run(cursor)
    except dbapi.Error as err:
        raise exc.DBAPIError.instance(sql, params, err, dbapi.Error) from err
    finally:
        cursor.close()


def bind_value(dialect: sa.Dialect, column: sa.Column[Any], value: Any) -> Any:
    """Convert ``value`` for ``column`` as binding would on ``dialect``: once for a value a whole batch shares."""
    process = column.type._cached_bind_processor(dialect)
    return value if process is None or value is None else process(value)


def prepare(conn: sa.Connection, table: sa.Table, columns: Sequence[str], *, as_is: Sequence[str] = ()) -> BulkInsert:
    """Prepare inserts of ``columns`` into ``table`` on ``conn``: each column's bind conversion, once.

    ``as_is`` names columns whose values go to the driver unconverted: JSON columns given as
    canonical JSON text (stored as that text on SQLite, parsed into ``jsonb`` by PostgreSQL).
    """
    dialect = conn.dialect
    processors = tuple(
        None if name in as_is else table.c[name].type._cached_bind_processor(dialect) for name in columns
    )
    return BulkInsert(conn, table, tuple(columns), processors)


@contextmanager
def savepoint(conn: sa.Connection) -> Iterator[list[bool]]:
    """Try a block inside a savepoint; on a unique-key clash undo only the block and carry on.

    Yields a one-item list set to ``True`` when the block clashed and was undone, so the
    caller can take its slower path for the same rows in the same transaction.
    """
    clashed = [False]
    nested = conn.begin_nested()
    try:
        yield clashed
    except exc.IntegrityError:
        nested.rollback()
        clashed[0] = True
    else:
        nested.commit()


def _converted(row: Row, todo: list[tuple[int, Callable[[Any], Any]]]) -> Row:
    values = list(row)
    for i, process in todo:
        value = values[i]
        if value is not None:
            values[i] = process(value)
    return tuple(values)


def _quote(conn: sa.Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))
