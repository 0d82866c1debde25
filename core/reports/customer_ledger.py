"""The customer's ledger in the report: what people stated, and whether their opt-outs landed in every system.

    collect_ledger(store, report, since, targets, reveal=)
        table ledger_consents    each consent a person stated (``preference_centre``) or that was
                                 recorded for them (``customer``) in the window, and each earlier
                                 opt-out still in force that has not landed everywhere: per record in a
                                 system Contactpoint writes to, the suppression field (last written,
                                 read now), the system's own consent, and where the statement stands
        table ledger_statements  statements recorded in the window by who made them (the customer,
                                 an operator on their behalf, the preference centre, a sync's
                                 observation) and type, with the people they are about

Where a withdrawn consent stands in one record (``ledger_status``): ``conflicting: the system
says granted`` when the system's own consent for that channel and purpose says granted;
``landed`` when the suppression field reads back as suppressed or the system's own consent
says denied; else the closed loop's status of the suppression field (``written (read back
at the next pull)``, ``written (the system's value is not read back)``, ``not landed: changed
in the system since written``, ``not written yet``). Which field: the write-back field fed by
``suppression.<purpose>``, else ``suppression.<channel>``, else ``suppression.all``, of streams
that reach the channel (``writeback_options.channel`` unset or the same).

People are read ``CHUNK`` chains at a time (keyset), with their links, golden records,
consent records, the write-back ledger and latest pull of their records, and their ledger
state in force. Names and ``source.by`` are masked unless ``reveal``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.errors import RecordRejected
from core.ledger import LedgerChannel, Purpose
from core.ledger.state import LedgerState
from core.logs import mask_value
from core.mapping.writeback import Writeback, WritebackField
from core.reports.profiles import (
    CHUNK,
    MARKETING_PURPOSES,
    ClosedLoopTarget,
    Held,
    closed_loop_targets,
    golden_value,
    held_values,
    landing_status,
)
from core.reports.tables import Report, Table
from core.store import Store
from core.store.ledger_tables import LedgerEntryRow
from core.sync.values import MISSING, found_value

__all__ = ["MADE_BY", "NO_RECORD", "WHO", "collect_ledger", "ledger_status"]

_ENTRIES = LedgerEntryRow.__table__  # type: ignore[attr-defined]
MADE_BY = {"preference_centre": "preference centre", "observation": "observation"}
"""Who made statements of each ``source.kind``; ``customer`` ones are ``operator`` when ``source.by`` names who
recorded them for the customer (``ledger record``), else ``customer``."""
WHO = {
    "customer": "the customer, recorded for them (an import, a form)",
    "operator": "an operator, on the customer's behalf (source.by)",
    "preference centre": "the customer, in the preference centre (signed)",
    "observation": "a sync, from what a system holds",
}
"""The ledger_statements table's ``who``: what each ``made_by`` means."""
NO_RECORD = "no record in a system Contactpoint writes to"
_SUPERSEDED = "superseded (a later statement is in force)"
_LANDED = "landed"
_SUPPRESSED = True
"""The suppression value a withdrawn consent asks every system's suppression field to hold."""
_COLUMNS = [
    "profile_id", "name", "statement_id", "kind", "by", "stated_at", "recorded_at", "window", "channel", "purpose",
    "stated", "in_force", "system", "record", "field", "last_written", "system_holds_now", "system_consent",
    "field_status", "status",
]  # fmt: skip


def ledger_status(stated: str, field_status: str, system_consent: str | None) -> str:
    """Where a stated consent stands in one record (see the module docstring).

    Args:
        stated: ``withdrawn`` or ``given``.
        field_status: The closed loop's status of the suppression field (``landing_status``).
        system_consent: The system's own consent for the channel and purpose (``granted``,
            ``denied``), or None when it holds none.

    Returns:
        ``landed``, ``written (…)``, ``not written yet``, ``not landed: …``, ``conflicting: the
        system says …``; for a consent given, ``given (nothing to suppress)`` or a conflict.

    Examples:
        ``("withdrawn", "landed", "granted")`` → ``conflicting: the system says granted``;
        ``("withdrawn", "not written yet", "denied")`` → ``landed``.
    """
    if stated != "withdrawn":
        return "conflicting: the system says denied" if system_consent == "denied" else "given (nothing to suppress)"
    if system_consent == "granted":
        return "conflicting: the system says granted"
    if field_status == _LANDED or system_consent == "denied":
        return _LANDED
    if field_status in ("not landed", "not written"):
        return "not written yet"
    return field_status


