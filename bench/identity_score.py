"""Pairwise precision, recall and F1 of a clustering against the generated truth, the same for every engine.

A pair of records is predicted when both sit in one cluster, and true when both belong to one
entity. Counting goes through the contingency table (cluster x entity), never through the
pairs themselves, so a million records score in a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from bench.identity_data import Dataset

__all__ = ["Score", "score"]


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass
class Score:
    """How one engine's clusters compare with the truth."""

    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    hard_negatives_merged: dict[str, int]
    hard_negatives_total: dict[str, int]
    recall_by_noise: dict[str, tuple[int, int]] = field(default_factory=dict)
    missed: list[tuple[str, str]] = field(default_factory=list)
    merged_negatives: list[tuple[str, str, str]] = field(default_factory=list)
    false_merges: list[tuple[str, str]] = field(default_factory=list)


def score(clusters: Mapping[str, str], dataset: Dataset, *, examples: int = 5) -> Score:
    """Score ``clusters`` (record_id -> cluster id) against ``dataset``'s truth.

    Records missing from ``clusters`` count as clusters of their own.
    """
    cluster_of = {rid: clusters.get(rid, f"__single__{rid}") for rid in dataset.truth}
    both = Counter((cluster_of[rid], entity) for rid, entity in dataset.truth.items())
    correct = sum(_pairs(n) for n in both.values())
    predicted = sum(_pairs(n) for n in Counter(cluster_of.values()).values())
    true = sum(_pairs(n) for n in Counter(dataset.truth.values()).values())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    merged: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    merged_examples: list[tuple[str, str, str]] = []
    for left, right, kind in dataset.hard_negatives:
        totals[kind] += 1
        if cluster_of[left] == cluster_of[right]:
            merged[kind] += 1
            merged_examples.append((left, right, kind))
    by_noise, missed = _recall_by_noise(cluster_of, dataset)
    return Score(
        precision=precision,
        recall=recall,
        f1=f1,
        true_pairs=true,
        predicted_pairs=predicted,
        correct_pairs=correct,
        hard_negatives_merged={kind: merged[kind] for kind in totals},
        hard_negatives_total=dict(totals),
        recall_by_noise=by_noise,
        missed=missed[:examples],
        merged_negatives=merged_examples[:examples],
        false_merges=_false_merges(cluster_of, dataset, examples),
    )


def _recall_by_noise(
    cluster_of: Mapping[str, str], dataset: Dataset
) -> tuple[dict[str, tuple[int, int]], list[tuple[str, str]]]:
    """Recall over the true pairs where either record carries each kind of noise."""
    members: dict[str, list[str]] = {}
    for rid, entity in dataset.truth.items():
        members.setdefault(entity, []).append(rid)
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed: list[tuple[str, str]] = []
    for rids in members.values():
        for i, left in enumerate(rids):
            for right in rids[i + 1 :]:
                hit = cluster_of[left] == cluster_of[right]
                if not hit:
                    missed.append((left, right))
                for kind in {"(all)", *dataset.noise[left], *dataset.noise[right]}:
                    total[kind] += 1
                    found[kind] += hit
    return {kind: (found[kind], total[kind]) for kind in sorted(total)}, missed


def _false_merges(cluster_of: Mapping[str, str], dataset: Dataset, limit: int) -> list[tuple[str, str]]:
    """Up to ``limit`` pairs of records of different entities placed in one cluster."""
    by_cluster: dict[str, list[str]] = {}
    for rid, cluster in cluster_of.items():
        by_cluster.setdefault(cluster, []).append(rid)
    found: list[tuple[str, str]] = []
    for rids in by_cluster.values():
        entities = {dataset.truth[rid] for rid in rids}
        if len(entities) < 2:
            continue
        first = rids[0]
        other = next(rid for rid in rids if dataset.truth[rid] != dataset.truth[first])
        found.append((first, other))
        if len(found) >= limit:
            break
    return found
