"""One run of work over the store, from start to its recorded end, whatever happens in between.

    with RunContext(store, RunKind.IMPORT, jobs=["stream:files/people"]) as run:
        ...                              # the work; run.check_stop() between batches
        run.count(Counter.PULLED, 500)   # typed counters, in the run ledger's vocabulary
        run.count_from(summary.counters) # or counters read from the work as it goes
        run.spent("salesforce", usage)   # API usage per system
        run.partial = True               # it ran to the end, with records parked

On entry: runs whose process is gone are marked ``abandoned``; the run is recorded as
``started`` with its process and machine; each job it names is taken in
``store.locks`` (a job held by a live run refuses this one with ``JobBusyError``, after
waiting up to ``wait`` seconds); a heartbeat thread keeps the run and its jobs alive;
SIGTERM and SIGINT are caught.

On exit: the run is recorded ``succeeded`` or ``partial``; after a signal, ``interrupted``
(the work checks ``check_stop`` between batches, so it stops after a whole batch, and the
command exits 130 or 143); after any other exception, ``failed`` with the error's text and
type. The jobs are released and the signal handlers restored in every case. The counters
are recorded at every heartbeat too, so a run that stops, fails or is killed keeps what it
did up to then.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from enum import StrEnum
from types import FrameType, TracebackType
from typing import Any

import structlog

from core.errors import ContactpointError, JobBusyError, LockLost, RunInterrupted, RunStopped
from core.store import RunStatus, Store

__all__ = ["IDENTITY_JOB", "Counter", "RunContext", "RunKind", "job_for_stream"]

log = structlog.get_logger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=15)
STALE_AFTER = timedelta(minutes=3)
"""A run or job whose heartbeat is older than this is taken for dead (another machine, or a hung process)."""


class RunKind(StrEnum):
    """What a run does; the run ledger's ``kind``."""

    SYNC = "sync"
    SYNC_DRY_RUN = "sync-dry-run"
    IMPORT = "import"
    IDENTITY = "identity"
    IDENTITY_MERGE = "identity-merge"
    IDENTITY_SPLIT = "identity-split"
    DEMO = "demo"
    BENCH = "bench"
    ERASE = "erase"
    IDENTITY_REVIEW = "identity-review"


class Counter(StrEnum):
    """The run ledger's counter vocabulary: every run counts in these words and no others."""

    PULLED = "pulled"
    STORED = "stored"
    INSERTED = "inserted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CANONICAL = "canonical"
    REJECTED = "rejected"
    FIELD_PROBLEMS = "field_problems"
    REPEATED = "repeated"
    OLDER = "older"
    PROFILES = "profiles"
    NEW_PROFILES = "new"
    MERGED = "merged"
    SPLIT = "split"
    RECORDS_LINKED = "records_linked"
    LINKS_REMOVED = "removed"
    REVIEWS = "reviews"
    MOVED = "moved"
    PINS = "pins"
    WRITES = "writes"
    WRITE_CALLS = "write_calls"
    WRITES_FAILED = "writes_failed"


