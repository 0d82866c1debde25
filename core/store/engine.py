"""Where the store lives: the database URL, the engine, and database errors as ``StoreError``.

SQLite (``sqlite:///./contactpoint.db``) is the default; PostgreSQL is used when
``CONTACTPOINT_DATABASE_URL`` is set, e.g. ``postgresql://user:pw@host:5432/contactpoint``
(``postgres://`` and ``postgresql://`` are rewritten to the psycopg 3 driver).
Passwords never appear in messages: ``mask_url`` hides them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.pool import StaticPool

from core.errors import StoreError
from core.logs import redact_text
from core.store.types import json_dumps

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "database_url",
    "make_engine",
    "mask_url",
    "normalise_url",
    "store_errors",
    "write_options",
]

ENV_VAR = "CONTACTPOINT_DATABASE_URL"
DEFAULT_URL = "sqlite:///./contactpoint.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHED_STATEMENTS = 32
"""Prepared statements the sqlite3 module keeps per connection (its default is 128). Look-ups of a
chunk of records bind one parameter per record, so each chunk size is a statement of its own: with
128, SQLite's own memory rose from 5 to 16 MiB through a sync's decide steps at 100,000 records."""
PG_CONNECT_TIMEOUT_S = 10
SQLITE_BEGIN_OPTION = "sqlite_begin"


def write_options() -> dict[str, str]:
    """Execution options for a connection that will write (SQLite: ``BEGIN IMMEDIATE``)."""
    return {SQLITE_BEGIN_OPTION: "IMMEDIATE"}


_PG_SCHEMES = re.compile(r"^(postgres|postgresql)://", re.IGNORECASE)


def normalise_url(url: str) -> str:
    """Rewrite ``postgres://`` and ``postgresql://`` to ``postgresql+psycopg://``; keep others."""
    url = url.strip()
    return _PG_SCHEMES.sub("postgresql+psycopg://", url, count=1)


def database_url() -> str:
    """Return the store's URL: ``CONTACTPOINT_DATABASE_URL`` if set, else ``sqlite:///./contactpoint.db``."""
    value = os.environ.get(ENV_VAR, "").strip()
    return normalise_url(value) if value else DEFAULT_URL


def mask_url(url: str | URL) -> str:
    """Return the URL with its password replaced by ``***`` (safe to print)."""
    try:
        parsed = url if isinstance(url, URL) else make_url(str(url))
    except ArgumentError:
        return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", str(url))
    return parsed.render_as_string(hide_password=True)


def _parse(url: str) -> URL:
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError as err:
        msg = f"store URL {mask_url(url)!r} is not a database URL"
        raise StoreError(
            msg,
            hint=f"set {ENV_VAR} to e.g. postgresql://user:password@host:5432/contactpoint or sqlite:///./contactpoint.db",
        ) from err
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        msg = (
            f"store URL {mask_url(parsed)!r} names backend {parsed.get_backend_name()!r}; supported: sqlite, postgresql"
        )
        raise StoreError(
            msg,
            hint=f"set {ENV_VAR} to a postgresql:// URL, or unset it to use the SQLite file",
        )
    return parsed


def make_engine(url: str | None = None) -> Engine:
    """Create the SQLAlchemy engine for ``url`` (``database_url()`` when None).

    SQLite connections use WAL, enforce foreign keys and wait up to 10 s on a lock;
    a connection with execution option ``sqlite_begin="IMMEDIATE"`` takes the write
    lock when its transaction begins (``write_options()``). PostgreSQL connections are
    pinged before use.

    Raises:
        StoreError: The URL cannot be parsed or names an unsupported backend.
    """
    parsed = _parse(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return sa.create_engine(
        parsed,
        pool_pre_ping=True,
        json_serializer=json_dumps,
        # psycopg prepares statements run 5+ times; a generic plan made while a table was
        # empty (seq scan) would stay for a whole bulk load, so plan each execution.
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": "-c plan_cache_mode=force_custom_plan"},
    )


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:")
    connect_args: dict[str, Any] = {"cached_statements": SQLITE_CACHED_STATEMENTS}
    kwargs: dict[str, Any] = {"json_serializer": json_dumps, "connect_args": connect_args}
    if memory:
        kwargs["poolclass"] = StaticPool
        connect_args["check_same_thread"] = False
    engine = sa.create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Writers ask for IMMEDIATE (take the write lock up front, so two writers queue on
        # busy_timeout instead of failing on lock upgrade); readers stay DEFERRED.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _describe(err: SQLAlchemyError, url: URL) -> tuple[str, str]:
    """Return (message, hint) for a database error, without secrets."""
    cause = err.orig if isinstance(err, StatementError) and err.orig is not None else err
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    if url.password:
        text = text.replace(url.password, "***")
    text = redact_text(text)
    where = mask_url(url)
    lowered = text.lower()
    unreachable = ("connection refused", "could not connect", "connection failed", "timeout expired")
    if (
        url.get_backend_name() == "postgresql"
        and isinstance(err, DBAPIError)
        and any(s in lowered for s in unreachable)
    ):
        host, port = url.host or "localhost", url.port or 5432
        return (
            f"cannot connect to PostgreSQL at {host}:{port} (database {url.database!r}): {text}",
            f"check the server is running and reachable, and {ENV_VAR} (now {where})",
        )
    if "no such table" in lowered or ("does not exist" in lowered and "relation" in lowered):
        return f"store at {where} has no schema yet: {text}", "run: contactpoint store migrate"
    if "unable to open database file" in lowered:
        return f"cannot open SQLite file of {where}: {text}", "check the directory exists and is writable"
    if "database is locked" in lowered:
        return f"SQLite store {where} is locked: {text}", "another process is writing; retry when it has finished"
    return f"store error at {where}: {text}", f"check the store at {where}; `contactpoint store status` shows its state"


@contextmanager
def store_errors(url: URL | str) -> Iterator[None]:
    """Convert database errors raised inside into ``StoreError`` with a hint and a masked URL.

    Raises:
        StoreError: Whenever SQLAlchemy or the driver raised inside the block.
    """
    try:
        yield
    except SQLAlchemyError as err:
        parsed = url if isinstance(url, URL) else make_url(str(url))
        message, hint = _describe(err, parsed)
        raise StoreError(message, hint=hint, url=mask_url(parsed)) from err
