"""``contactpoint identity review``: settle the pairs identity was unsure of (the review band).

    contactpoint identity review                  each open pair with each field's contribution; a[ccept],
                                                  r[eject], s[kip] or q[uit] (a terminal is needed)
    contactpoint identity review --list [--json]  the open pairs, most probable first
    contactpoint identity review --accept ID [--note TEXT]   one person: a merge (must-link pins)
    contactpoint identity review --reject ID [--note TEXT]   two people: a cannot-link pin (a split if one profile)

Pairs come from the latest batch resolution (``identity resolve --store``, or a sync's batch).
Personal values in the pairs' records are not shown: the explanation names levels and weights.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.commands.report_cmd import current_user
from core.errors import UsageError
from core.identity.review import ReviewDecision, accept_review, reject_review
from core.identity.review_pairs import review_explanations
from core.identity.settings import load_settings
from core.store import ReviewStatus, Store, open_store
from core.store.report_tables import IdentityReviewRow
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind

__all__ = ["review_command", "review_json"]


def review_json(row: IdentityReviewRow, explanation: Mapping[str, Any]) -> dict[str, Any]:
    """A review pair as JSON: its records, probability, reason, status and each field's contribution.

    ``explanation`` is the pair's from ``review_explanations``.
    """
    return {"id": row.id, "left": row.left_record, "right": row.right_record, "probability": row.probability,
            "match_weight": row.match_weight, "reason": row.reason, "status": row.status,
            "prior_weight": explanation.get("prior_weight"), "contributions": explanation.get("contributions", []),
            "decided_by": row.decided_by, "note": row.note}  # fmt: skip


def _print_pair(row: IdentityReviewRow, explanation: Mapping[str, Any]) -> None:
    data = review_json(row, explanation)
    console.print(f"\npair {row.id}: {row.left_record}  ~  {row.right_record}", markup=False)
    console.print(
        f"  p={row.probability:.4f}, match weight {row.match_weight:+.2f} bits; {row.reason or ''}", markup=False
    )
    table = Table("comparison", "level", "weight (bits)", box=None, pad_edge=False)
    for c in data["contributions"]:
        weight = "?" if c["weight"] is None else f"{float(c['weight']):+.2f}"  # its model is no longer stored
        table.add_row(str(c["comparison"]), str(c["level"]), weight)
    console.print(table)


def _decide(store: Store, review_id: int, *, accept: bool, note: str | None, settings: Path | None) -> ReviewDecision:
    config = load_settings(settings)
    kind = RunKind.IDENTITY_MERGE if accept else RunKind.IDENTITY_SPLIT
    with RunContext(store, kind, jobs=[IDENTITY_JOB]) as run:
        decide = accept_review if accept else reject_review
        decision = decide(store, review_id, by=current_user(), note=note, settings=config, run_id=run.run_id)
        run.count_all({"pins": len(decision.pin_ids)})
    return decision


def _interactive(store: Store, limit: int, settings: Path | None) -> None:
    if not sys.stdin.isatty():
        msg = "the interactive review needs a terminal"
        raise UsageError(msg, hint="use --list, then --accept ID or --reject ID")
    rows = store.reviews.list(limit=limit)
    explained = review_explanations(store, rows)
    for row in rows:
        _print_pair(row, explained[int(row.id or 0)])
        answer = typer.prompt("a[ccept] r[eject] s[kip] q[uit]", default="s").strip().lower()[:1]
        if answer == "q":
            return
        if answer in ("a", "r"):
            note = typer.prompt("note (optional)", default="", show_default=False) or None
            decision = _decide(store, int(row.id or 0), accept=answer == "a", note=note, settings=settings)
            console.print(f"  {decision.status}: {decision.action}", markup=False)


def review_command(
    list_only: Annotated[bool, typer.Option("--list", help="List the open pairs and exit.")] = False,
    accept: Annotated[int | None, typer.Option("--accept", help="Accept pair ID: the records are one person.")] = None,
    reject: Annotated[int | None, typer.Option("--reject", help="Reject pair ID: the records are two people.")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the pins).")] = None,
    status: Annotated[str, typer.Option("--status", help="With --list: open, accepted, rejected or gone.")] = "open",
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many pairs.")] = 50,
    settings: Annotated[Path | None, typer.Option("--settings", help="Identity settings (identity.yaml).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Database URL.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:  # fmt: skip
    """Review the pairs identity was unsure of: accept (merge) or reject (keep apart) each one."""
    with errors_to_exit(), open_store(url) as store:
        if accept is not None or reject is not None:
            review_id, is_accept = (accept, True) if accept is not None else (reject, False)
            decision = _decide(store, int(review_id or 0), accept=is_accept, note=note, settings=settings)
            result = {"id": decision.review_id, "status": decision.status, "action": decision.action,
                      "profiles": list(decision.profiles), "pins": decision.pin_ids}  # fmt: skip
            if as_json:
                print_json(result)
            else:
                console.print(f"pair {decision.review_id} {decision.status}: {decision.action}", markup=False)
            return
        if list_only or as_json:
            if status not in set(ReviewStatus):
                msg = f"--status {status!r} is not one of {', '.join(ReviewStatus)}"
                raise UsageError(msg, hint="--status open")
            rows = store.reviews.list(status=status, limit=limit)
            explained = review_explanations(store, rows)
            if as_json:
                pairs = [review_json(r, explained[int(r.id or 0)]) for r in rows]
                print_json({"counts": store.reviews.count(), "pairs": pairs})
                return
            for row in rows:
                _print_pair(row, explained[int(row.id or 0)])
            console.print(f"\n{len(rows)} of {store.reviews.count().get(status, 0)} {status} pair(s)", markup=False)
            return
        _interactive(store, limit, settings)
