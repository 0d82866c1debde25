"""``store.locks``: the jobs running now, so two runs of one job never overlap.

    acquire     take a job for a run, or say who holds it; a holder whose process is
                gone (same host, pid not alive) or whose heartbeat went quiet is taken over
    heartbeat   the holder is alive: refresh its jobs' heartbeat
    release     the run ended: give its jobs back

The lock is a row per job name in ``job_locks``, claimed in a transaction, so it works
the same across processes on SQLite and across connections (and machines) on
PostgreSQL. A process that is killed cannot release its row; the next run that wants
the job sees the holder is gone and takes it over, with a log line saying so.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog

from core.store.database import Repository, insert
from core.store.tables import JobLock

__all__ = ["Holder", "Locks", "process_alive"]

_LOCKS = JobLock.__table__  # type: ignore[attr-defined]

log = structlog.get_logger(__name__)


def process_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this machine (a zombie counts as gone only once reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a job: the run, its process and machine, and since when."""

    name: str
    run_id: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime

    def gone(self, *, host: str, now: datetime, stale_after: timedelta) -> str | None:
        """Return why the holder is no longer running (None when it may be): its process ended, or it went quiet."""
        if self.host == host and not process_alive(self.pid):
            return f"its process {self.pid} on {self.host} has ended"
        if now - self.heartbeat_at > stale_after:
            quiet = int((now - self.heartbeat_at).total_seconds())
            return f"it has not shown a sign of life for {quiet} s (process {self.pid} on {self.host})"
        return None


class Locks(Repository):
    """Job locks: one row per job a run holds."""

    def acquire(self, name: str, *, run_id: str, pid: int, host: str, stale_after: timedelta) -> Holder | None:
        """Take job ``name`` for ``run_id``; return None when taken, or the holder that keeps it.

        A holder that is gone (see ``Holder.gone``) is replaced, and a warning is logged.

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        row = {"name": name, "run_id": run_id, "pid": pid, "host": host, "acquired_at": now, "heartbeat_at": now}
        with self._db.transaction() as conn:
            taken = conn.execute(insert(conn, _LOCKS).values(**row).on_conflict_do_nothing(index_elements=["name"]))
            if taken.rowcount == 1:
                return None
            query = sa.select(_LOCKS).where(_LOCKS.c.name == name)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            found = conn.execute(query).one_or_none()
            if found is None:  # released between the insert and the read: take it now
                conn.execute(insert(conn, _LOCKS).values(**row))
                return None
            holder = Holder(**found._mapping)
            reason = None if holder.run_id == run_id else holder.gone(host=host, now=now, stale_after=stale_after)
            if holder.run_id != run_id and reason is None:
                return holder
            conn.execute(sa.update(_LOCKS).where(_LOCKS.c.name == name).values(**row))
        if reason is not None:
            log.warning("store.lock_taken_over", job=name, run_id=run_id, previous_run=holder.run_id, why=reason)
        return None

    def heartbeat(self, names: Iterable[str], *, run_id: str) -> dict[str, str | None]:
        """Refresh the heartbeat of the jobs ``run_id`` holds; return those it no longer holds.

        Returns:
            ``{job: the run that holds it now, or None}`` for each job of ``names`` another run
            took over (this one was taken for dead: paused longer than a lock stays alive) or
            that nobody holds any more; empty while ``run_id`` holds them all.
        """
        wanted = builtins.list(names)
        if not wanted:
            return {}
        with self._db.transaction() as conn:
            refreshed = conn.execute(
                sa.update(_LOCKS)
                .where(_LOCKS.c.name.in_(wanted), _LOCKS.c.run_id == run_id)
                .values(heartbeat_at=self._db.now())
            ).rowcount
            if refreshed == len(wanted):
                return {}
            query = sa.select(_LOCKS.c.name, _LOCKS.c.run_id).where(_LOCKS.c.name.in_(wanted))
            holders = {str(name): str(holder) for name, holder in conn.execute(query)}
        return {name: holders.get(name) for name in wanted if holders.get(name) != run_id}

    def release(self, names: Iterable[str], *, run_id: str) -> None:
        """Give back the jobs ``run_id`` holds (a job taken over meanwhile is left to its new holder)."""
        wanted = builtins.list(names)
        if not wanted:
            return
        with self._db.transaction() as conn:
            conn.execute(sa.delete(_LOCKS).where(_LOCKS.c.name.in_(wanted), _LOCKS.c.run_id == run_id))

    def list(self) -> builtins.list[Holder]:
        """Return every job held now, by name."""
        with self._db.connection() as conn:
            return [Holder(**row._mapping) for row in conn.execute(sa.select(_LOCKS).order_by(_LOCKS.c.name))]
