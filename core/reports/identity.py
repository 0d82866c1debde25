"""Identity in the report: profiles, how many systems each spans, links by rule and by score, reviews, merges.

    collect_identity(store, report, runs)
        figures   profiles (active, merged, retired), pairs in the review band, merges and splits
                  of the window's runs (batch resolutions and stewards' decisions)
        table profiles_by_systems   how many profiles span 1, 2, 3, 4... systems
        table links_by_rule         links by method (rule, score, manual) and rule

Every figure is a SQL aggregate: nothing is held per profile.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa

from core.reports.tables import Report
from core.store import Link, Run, Store

__all__ = ["collect_identity"]

_LINKS = Link.__table__  # type: ignore[attr-defined]
_MANUAL = {"identity-merge": "merged", "identity-split": "split"}


def _spans(store: Store) -> list[tuple[int, int]]:
    c = _LINKS.c
    per_profile = (
        sa.select(c.profile_id, sa.func.count(sa.distinct(c.system)).label("systems")).group_by(c.profile_id).subquery()
    )
    query = (
        sa.select(per_profile.c.systems, sa.func.count())
        .group_by(per_profile.c.systems)
        .order_by(per_profile.c.systems)
    )
    with store.database.connection() as conn:
        return [(int(n), int(count)) for n, count in conn.execute(query)]


def _links(store: Store) -> list[tuple[str, str, int]]:
    c = _LINKS.c
    query = sa.select(c.method, c.rule, sa.func.count()).group_by(c.method, c.rule).order_by(c.method, c.rule)
    with store.database.connection() as conn:
        return [(str(method), str(rule or ""), int(n)) for method, rule, n in conn.execute(query)]


def _changes(runs: Sequence[Run]) -> Counter[str]:
    found: Counter[str] = Counter()
    for run in runs:
        counters = run.counters or {}
        found["merged"] += int(counters.get("merged") or 0)
        found["split"] += int(counters.get("split") or 0)
        if run.kind in _MANUAL and run.status in ("succeeded", "partial"):
            found[f"{_MANUAL[run.kind]}_by_hand"] += 1
    return found


def collect_identity(store: Store, report: Report, runs: Sequence[Run]) -> None:
    """Add the identity tables and figures to ``report`` (see the module docstring)."""
    statuses = store.profiles.count_by_status()
    spans = _spans(store)
    table = report.table("profiles_by_systems", "Profiles by the number of systems they span",
                         ["systems", "profiles"])  # fmt: skip
    for n, count in spans:
        table.add([n, count])
    links = report.table("links_by_rule", "Links by method and rule", ["method", "rule", "links"],
                         note="rule: a deterministic rule linked the record; score: the model; manual: a pin")  # fmt: skip
    by_method: Counter[str] = Counter()
    for method, rule, n in _links(store):
        links.add([method, rule, n])
        by_method[method] += n
    reviews = store.reviews.count()
    changes = _changes(runs)
    report.figures["identity"] = {
        "profiles": statuses.get("active", 0), "merged_away": statuses.get("merged", 0),
        "retired": statuses.get("retired", 0),
        **{f"spanning_{n}": count for n, count in spans},
        "links_by_rule": by_method["rule"], "links_by_score": by_method["score"], "links_manual": by_method["manual"],
        "review_open": reviews.get("open", 0), "review_accepted": reviews.get("accepted", 0),
        "review_rejected": reviews.get("rejected", 0),
        "merges_since": changes["merged"] + changes["merged_by_hand"], "splits_since": changes["split"] + changes["split_by_hand"],
    }  # fmt: skip
