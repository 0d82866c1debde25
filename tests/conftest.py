"""Shared fixtures: one store test runs on SQLite and on PostgreSQL.

* ``store_url`` — parametrised ``sqlite`` / ``postgresql``. SQLite is a fresh file
  under ``tmp_path``. PostgreSQL is a fresh database with a unique name created on
  the server named by ``CONTACTPOINT_TEST_POSTGRES_URL`` and dropped afterwards
  (several people may share the server). Without that variable the PostgreSQL
  parameter is skipped, unless ``CONTACTPOINT_REQUIRE_POSTGRES=1``, which fails it.
  PostgreSQL parameters carry ``@pytest.mark.postgres`` (deselect with ``-m "not postgres"``).
* ``store`` — a migrated ``core.store.Store`` on ``store_url``, closed afterwards.
* ``fixed_clock`` — a settable clock (aware UTC) to pass as ``open_store(url, clock=...)``.

Use them from any test package: ``def test_x(store): ...`` runs twice, once per backend.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.store import Store, mask_url, normalise_url, open_store

PG_ENV = "CONTACTPOINT_TEST_POSTGRES_URL"
REQUIRE_PG_ENV = "CONTACTPOINT_REQUIRE_POSTGRES"


class FixedClock:
    """A clock for the store that only moves when told: ``clock.advance(seconds=5)``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def fixed_clock() -> FixedClock:
    """A settable store clock starting at 2024-05-01T09:30:00Z."""
    return FixedClock(datetime(2024, 5, 1, 9, 30, tzinfo=UTC))


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return normalise_url(url)
    message = f"{PG_ENV} is not set; start a server with `scripts/postgres.sh start` and export its URL"
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{REQUIRE_PG_ENV}=1 but {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """An AUTOCOMMIT engine on the test server's database, for CREATE/DROP DATABASE."""
    engine = sa.create_engine(_postgres_base_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as err:
        pytest.fail(f"cannot reach the PostgreSQL test server at {mask_url(engine.url)}: {err.orig}")
    yield engine
    engine.dispose()


def _fresh_postgres_database(admin: sa.Engine) -> Iterator[str]:
    name = f"cp_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contactpoint.db'}"
        return
    admin = request.getfixturevalue("postgres_admin")
    yield from _fresh_postgres_database(admin)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on ``store_url`` (each backend in turn), closed after the test."""
    with open_store(store_url) as opened:
        yield opened
