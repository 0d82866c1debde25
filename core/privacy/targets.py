"""Sending erasures to the systems, and trying again on every sync run until each system confirms.

retry_erasures(store, connectors, run_id=) ─→ ErasureOutcome
each pending target (a system record an erasure must delete), grouped by system and stream
─→ connector.erase(stream, ids) when the connector is an ``Eraser``; else ``unsupported``
─→ store.erasures.answer: deleted, anonymised, not_found (final); failed (final when the
vendor refused for good or after ``MAX_ATTEMPTS``); pending with the answer otherwise
─→ store.erasures.settle: an erasure whose targets all have a final answer is done
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog

from connectors.base import Connector, EraseOutcome, Eraser, EraseResult
from core.errors import ConnectorError
from core.store import Store, StreamStep, TargetStatus
from core.store.report_tables import ErasureTargetRow

__all__ = ["MAX_ATTEMPTS", "ErasureOutcome", "retry_erasures"]

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 10
"""A deletion that keeps failing is tried this many times (one a run), then reported as failed."""
_FINAL = {EraseOutcome.DELETED: TargetStatus.DELETED, EraseOutcome.ANONYMISED: TargetStatus.ANONYMISED,
          EraseOutcome.NOT_FOUND: TargetStatus.NOT_FOUND}  # fmt: skip


@dataclass
class ErasureOutcome:
    """What sending erasures did: targets by system and status, and the erasures now done."""

    by_system: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    done: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counts."""
        return {"by_system": {s: dict(c) for s, c in sorted(self.by_system.items())}, "done": self.done}


def _status(result: EraseResult, attempts: int) -> TargetStatus:
    if result.outcome in _FINAL:
        return _FINAL[result.outcome]
    if not result.retryable or attempts + 1 >= MAX_ATTEMPTS:
        return TargetStatus.FAILED
    return TargetStatus.PENDING


def _send(store: Store, connector: Eraser, stream: str, targets: list[ErasureTargetRow], outcome: ErasureOutcome,
          run_id: str | None) -> None:  # fmt: skip
    try:
        results = connector.erase(stream, [t.source_id for t in targets])
    except ConnectorError as err:  # unreachable or refused credentials: try again next run
        results = [EraseResult(t.source_id, EraseOutcome.FAILED, f"{type(err).__name__}: {err.message}", retryable=True)
                   for t in targets]  # fmt: skip
    for target, result in zip(targets, results, strict=True):
        status = _status(result, target.attempts)
        answer = f"{result.outcome.value}: {result.message}".rstrip(": ")
        store.erasures.answer(int(target.id or 0), status, answer, run_id=run_id)
        outcome.by_system[target.system][status.value] += 1
        log.info("erasure.answered", system=target.system, stream=stream, record_id=target.source_id,
                 outcome=result.outcome.value, status=status.value, run_id=run_id)  # fmt: skip


def retry_erasures(store: Store, connectors: Mapping[str, Connector], *, run_id: str | None) -> ErasureOutcome:
    """Send every pending erasure target of these connectors' systems (see the module docstring).

    Raises:
        StoreError: When the database fails.
    """
    outcome = ErasureOutcome()
    groups: dict[tuple[str, str], list[ErasureTargetRow]] = defaultdict(list)
    for target in store.erasures.pending():
        if target.system in connectors:
            groups[(target.system, target.stream)].append(target)
    for (system, stream), targets in sorted(groups.items()):
        connector = connectors[system]
        if not isinstance(connector, Eraser):
            for target in targets:
                answer = (
                    f"the {system} connector cannot erase records: delete {stream}/{target.source_id} there by hand"
                )
                store.erasures.answer(int(target.id or 0), TargetStatus.UNSUPPORTED, answer, run_id=run_id)
                outcome.by_system[system][TargetStatus.UNSUPPORTED.value] += 1
            continue
        _send(store, connector, stream, targets, outcome, run_id)
    outcome.done = store.erasures.settle()
    if run_id is not None and outcome.by_system:
        store.run_streams.record(run_id, [StreamStep(s, "*", "erase", dict(c)) for s, c in outcome.by_system.items()])
    return outcome
