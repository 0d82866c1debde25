"""``store.ledger``: each person's append-only history of statements, and the state in force.

    record              append statements (all or none), each to its person's hash chain
    record_observation  append what a sync observed in a system (idempotent: the same observation once)
    history             a person's entries, merged-away profiles' included, in recording order
    state_in_force      the ``LedgerState`` of one person (what the planner asks)
    states_in_force     the same for many people in one read
    people              every person with a chain
    verify              check every chain; the first broken entry of each
    keys                the public keys that signed statements, by key ID

Statements are filed under the profile their ``person`` resolves to now (aliases are
followed); a profile merged into another keeps its own chain, and reading the survivor
reads every chain of its family, so nothing a customer said is lost in a merge. Entries
are never updated or deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.ledger.chain import GENESIS, Break, LedgerEntry, check_chain, entry_hash
from core.ledger.errors import StatementRejected
from core.ledger.signing import Keyring
from core.ledger.state import LedgerState, compute_state
from core.ledger.statements import Statement
from core.ledger.vocabulary import Mode
from core.store.aliases import Aliases
from core.store.database import Database, Repository, chunked, insert
from core.store.ledger_tables import LedgerEntryRow, LedgerKeyRow
from core.store.tables import Profile
from core.store.types import canonical_json

if TYPE_CHECKING:  # core.ledger.observations reads canonical models; only its type is needed here
    from core.ledger.observations import Observation

__all__ = ["Ledger", "Recorded", "VerifyReport"]

_ENTRIES = LedgerEntryRow.__table__  # type: ignore[attr-defined]
_KEYS = LedgerKeyRow.__table__  # type: ignore[attr-defined]
_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_IN_LIST = 500
_PG_LEDGER_LOCK = 0x6C656467  # pg_advisory_xact_lock key: one appender at a time ("ledg")
_PERSON_HINT = (
    "give a profile ID that `contactpoint identity explain` knows (profiles come from `identity resolve --store`)"
)
_ENTRY_COLUMNS = (
    _ENTRIES.c.id, _ENTRIES.c.chain, _ENTRIES.c.seq, _ENTRIES.c.recorded_at,
    _ENTRIES.c.prev_hash, _ENTRIES.c.entry_hash, _ENTRIES.c.body,
)  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    """What ``record`` did: the entries appended, and the statement IDs already held (not appended again)."""

    entries: list[LedgerEntry] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found: how many chains and entries it checked, and the first broken entry of each bad chain."""

    chains: int = 0
    entries: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every chain holds."""
        return not self.breaks


def _entry(row: Any) -> LedgerEntry:
    entry_id, chain, seq, recorded_at, prev_hash, hashed, body = row
    return LedgerEntry(entry_id, chain, seq, recorded_at, prev_hash, hashed, Statement.from_body(body))


def _comparable(body: Mapping[str, Any]) -> str:
    return canonical_json({k: v for k, v in body.items() if k != "imported"})


class Ledger(Repository):
    """The customer's ledger: statement chains per person over ``ledger_entries`` and ``ledger_keys``.

    Args:
        db: The shared database.
        aliases: The store's profile aliases, to file and read statements under surviving profiles.
    """

    def __init__(self, db: Database, aliases: Aliases) -> None:
        super().__init__(db)
        self._aliases = aliases

    # -- writing -----------------------------------------------------------------------------------

    def record(
        self,
        statements: Sequence[Statement],
        *,
        file_under: str | None = None,
        keys: Mapping[str, str] | None = None,
    ) -> Recorded:
        """Append statements to their people's chains, all in one transaction.

        Args:
            statements: Validated statements (``parse_statements``).
            file_under: File every statement under this person instead of each one's ``person``
                (an imported ledger keeps its original, signed ``person``).
            keys: ``{key_id: public_key}`` of keys that signed them, remembered for verification.

        Returns:
            The entries appended, and the IDs of statements already recorded (skipped).

        Raises:
            StatementRejected: A person is unknown, or a statement ID is already recorded
                with different content; nothing is written.
            StoreError: When the database fails.
        """
        chains = self._chains_of([file_under or s.person for s in statements])
        unique = self._unique(statements)
        self._require_profiles(set(chains.values()))
        with self._db.transaction() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LEDGER_LOCK})
            held = self._held(conn, [s.statement_id for s in unique])
            fresh = [s for s in unique if s.statement_id not in held]
            self._check_conflicts([s for s in unique if s.statement_id in held], held)
            entries = self._append(conn, fresh, {s.statement_id: chains[file_under or s.person] for s in fresh})
            if keys:
                self._remember_keys(conn, keys)
        skipped = [s.statement_id for s in unique if s.statement_id in held]
        return Recorded(entries, skipped)

    def record_observation(self, observation: Observation) -> Recorded:
        """Append one statement a sync observed in a system; the same observation twice is recorded once.

        Raises:
            StatementRejected: The person is unknown.
            StoreError: When the database fails.
        """
        return self.record([observation.statement()])

    def record_observations(self, observations: Iterable[Observation]) -> Recorded:
        """Append many observations in one transaction (see ``record_observation``)."""
        statements = [o.statement() for o in observations]
        return self.record(statements) if statements else Recorded()

    def _unique(self, statements: Sequence[Statement]) -> list[Statement]:
        seen: dict[str, Statement] = {}
        for statement in statements:
            other = seen.get(statement.statement_id)
            if other is not None and _comparable(other.body) != _comparable(statement.body):
                problem = f"statement_id: {statement.statement_id} is given twice with different content"
                raise StatementRejected([problem])
            seen.setdefault(statement.statement_id, statement)
        return list(seen.values())

    def _chains_of(self, people: Sequence[str]) -> dict[str, str]:
        distinct = set(people)
        if len(distinct) <= 20:
            return {p: self._aliases.resolve(p) for p in distinct}
        return self._aliases.resolve_many(distinct)

    def _require_profiles(self, profile_ids: set[str]) -> None:
        found: set[str] = set()
        with self._db.connection() as conn:
            for chunk in chunked(sorted(profile_ids), _IN_LIST):
                query = sa.select(_PROFILES.c.profile_id).where(_PROFILES.c.profile_id.in_(chunk))
                found.update(conn.execute(query).scalars())
        missing = sorted(profile_ids - found)
        if missing:
            problems = [f"person: {p!r} is not a profile in this store" for p in missing[:20]]
            raise StatementRejected(problems, hint=_PERSON_HINT)

    def _held(self, conn: sa.Connection, statement_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        held: dict[str, dict[str, Any]] = {}
        for chunk in chunked(statement_ids, _IN_LIST):
            query = sa.select(_ENTRIES.c.statement_id, _ENTRIES.c.body).where(_ENTRIES.c.statement_id.in_(chunk))
            held.update((row[0], row[1]) for row in conn.execute(query))
        return held

    @staticmethod
    def _check_conflicts(statements: Sequence[Statement], held: Mapping[str, Mapping[str, Any]]) -> None:
        problems = [
            f"statement_id: {s.statement_id} is already recorded with different content (statements are never changed)"
            for s in statements
            if _comparable(held[s.statement_id]) != _comparable(s.body)
        ]
        if problems:
            raise StatementRejected(
                problems, hint="give a new statement (without statement_id) to change what is in force"
            )

    def _heads(self, conn: sa.Connection, chains: Iterable[str]) -> dict[str, tuple[int, str]]:
        heads: dict[str, tuple[int, str]] = {}
        for chunk in chunked(sorted(set(chains)), _IN_LIST):
            last = (
                sa.select(_ENTRIES.c.chain, sa.func.max(_ENTRIES.c.seq).label("seq"))
                .where(_ENTRIES.c.chain.in_(chunk))
                .group_by(_ENTRIES.c.chain)
                .subquery()
            )
            query = sa.select(_ENTRIES.c.chain, _ENTRIES.c.seq, _ENTRIES.c.entry_hash).join(
                last, sa.and_(_ENTRIES.c.chain == last.c.chain, _ENTRIES.c.seq == last.c.seq)
            )
            heads.update((chain, (seq, hashed)) for chain, seq, hashed in conn.execute(query))
        return heads

    def _append(
        self, conn: sa.Connection, statements: Sequence[Statement], chain_of: Mapping[str, str]
    ) -> list[LedgerEntry]:
        heads = self._heads(conn, chain_of.values())
        now = self._db.now()
        rows, entries = [], []
        for statement in statements:
            chain = chain_of[statement.statement_id]
            seq, prev = heads.get(chain, (0, GENESIS))
            seq += 1
            hashed = entry_hash(chain=chain, seq=seq, prev_hash=prev, recorded_at=now, body=statement.body)
            heads[chain] = (seq, hashed)
            rows.append({
                "chain": chain, "seq": seq, "statement_id": statement.statement_id, "type": statement.type.value,
                "source": statement.source.value, "system": statement.body.get("system")
                or statement.body["source"].get("system"), "stated_at": statement.at, "recorded_at": now,
                "body": dict(statement.body), "prev_hash": prev, "entry_hash": hashed,
            })  # fmt: skip
            entries.append(LedgerEntry(0, chain, seq, now, prev, hashed, statement))
        for chunk in chunked(rows):
            conn.execute(sa.insert(_ENTRIES), chunk)
        return entries

    def _remember_keys(self, conn: sa.Connection, keys: Mapping[str, str]) -> None:
        now = self._db.now()
        rows = [{"key_id": k, "public_key": v, "first_used_at": now} for k, v in keys.items()]
        conn.execute(insert(conn, _KEYS).on_conflict_do_nothing(index_elements=["key_id"]), rows)

    # -- reading -----------------------------------------------------------------------------------

    def _entries_of(self, chains: Iterable[str]) -> Iterator[LedgerEntry]:
        for chunk in chunked(sorted(set(chains)), _IN_LIST):
            query = sa.select(*_ENTRY_COLUMNS).where(_ENTRIES.c.chain.in_(chunk)).order_by(_ENTRIES.c.id)
            with self._db.connection() as conn:
                rows = list(conn.execute(query))
            yield from (_entry(row) for row in rows)

    def history(self, profile_id: str) -> list[LedgerEntry]:
        """Return a person's entries, with those of every profile merged into theirs, in recording order."""
        survivor = self._aliases.resolve(profile_id)
        return sorted(self._entries_of(self._aliases.family(survivor)), key=lambda e: e.entry_id)

    def state_in_force(
        self, profile_id: str, *, at: datetime | None = None, mode: Mode = Mode.OBSERVED_CONSENT
    ) -> LedgerState:
        """Return the state in force of a person's ledger at ``at`` (now by default).

        A merged-away profile ID gives the state of the profile it resolves to.

        Raises:
            StoreError: When the database fails.
        """
        survivor = self._aliases.resolve(profile_id)
        statements = [entry.statement for entry in self.history(survivor)]
        return compute_state(survivor, statements, at=at or self._db.now(), mode=mode)

    def states_in_force(
        self, profile_ids: Iterable[str], *, at: datetime | None = None, mode: Mode = Mode.OBSERVED_CONSENT
    ) -> dict[str, LedgerState]:
        """Return ``{given profile ID: LedgerState}`` for many people, reading the ledger once per 500 chains.

        Raises:
            StoreError: When the database fails.
        """
        given = list(dict.fromkeys(profile_ids))
        survivor_of = self._aliases.resolve_many(given)
        families = self._aliases.families_of(set(survivor_of.values()))
        chain_of = {member: survivor for survivor, family in families.items() for member in family}
        by_survivor: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in self._entries_of(set(chain_of)):
            by_survivor[chain_of[entry.chain]].append(entry)
        moment = at or self._db.now()
        states: dict[str, LedgerState] = {}
        for survivor in set(survivor_of.values()):
            entries = sorted(by_survivor.get(survivor, []), key=lambda e: e.entry_id)
            states[survivor] = compute_state(survivor, [e.statement for e in entries], at=moment, mode=mode)
        return {p: states[survivor_of[p]] for p in given}

    def stated_since(self, since: datetime) -> list[str]:
        """Return the profiles with a statement recorded at or after ``since`` that no sync observed.

        The person's own (preference centre) or made on their behalf; merged-away profiles are
        followed to where they live now. A sync must decide them again: what they stated takes effect at the next run (observations, which a
        run records while it decides, are already the result of deciding).

        Raises:
            StoreError: When the database fails.
        """
        c = _ENTRIES.c
        # no DISTINCT: SQLite would answer it by walking every chain in order instead of the time index
        query = sa.select(c.chain).where(c.recorded_at >= since, c.source != "observation")
        with self._db.connection() as conn:
            chains = sorted(set(conn.execute(query).scalars()))
        return sorted(set(self._aliases.resolve_many(chains).values()))

    def people(self) -> list[str]:
        """Return every profile ID that has a chain (merged-away ones included), sorted."""
        with self._db.connection() as conn:
            return list(conn.execute(sa.select(_ENTRIES.c.chain).distinct().order_by(_ENTRIES.c.chain)).scalars())

    def keys(self) -> dict[str, str]:
        """Return ``{key_id: public_key}`` of every key that signed a recorded statement."""
        with self._db.connection() as conn:
            return dict(tuple(row) for row in conn.execute(sa.select(_KEYS.c.key_id, _KEYS.c.public_key)))

    def verify(self, keyring: Keyring) -> VerifyReport:
        """Check every chain: positions, previous hashes, entry hashes and signatures.

        Args:
            keyring: Public keys to check signatures with (the stored ``keys()`` are added).

        Returns:
            The counts and the first broken entry of each broken chain.

        Raises:
            StoreError: When the database fails.
        """
        ring = keyring.with_public(self.keys())

        def check_signature(statement: Statement) -> str | None:
            return ring.check(statement.body["signature"], statement.unsigned_body())

        query = sa.select(*_ENTRY_COLUMNS).order_by(_ENTRIES.c.chain, _ENTRIES.c.seq)
        chains = entries = 0
        breaks: list[Break] = []
        current: list[LedgerEntry] = []
        for row in self._db.stream(query):
            entries += 1
            if current and current[-1].chain != row[1]:
                chains += 1
                if (found := check_chain(current, check_signature=check_signature)) is not None:
                    breaks.append(found)
                current = []
            current.append(_entry(row))
        if current:
            chains += 1
            if (found := check_chain(current, check_signature=check_signature)) is not None:
                breaks.append(found)
        return VerifyReport(chains, entries, breaks)
