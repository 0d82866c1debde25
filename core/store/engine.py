"""Where the store lives: the database URL, the engine, and database errors as ``StoreError``.

SQLite (``sqlite:///./contactpoint.db``) is the default; PostgreSQL is used when
``CONTACTPOINT_DATABASE_URL`` is set, e.g. ``postgresql://user:pw@host:5432/contactpoint``
(``postgres://`` and ``postgresql://`` are rewritten to the psycopg 3 driver).
Passwords never appear in messages: ``mask_url`` hides them.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError, StatementError
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


_SCHEME = re.compile(r"^([A-Za-z][\w+.-]*:)(/*)(.*)$", re.DOTALL)
_SECRET_PARAM = re.compile(r"(?i)([?&;](?:[\w.-]*pass(?:word|wd)?|pwd|[\w.-]*secret|[\w.-]*token)=)[^&;#]*")
_PORT = re.compile(r"^[\w+]+://(?:[^:/]*(?::[^@]*)?@)?(?:\[[^/?]+\]|[^/:?]+)?:(?P<port>[^/?]*)")


def _split(text: str) -> tuple[str, str]:
    """Split a URL into its ``scheme:`` plus slashes and the rest (the whole text when it has no scheme)."""
    found = _SCHEME.match(text)
    return (found.group(1) + found.group(2), found.group(3)) if found else ("", text)


def _userinfo_end(rest: str) -> int:
    """Return where the ``@`` ending ``user:password`` is in ``rest`` (the URL after its scheme), or -1.

    The last ``@`` before the query wins, so a password with an unencoded ``@`` or ``/`` is
    still all password; a ``?`` in the password is told from a query by the ``=`` every
    query parameter has.
    """
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at >= 0 or query < 0:
        return at
    at = rest.rfind("@")
    return at if at > query and "=" not in rest[query:at] else -1


def _mask_text(text: str) -> str:
    head, rest = _split(text)
    at = _userinfo_end(rest)
    if at >= 0:
        user, colon, _ = rest[:at].partition(":")
        if colon:
            rest = f"{user}:***{rest[at:]}"
    return head + _SECRET_PARAM.sub(r"\1***", rest)


def mask_url(url: str | URL) -> str:
    """Return the URL with its password replaced by ``***`` (safe to print), whatever its form.

    Masks ``user:password@`` (a password with unencoded ``@``, ``/`` or ``?`` included, and in
    URLs that do not parse) and query parameters such as ``?password=…``.
    """
    text = url.render_as_string(hide_password=True) if isinstance(url, URL) else str(url)
    return _mask_text(text)


def _url_error(message: str, hint: str, url: str) -> StoreError:
    return StoreError(message, hint=hint, url=mask_url(url))


def _check_at_signs(text: str) -> None:
    """Refuse an unencoded ``@`` in the password: the database would be asked for the wrong host."""
    head, rest = _split(text)
    query = rest.find("?")
    if not head.lower().startswith("sqlite") and rest[: query if query >= 0 else len(rest)].count("@") > 1:
        msg = f"store URL {mask_url(text)!r} has more than one '@': a password's '@' must be percent-encoded"
        hint = "write '@' in the password as %40 (':' as %3A, '/' as %2F), e.g. postgresql://cp:pa%40ss@host:5432/contactpoint"
        raise _url_error(msg, hint, text)


def _port_error(text: str) -> StoreError:
    found = _PORT.match(text)
    port = found.group("port") if found else ""
    hint = "give the port as a number, e.g. postgresql://user:password@host:5432/contactpoint"
    if ":" in port:
        hint = "put an IPv6 address in brackets, e.g. postgresql://user:password@[::1]:5432/contactpoint"
    if "@" not in _split(text)[1]:
        # Without ``user:password@``, what looks like ``host:port`` may be ``user:password``.
        shown = text.replace(f":{port}", ":***", 1) if port else mask_url(text)
        msg = f"store URL {shown!r}: the part after the host's ':' is not a port number"
        return StoreError(msg, hint=hint + " (did you leave out 'user:password@'?)", url=shown)
    return _url_error(f"store URL {mask_url(text)!r}: the port {port!r} is not a number", hint, text)


def _parse(url: str) -> URL:
    text = normalise_url(url)
    _check_at_signs(text)
    try:
        parsed = make_url(text)
    except ArgumentError:
        msg = f"store URL {mask_url(text)!r} is not a database URL"
        hint = f"set {ENV_VAR} to e.g. postgresql://user:password@host:5432/contactpoint or sqlite:///./contactpoint.db"
        raise _url_error(msg, hint, text) from None
    except ValueError:  # SQLAlchemy's int() of the port
        raise _port_error(text) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        msg = (
            f"store URL {mask_url(parsed)!r} names backend {parsed.get_backend_name()!r}; supported: sqlite, postgresql"
        )
        hint = f"set {ENV_VAR} to a postgresql:// URL, or unset it to use the SQLite file"
        raise _url_error(msg, hint, text)
    return parsed


def _create(url: URL, **kwargs: Any) -> Engine:
    """``sa.create_engine``, with a driver that is unknown or not installed as a ``StoreError``."""
    driver = url.get_driver_name()
    usable = url.set(drivername="sqlite" if url.get_backend_name() == "sqlite" else "postgresql+psycopg")
    hint = f"use {mask_url(usable)} (psycopg 3 for PostgreSQL, installed with Contactpoint)"
    try:
        return sa.create_engine(url, **kwargs)
    except NoSuchModuleError:
        msg = f"store URL {mask_url(url)!r} names the driver {driver!r}, which SQLAlchemy does not know"
        raise StoreError(msg, hint=hint, url=mask_url(url)) from None
    except ImportError:
        msg = f"the driver {driver!r} is not installed (store URL {mask_url(url)!r})"
        raise StoreError(msg, hint=hint, url=mask_url(url)) from None


def make_engine(url: str | None = None) -> Engine:
    """Create the SQLAlchemy engine for ``url`` (``database_url()`` when None).

    SQLite connections use WAL, enforce foreign keys and wait up to 10 s on a lock;
    a connection with execution option ``sqlite_begin="IMMEDIATE"`` takes the write
    lock when its transaction begins (``write_options()``). PostgreSQL connections are
    pinged before use.

    Raises:
        StoreError: The URL cannot be parsed (its port is not a number, its password holds an
            unencoded ``@``), or names an unsupported backend or a driver that is not installed.
    """
    parsed = _parse(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return _create(
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
    engine = _create(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module, so BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            _to_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Writers ask for IMMEDIATE (take the write lock up front, so two writers queue on
        # busy_timeout instead of failing on lock upgrade); readers stay DEFERRED.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _to_wal(cursor: Any) -> None:
    """Put the database in WAL mode, trying again while another connection holds it.

    Two processes opening one new store at once both ask to leave the rollback journal;
    each holds the shared lock the other must wait out, so SQLite answers one of them
    "database is locked" at once, without its busy timeout. That one asks again, until
    the busy timeout has passed (by then the other has turned the file to WAL).
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as err:
            if "locked" not in str(err).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
        else:
            return


def _url_secrets(url: URL) -> list[str]:
    """The URL's password and the values of its secret query parameters (``?password=…``)."""
    found = [url.password] if url.password else []
    for key, value in url.query.items():
        if _SECRET_PARAM.match(f"?{key}="):
            found.extend(v for v in ([value] if isinstance(value, str) else value) if v)
    return found


def _describe(err: SQLAlchemyError, url: URL) -> tuple[str, str]:
    """Return (message, hint) for a database error, without secrets."""
    cause = err.orig if isinstance(err, StatementError) and err.orig is not None else err
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    for secret in _url_secrets(url):
        text = text.replace(secret, "***")
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
