"""Scheduled runs: the jobs contactpoint.yaml declares, run by APScheduler until stopped.

    contactpoint schedule run      a blocking scheduler: cron or interval triggers, each job's
                                   missed runs coalesced into one, started up to its misfire grace
                                   late; the job store is the store's ``scheduler_jobs`` table
    contactpoint schedule list     each job, its trigger, its last run (from the run ledger), next run

Every job runs inside a ``RunContext`` holding the same jobs a hand-started run holds, so a
scheduled sync and a manual one never overlap: the later one waits a little, then is skipped
(and says so in the log and the run ledger). SIGTERM or Ctrl-C stops the scheduler: no new
job starts, the running one finishes its batch and is recorded as interrupted, and the
process exits once it has. A job that fails with a known error (a system unreachable, a
file refused) is logged as ``schedule.job_failed`` with its message and hint, no traceback,
and the scheduler goes on; the next trigger runs it again.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import structlog

from core.config import Project, ScheduleConfig, load_project, project_store_url
from core.errors import ContactpointError, JobBusyError, RunStopped
from core.store import Store, make_engine, open_store
from core.sync import lifecycle
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind
from core.sync.run import SyncOptions, SystemsFailed, run_sync, selected_systems, sync_jobs

__all__ = ["ScheduledJob", "describe_jobs", "run_job", "run_scheduler", "trigger_of"]

log = structlog.get_logger(__name__)

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
JOB_WAIT_SECONDS = 30.0
"""How long a scheduled job waits for an overlapping run before it is skipped."""


def trigger_of(schedule: ScheduleConfig) -> Any:
    """The APScheduler trigger of a schedule: a cron line in its zone, or an interval."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=schedule.timezone)
    every = schedule.every or "1d"
    return IntervalTrigger(**{_UNITS[every[-1]]: int(every[:-1])}, timezone=schedule.timezone)


def run_job(config: str, name: str) -> None:
    """Run one scheduled job (APScheduler calls this by reference; the arguments are stored with the job)."""
    project = load_project(Path(config))
    schedule = next((s for s in project.schedules if s.name == name), None)
    if schedule is None:
        log.warning("schedule.job_gone", job=name, config=config)
        return
    try:
        with open_store(project_store_url(project)) as store:
            _run(project, store, schedule)
    except JobBusyError as err:
        log.warning("schedule.job_skipped", job=name, reason=err.message)
    except RunStopped as err:  # stopped on request (the scheduler's own SIGTERM), or its job taken over: no failure
        log.warning("schedule.job_stopped", job=name, reason=err.message, error_type=type(err).__name__)
    # a known failure is logged with what to do and no traceback (it would only bury the hint); the next trigger
    # runs the job again. SystemsFailed: the others ran, so what it did and which systems to look at.
    except SystemsFailed as err:
        failed = {"failed_systems": err.summary.failed, **err.summary.counters()}
        log.error("schedule.job_failed", job=name, error=err.message, hint=err.hint, **failed)  # noqa: TRY400
    except ContactpointError as err:
        kind = type(err).__name__
        log.error("schedule.job_failed", job=name, error=err.message, hint=err.hint, error_type=kind)  # noqa: TRY400


def _run(project: Project, store: Store, schedule: ScheduleConfig) -> None:
    if schedule.job == "resolve":
        from core.identity import load_settings, resolve_store

        settings_path = project.resolve_path(project.identity.settings) if project.identity.settings else None
        with RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB], wait=JOB_WAIT_SECONDS,
                        schedule=schedule.name) as run:  # fmt: skip
            result = resolve_store(store, load_settings(settings_path), run_id=run.run_id, check_stop=run.check_stop)
            run.count_all(result.summary())
        return
    names = selected_systems(project, schedule.systems)
    with RunContext(store, RunKind.SYNC, jobs=sync_jobs(project, names), wait=JOB_WAIT_SECONDS,
                    schedule=schedule.name) as run:  # fmt: skip
        summary = run_sync(project, store, SyncOptions(systems=names), run=run)
        log.info("schedule.job_finished", job=schedule.name, run_id=run.run_id, **summary.counters())


@dataclass(frozen=True)
class ScheduledJob:
    """A job as ``schedule list`` shows it."""

    name: str
    job: str
    trigger: str
    last_run: str | None
    last_status: str | None
    next_run: datetime | None
    note: str | None = None