_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""What stops a run after its batch: a service manager (TERM), Ctrl-C (INT), a closed terminal or ssh session (HUP)."""

ACTIVE: set[RunContext] = set()
"""The runs going on in this process (a scheduler asks them to stop on SIGTERM)."""


class RunContext:
    """A run recorded in the store from start to end; see the module docstring.

    Args:
        store: The store the run works on.
        kind: What the run does.
        jobs: Names of the jobs it must hold alone (``identity``, ``stream:files/people``...).
        wait: Seconds to wait for a busy job before refusing (0: refuse at once).
        catch_signals: Catch SIGTERM/SIGINT to stop after the current batch (main thread only).
        schedule: The schedule that started the run, recorded with it.
    """

    def __init__(
        self,
        store: Store,
        kind: RunKind,
        *,
        jobs: Sequence[str] = (),
        wait: float = 0.0,
        catch_signals: bool = True,
        schedule: str | None = None,
    ) -> None:
        self.store = store
        self.schedule = schedule
        self.kind = kind
        self.jobs = tuple(dict.fromkeys(jobs))
        self.wait = wait
        self.run_id = ""
        self.partial = False
        self.counters: Tally[Counter] = Tally()
        self._sources: list[Callable[[], Mapping[str, int]]] = []
        self.api_usage: dict[str, Mapping[str, Any]] = {}
        self._catch = catch_signals and threading.current_thread() is threading.main_thread()
        self._pid, self._host = os.getpid(), socket.gethostname()
        self._held: list[str] = []
        self._stop = threading.Event()
        self._signal: int | None = None
        self._previous: dict[int, Any] = {}
        self._beat = threading.Event()
        self._beater: threading.Thread | None = None
        self._lost: str | None = None
        self._last_beat = time.monotonic()

    # -- what the work calls ------------------------------------------------------------------------

    def count(self, counter: Counter, amount: int = 1) -> None:
        """Add ``amount`` to one counter."""
        self.counters[Counter(counter)] += amount

    def count_all(self, counters: Mapping[str, int]) -> None:
        """Add counters given by their names (every name must be a ``Counter``)."""
        for name, amount in counters.items():
            self.count(Counter(name), amount)

    def count_from(self, source: Callable[[], Mapping[str, int]]) -> None:
        """Add the counters ``source()`` returns (names of ``Counter``) whenever the run records its counters.

        That is at every heartbeat and at the end, however the run ends: a run stopped by a
        signal, failed by an error or killed keeps the counts of what it did up to then.
        ``source`` is called from the heartbeat's thread too, so it only reads.
        """
        self._sources.append(source)

    def counted(self) -> dict[str, int]:
        """The counters as the run ledger records them now: those counted plus those of every source."""
        totals: Tally[str] = Tally({str(name): amount for name, amount in dict(self.counters).items()})
        for source in self._sources:
            for name, amount in source().items():
                totals[str(Counter(name))] += amount
        return dict(totals)

    def spent(self, system: str, usage: Mapping[str, Any]) -> None:
        """Record the API usage of one system (calls, retries, throttled seconds)."""
        self.api_usage[system] = dict(usage)

    @property
    def stop_requested(self) -> bool:
        """Whether a signal asked the run to stop."""
        return self._stop.is_set()

    def check_stop(self) -> None:
        """Stop here if a signal asked to, or if the run lost its jobs: call it between batches.

        Stopping there leaves nothing half-done. A run paused longer than its heartbeat keeps
        it alive (a stopped process, a suspended machine) may find another run took its jobs
        over meanwhile: it checks before going on, and stops.

        Raises:
            LockLost: Another run holds this run's job now.
            RunInterrupted: A signal arrived.
        """
        if self._lost is None and time.monotonic() - self._last_beat > 2 * HEARTBEAT_EVERY.total_seconds():
            self._check_held()  # a beat is overdue: the process was paused, and the beat thread may not know yet
        if self._lost is not None:
            raise LockLost(self._lost, hint="nothing more was done here; the run that holds the job carries on")
        if self._signal is not None:
            name = signal.Signals(self._signal).name
            msg = f"{self.kind.value} run {self.run_id} stopped by {name} after finishing its batch"
            raise RunInterrupted(msg, signal_number=self._signal, hint="run the same command again to carry on")

    # -- entering and leaving ----------------------------------------------------------------------

    def __enter__(self) -> RunContext:
        """Record the start, take the jobs, start the heartbeat and catch signals.

        Raises:
            JobBusyError: A job is held by a live run (after ``wait`` seconds).
            StoreError: The store cannot be written.
        """
        runs = self.store.runs
        self.run_id = runs.start(self.kind.value, pid=self._pid, host=self._host, job=self.schedule)
        ACTIVE.add(self)
        for gone in runs.abandon(host=self._host, stale_after=STALE_AFTER, found_by=self.run_id):
            log.warning("run.abandoned_found", run_id=gone, found_by=self.run_id)
        try:
            self._take_jobs()
        except BaseException as err:
            self._finish(err)
            raise
        self._start_heartbeat()
        if self._catch:
            for number in _SIGNALS:
                self._previous[number] = signal.signal(number, self._on_signal)
        log.info("run.started", run_id=self.run_id, kind=self.kind.value, jobs=list(self.jobs))
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Record how the run ended, release the jobs and restore the signal handlers; never swallow the error."""
        from connectors.http import allow_waits

        ACTIVE.discard(self)
        if self._signal is not None:
            allow_waits()  # the process may run again (a scheduler between jobs): its sessions may wait again
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()
        self._beat.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
        try:
            self._finish(exc)
        finally:
            self.store.locks.release(self._held, run_id=self.run_id)

    def _take_jobs(self) -> None:
        deadline = time.monotonic() + self.wait
        for job in self.jobs:
            while (holder := self._acquire(job)) is not None:
                if time.monotonic() >= deadline:
                    since = holder.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                    msg = (
                        f"job {job!r} is held by run {holder.run_id} (process {holder.pid} on {holder.host}, "
                        f"since {since}); two runs of one job never overlap"
                    )
                    raise JobBusyError(msg, hint="wait for that run to finish, or pass --wait SECONDS", job=job)
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
            self._held.append(job)

    def _acquire(self, job: str) -> Any:
        return self.store.locks.acquire(
            job, run_id=self.run_id, pid=self._pid, host=self._host, stale_after=STALE_AFTER
        )

    def _check_held(self) -> None:
        """Refresh the heartbeat; note the jobs another run took over (``check_stop`` then stops the run)."""
        try:
            counters: dict[str, int] | None = self.counted()
        except RuntimeError:  # the work changed a tally while it was read: the next beat records them
            counters = None
        self.store.runs.heartbeat(self.run_id, counters=counters)
        lost = self.store.locks.heartbeat(self._held, run_id=self.run_id)
        self._last_beat = time.monotonic()
        if lost and self._lost is None:
            taken = ", ".join(
                f"{job!r} by run {holder}" if holder else f"{job!r} released" for job, holder in lost.items()
            )
            self._lost = (
                f"{self.kind.value} run {self.run_id} lost its jobs ({taken}): it showed no sign of life for longer "
                f"than {int(STALE_AFTER.total_seconds())} s (paused or suspended) and was taken for dead"
            )
            self._stop.set()
            log.error("run.lock_lost", run_id=self.run_id, jobs=lost)

    def _start_heartbeat(self) -> None:
        def beat() -> None:
            while not self._beat.wait(HEARTBEAT_EVERY.total_seconds()):
                try:
                    self._check_held()
                except ContactpointError as err:  # a busy store skips a beat; the next one comes
                    log.warning("run.heartbeat_failed", run_id=self.run_id, error=err.message)

        self._beater = threading.Thread(target=beat, name=f"heartbeat:{self.run_id}", daemon=True)
        self._beater.start()

    def request_stop(self, number: int) -> None:
        """Ask the run to stop after its current batch, as the signal ``number`` would (a scheduler stopping)."""
        if self._signal is None:
            self._stopping(number)

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        if self._signal is not None:  # a second signal: stop now, as the user insists
            raise KeyboardInterrupt
        self._stopping(number)

    def _stopping(self, number: int) -> None:
        """Note the stop; a wait for a vendor's rate limit ends now rather than outlast a service manager's patience."""
        from connectors.http import cut_waits

        self._signal = number
        self._stop.set()
        cut_waits(number)
        log.warning("run.stop_requested", run_id=self.run_id, signal=signal.Signals(number).name)

    def _finish(self, exc: BaseException | None) -> None:
        counters = self.counted()
        runs, usage = self.store.runs, self.api_usage or None
        if exc is None:
            status = RunStatus.PARTIAL if self.partial else RunStatus.SUCCEEDED
            runs.finish(self.run_id, status, counters=counters, api_usage=usage)
        elif isinstance(exc, RunInterrupted | LockLost | KeyboardInterrupt):
            message = exc.message if isinstance(exc, RunInterrupted | LockLost) else "stopped by Ctrl-C"
            runs.finish(self.run_id, RunStatus.INTERRUPTED, counters, usage, message, type(exc).__name__)
        elif isinstance(exc, JobBusyError):
            runs.finish(self.run_id, RunStatus.REFUSED, counters, usage, exc.message, type(exc).__name__)
        else:
            message = exc.message if isinstance(exc, ContactpointError) else str(exc) or type(exc).__name__
            runs.finish(self.run_id, RunStatus.FAILED, counters, usage, message, type(exc).__name__)
        status_name = "failed" if exc is not None and not isinstance(exc, RunStopped) else "finished"
        log.info(f"run.{status_name}", run_id=self.run_id, kind=self.kind.value, counters=counters)


IDENTITY_JOB = "identity"
"""The job every run that changes profiles holds: resolutions, merges, splits, syncs."""


def job_for_stream(system: str, stream: str) -> str:
    """The job name of pulling one stream: two imports of one stream never run at once."""
    return f"stream:{system}/{stream}"