@dataclass(frozen=True)
class _Stated:
    """One consent statement a person made or that was recorded for them."""

    profile_id: str
    statement_id: str
    kind: str
    by: str | None
    stated_at: str
    recorded_at: str
    in_window: bool
    channel: str
    purpose: str
    stated: str


@dataclass
class _People:
    """What the rows of one chunk of people need."""

    linked: dict[str, list[tuple[str, str, str]]]
    golden: dict[str, dict[str, Any]]
    consents: dict[tuple[str, str], list[tuple[str, str, str, str]]]
    """``(profile, system)`` → ``(channel, purpose, status, at)`` of each consent record there."""
    held: dict[tuple[str, str], Held]
    states: dict[str, LedgerState]


@dataclass
class _Tally:
    listed: int = 0
    opt_outs: int = 0
    landed: int = 0
    not_landed: int = 0
    conflicting: int = 0


def _time(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


def _body(raw: Any) -> dict[str, Any]:
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


def _stated_chunks(store: Store, since: datetime | None, *, final: Mapping[str, str]) -> Iterator[list[_Stated]]:
    """Yield the stated consent statements (not observations), ``CHUNK`` chains at a time, in recording order."""
    c = _ENTRIES.c
    stated = (c.type == "consent") & (c.source != "observation")
    in_window = sa.true() if since is None else c.recorded_at >= since
    last = ""
    while True:
        query = sa.select(c.chain).where(stated, c.chain > last).distinct().order_by(c.chain).limit(CHUNK)
        with store.database.connection() as conn:
            chains = [str(chain) for chain in conn.execute(query).scalars()]
            if not chains:
                return
            query = (
                sa.select(c.chain, c.statement_id, c.source, c.stated_at, c.recorded_at, c.body,
                          sa.case((in_window, 1), else_=0))
                .where(stated, c.chain.in_(chains))
                .order_by(c.chain, c.seq)
            )  # fmt: skip
            rows = list(conn.execute(query))
        found = []
        for chain, statement_id, source, stated_at, recorded_at, raw, window in rows:
            body = _body(raw)
            by = (body.get("source") or {}).get("by")
            found.append(_Stated(final.get(chain, chain), str(statement_id), str(source), by,
                                 str(body.get("at") or _time(stated_at)), _time(recorded_at), bool(window),
                                 str(body.get("channel")), str(body.get("purpose")), str(body.get("status"))))  # fmt: skip
        yield found
        last = chains[-1]


def _system_consents(store: Store, pids: list[str]) -> dict[tuple[str, str], list[tuple[str, str, str, str]]]:
    named = store.identifiers.records_of(pids, models=("Consent",))
    rows = store.records.canonical_of({k[:3] for keys in named.values() for k in keys}, models=["Consent"])
    by_record: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_record[(row.system, row.stream, row.source_id)].append(row.data)
    found: dict[tuple[str, str], list[tuple[str, str, str, str]]] = defaultdict(list)
    for pid, keys in named.items():
        for key in dict.fromkeys(k[:3] for k in keys):
            for data in by_record.get(key, ()):
                found[(pid, key[0])].append((str(data.get("channel")), str(data.get("purpose", "")).lower(),
                                             str(data.get("status")), str(data.get("at"))))  # fmt: skip
    return found


def _read_people(store: Store, pids: list[str], targets: Mapping[tuple[str, str], ClosedLoopTarget]) -> _People:
    linked = store.links.of_profiles(pids)
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for keys in linked.values():
        for key in keys:
            if key[:2] in targets:
                wanted[key[:2]].append(key[2])
    held = {where: held_values(store, where, ids) for where, ids in wanted.items()}
    return _People(linked, store.profiles.golden_of(pids), _system_consents(store, pids), held,
                   store.ledger.states_in_force(pids))  # fmt: skip


def _system_consent(people: _People, pid: str, system: str, statement: _Stated) -> str | None:
    """The system's latest consent for the statement's channel and purpose (marketing: its marketing kinds)."""
    purposes = MARKETING_PURPOSES if statement.purpose == "marketing" else (statement.purpose,)
    held = [(at, status) for channel, purpose, status, at in people.consents.get((pid, system), ())
            if channel == statement.channel and purpose in purposes and status in ("granted", "denied")]  # fmt: skip
    return max(held)[1] if held else None


def _flag(writeback: Writeback, statement: _Stated) -> WritebackField | None:
    """The write-back field that carries a suppression of the statement's purpose or channel there, if any."""
    if writeback.channel not in (None, statement.channel):
        return None
    by_source = {f.source: f for f in writeback.fields}
    for scope in (statement.purpose, statement.channel, "all"):
        if f"suppression.{scope}" in by_source:
            return by_source[f"suppression.{scope}"]
    return None


def _in_force(people: _People, statement: _Stated) -> str:
    state = people.states.get(statement.profile_id)
    try:
        slot = (LedgerChannel(statement.channel), Purpose(statement.purpose))
    except ValueError:
        return "in force"
    decided = state.consents.get(slot) if state is not None else None
    if decided is None or decided.statement_id == statement.statement_id:
        return "in force"
    return f"superseded by {decided.statement_id}"


def _system_rows(statement: _Stated, people: _People, targets: Mapping[tuple[str, str], ClosedLoopTarget]
                 ) -> list[list[Any]]:  # fmt: skip
    """``[system, record, field, last_written, system_holds_now, system_consent, field_status, status]`` per record."""
    rows = []
    for key in people.linked.get(statement.profile_id, []):
        target = targets.get(key[:2])
        flag = _flag(target.writeback, statement) if target is not None else None
        if target is None or flag is None:
            continue
        try:
            desired = flag.convert(_SUPPRESSED)
        except RecordRejected:
            desired = _SUPPRESSED
        held = people.held[key[:2]]
        raw, pulled_at = held.pulled.get(key[2], (None, None))
        last, written_at = held.written.get((key[2], flag.vendor_field), (MISSING, None))
        now = found_value(raw, target.writeback, flag.vendor_field)
        fresh = pulled_at is not None and (written_at is None or pulled_at > written_at)
        status = landing_status(desired, last, now, pulled_since_write=fresh)
        own = _system_consent(people, statement.profile_id, key[0], statement)
        rows.append([key[0], "/".join(key), flag.vendor_field, None if last is MISSING else last,
                     None if now is MISSING else now, own, status, ledger_status(statement.stated, status, own)])  # fmt: skip
    return rows or [["", "", "", None, None, None, None, NO_RECORD]]


def _add(statement: _Stated, people: _People, targets: Mapping[tuple[str, str], ClosedLoopTarget], table: Table,
         tally: _Tally, *, reveal: bool) -> None:  # fmt: skip
    in_force = _in_force(people, statement)
    if in_force == "in force":
        rows = _system_rows(statement, people, targets)
    else:
        rows = [["", "", "", None, None, None, None, _SUPERSEDED]]
    statuses = [row[-1] for row in rows if row[0]]
    opt_out = statement.stated == "withdrawn" and in_force == "in force"
    landed = all(s == _LANDED for s in statuses)
    if not statement.in_window and (not opt_out or landed):
        return  # before the window: only opt-outs still in force that have not landed everywhere
    name, _ = golden_value(people.golden.get(statement.profile_id, {}), "name")
    window = "in the window" if statement.in_window else "before the window, not landed yet"
    head = [statement.profile_id, name if reveal else mask_value(name), statement.statement_id, statement.kind,
            statement.by if reveal else mask_value(statement.by), statement.stated_at, statement.recorded_at, window,
            statement.channel, statement.purpose, statement.stated, in_force]  # fmt: skip
    for row in rows:
        table.add([*head, *row])
    tally.listed += 1
    if opt_out:
        tally.opt_outs += 1
        tally.landed += bool(statuses) and landed
        tally.not_landed += not landed
        tally.conflicting += any(s.startswith("conflicting") for s in statuses)


def _statement_counts(store: Store, since: datetime | None) -> list[tuple[str, str, str, int, int]]:
    """``(kind, made_by, type, statements, people)``; a ``customer`` statement with ``source.by`` was made by an operator."""
    c = _ENTRIES.c
    window = sa.true() if since is None else c.recorded_at >= since
    query = (
        sa.select(c.source, c.type, sa.func.count(), sa.func.count(sa.distinct(c.chain)))
        .where(window, c.source != "customer")
        .group_by(c.source, c.type)
    )
    with store.database.connection() as conn:
        rows = [(str(kind), str(kind_of), int(n), int(people)) for kind, kind_of, n, people in conn.execute(query)]
        numbers: Counter[tuple[str, str]] = Counter()
        chains: dict[tuple[str, str], set[str]] = defaultdict(set)
        query = sa.select(c.type, c.chain, c.body).where(window, c.source == "customer")
        for kind_of, chain, raw in conn.execution_options(yield_per=CHUNK).execute(query):
            key = ("operator" if (_body(raw).get("source") or {}).get("by") else "customer", str(kind_of))
            numbers[key] += 1
            chains[key].add(str(chain))
    out = [(kind, MADE_BY.get(kind, kind), kind_of, n, people) for kind, kind_of, n, people in rows]
    out += [
        ("customer", made_by, kind_of, n, len(chains[(made_by, kind_of)])) for (made_by, kind_of), n in numbers.items()
    ]
    return sorted(out)


def collect_ledger(store: Store, report: Report, since: datetime | None, targets: Sequence[tuple[str, str, Writeback]],
                   *, reveal: bool) -> None:  # fmt: skip
    """Add the customer's ledger tables and figures to ``report`` (see the module docstring).

    Args:
        store: The store.
        report: The report to add to.
        since: The window's start (statements recorded from then on); None: every statement.
        targets: ``(system, stream, write-back section)`` of the project's writable streams.
        reveal: Show names and ``source.by`` as stored.
    """
    consents = report.table(
        "ledger_consents", "Consents people stated: did their opt-outs land in every system?", _COLUMNS,
        note="consents stated in the preference centre or recorded for the customer in the window, and earlier "
        "opt-outs not landed yet, per record of each system Contactpoint writes to: the suppression field "
        "(field_status, as in the closed loop), the system's own consent, and where the statement stands",
    )  # fmt: skip
    loop_targets = closed_loop_targets(targets)
    tally = _Tally()
    for chunk in _stated_chunks(store, since, final=store.aliases.resolve_all()):
        people = _read_people(store, sorted({s.profile_id for s in chunk}), loop_targets)
        for statement in chunk:
            _add(statement, people, loop_targets, consents, tally, reveal=reveal)
    kinds = report.table("ledger_statements", "Statements recorded in the customers' ledger",
                         ["kind", "made_by", "who", "type", "statements", "people"],
                         note="recorded in the window, by source.kind and who made them; people: the profiles "
                         "(chains) they were filed under")  # fmt: skip
    by_kind: Counter[str] = Counter(dict.fromkeys(WHO, 0))
    for kind, made_by, kind_of, n, people_count in _statement_counts(store, since):
        kinds.add([kind, made_by, WHO.get(made_by, ""), kind_of, n, people_count])
        by_kind[made_by] += n
    report.figures["ledger"] = {
        "stated_consents": tally.listed, "opt_outs": tally.opt_outs, "opt_outs_landed_everywhere": tally.landed,
        "opt_outs_not_landed_everywhere": tally.not_landed, "opt_outs_conflicting": tally.conflicting,
        "statements": sum(by_kind.values()), **{f"statements_{who.replace(' ', '_')}": n for who, n in by_kind.items()},
    }  # fmt: skip