def describe_jobs(project: Project, store: Store, *, now: datetime) -> list[ScheduledJob]:
    """Each declared job with its trigger, its last run (the run ledger) and its next run time.

    A job ``schedule run`` has stored as it is declared runs when the stored job says: an
    interval keeps the times it started with, and a run missed while the scheduler was
    stopped is due at once if it is within its misfire grace (``note`` says so) and dropped
    if later. A job not stored yet, or declared otherwise since, runs on its trigger from now.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    jobs = SQLAlchemyJobStore(engine=store.engine, tablename="scheduler_jobs")
    found = []
    for schedule in project.schedules:
        trigger = trigger_of(schedule)
        last = store.runs.last_of_job(schedule.name)
        described = f"cron {schedule.cron} ({schedule.timezone})" if schedule.cron else f"every {schedule.every}"
        stored = jobs.lookup_job(schedule.name)
        as_declared = _stored_as_declared(stored, schedule, trigger, _job_args(project.source, schedule))
        next_run, note = _next_run(stored if as_declared else None, schedule, trigger, now)
        found.append(
            ScheduledJob(
                schedule.name, schedule.job, described, last.run_id if last else None,
                str(last.status) if last else None, next_run, note,
            )
        )  # fmt: skip
    return found


def _next_run(stored: Any, schedule: ScheduleConfig, trigger: Any, now: datetime) -> tuple[datetime | None, str | None]:
    """When ``schedule run`` runs a job next: from the job ``stored`` as declared, else (None) on its trigger from now."""
    if stored is None:
        return trigger.get_next_fire_time(None, now), None
    due: datetime | None = stored.next_run_time
    if due is None or due > now:
        return due, None
    missed = due.isoformat()
    if (now - due).total_seconds() <= schedule.misfire_grace_seconds:
        return now, f"the run due at {missed} was missed while the scheduler was stopped; it runs when it starts"
    later = stored.trigger.get_next_fire_time(None, now)
    grace = schedule.misfire_grace_seconds
    return later, f"the run due at {missed} is later than its grace of {grace} s: it is dropped, not run late"


def run_scheduler(config: Path, *, until: float | None = None) -> int:
    """Run the declared jobs until SIGTERM/Ctrl-C (or ``until`` seconds, for tests); return how many ran.

    Raises:
        ConfigError: The project file is wrong or declares no schedule.
    """
    from apscheduler.events import EVENT_JOB_EXECUTED
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    project = load_project(config)
    _require_schedules(project)
    open_store(project_store_url(project)).close()  # migrated, the job table included
    store = SQLAlchemyJobStore(engine=make_engine(project_store_url(project)), tablename="scheduler_jobs")
    # APScheduler's own notes (a run skipped while the last still runs) come as plain-text log lines
    # among the JSON ones: the job's own log says what happened, in the run's words
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = BackgroundScheduler(jobstores={"default": store}, job_defaults={"coalesce": True, "max_instances": 1})
    ran = [0]
    scheduler.add_listener(lambda _event: ran.__setitem__(0, ran[0] + 1), EVENT_JOB_EXECUTED)
    scheduler.start(paused=True)  # the stored jobs are read, none runs until they agree with the project
    _declare(scheduler, project, config)
    stop, before = _stopper(scheduler)
    try:
        scheduler.resume()
        log.info("schedule.started", jobs=[s.name for s in project.schedules])
        stop.wait(until)
        scheduler.shutdown(wait=True)
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    log.info("schedule.stopped", jobs_run=ran[0])
    return ran[0]


def _job_args(config: Path | str, schedule: ScheduleConfig) -> list[str]:
    """The arguments a job is stored with: its project file and its name (``run_job``'s)."""
    return [str(Path(config).resolve()), schedule.name]


def _stored_as_declared(stored: Any, schedule: ScheduleConfig, trigger: Any, args: list[str]) -> bool:
    """Whether a stored job (or None) is the job the project declares: same trigger, arguments and misfire grace."""
    return (
        stored is not None
        and _same_trigger(stored.trigger, trigger)
        and list(stored.args) == args
        and stored.misfire_grace_time == schedule.misfire_grace_seconds
    )


def _same_trigger(stored: Any, wanted: Any) -> bool:
    """Whether a stored job's trigger is the one the project declares (an interval's start moves: not compared)."""
    zone = str(getattr(stored, "timezone", "")) == str(getattr(wanted, "timezone", ""))
    return type(stored) is type(wanted) and str(stored) == str(wanted) and zone


def _declare(scheduler: Any, project: Project, config: Path) -> None:
    """Make the job store hold the project's jobs.

    A job declared as it is stored keeps its stored next run time, so a run missed while the
    scheduler was stopped starts now (once, however many were missed) if it is within its
    misfire grace, and is dropped if later. A new or changed job is stored afresh; a job no
    longer declared is removed.
    """
    declared = {schedule.name for schedule in project.schedules}
    for schedule in project.schedules:
        args, trigger = _job_args(config, schedule), trigger_of(schedule)
        if _stored_as_declared(scheduler.get_job(schedule.name), schedule, trigger, args):
            continue
        scheduler.add_job(run_job, trigger, args=args, id=schedule.name, name=schedule.name, replace_existing=True,
                          misfire_grace_time=schedule.misfire_grace_seconds)  # fmt: skip
    for job in scheduler.get_jobs():
        if job.id not in declared:
            job.remove()


def _require_schedules(project: Project) -> None:
    if not project.schedules:
        from core.errors import ConfigError

        msg = f"{project.source} declares no schedules"
        raise ConfigError(msg, hint='add one under schedules:, e.g. {name: nightly, cron: "0 2 * * *", job: sync}')


def _stopper(scheduler: Any) -> tuple[Any, dict[int, Any]]:
    """Stop on SIGTERM/SIGINT: pause new runs, ask the running ones to finish their batch.

    Returns the event set then, and the handlers it replaced (to put back).
    """
    import threading

    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        log.warning("schedule.stopping", signal=signal.Signals(number).name)
        scheduler.pause()
        for run in list(lifecycle.ACTIVE):
            run.request_stop(number)
        stop.set()

    before: dict[int, Any] = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in before:
        signal.signal(number, on_signal)
    return stop, before


def next_runs(schedule: ScheduleConfig, *, now: datetime, count: int = 3) -> list[datetime]:
    """The next ``count`` times a schedule fires after ``now`` (for tests and ``schedule list --json``)."""
    trigger, times, previous = trigger_of(schedule), [], None
    moment = now
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        if fire is None:
            break
        times.append(fire)
        previous, moment = fire, fire + timedelta(seconds=1)
    return times
