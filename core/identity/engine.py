"""The batch engine: ``resolve(people, settings) -> Resolution``.

    prepare (normalise once, sort by key)
      → deterministic rules (links)
      → blocking (candidate pairs) → compare (levels) → train (u random, m by EM) → score
      → decisions (link ≥ link_threshold, review band, required agreements)
      → cluster (must-link pins first, then links strongest first, with the
        anti-chaining guard and cannot-link pins) → profile IDs

Every step is a function of its inputs; ``resolve`` only wires them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import structlog

from core.canonical import Person
from core.gcpause import collector_paused
from core.identity.blocking import BlockingReport, block
from core.identity.cluster import PIN_CONFLICT, ClusterResult, cluster_links, strong_values
from core.identity.compare import COMPARISON_LEVELS, Comparison, compare_pairs, default_comparisons
from core.identity.decide import lone_disagreement, required_failed
from core.identity.explain import Decision, Method
from core.identity.model import ModelParameters, match_probability, score, train
from core.identity.nicknames import NicknameTable, default_nicknames
from core.identity.parameters import adjustments
from core.identity.profiles import derived_profile_id
from core.identity.records import PersonText, RecordTable, prepare_records
from core.identity.resolution import PairDecisions, PinDecisions, Resolution
from core.identity.roles import default_role_mailboxes
from core.identity.rules import RuleLinks, apply_rules, build_rules
from core.identity.settings import IdentitySettings
from core.store import IdentityPin, PinKind

__all__ = ["collector_paused", "required_failed", "resolve"]

log = structlog.get_logger(__name__)
COMPARISON_NAMES = tuple(COMPARISON_LEVELS)
Index = npt.NDArray[np.int32]
_SCORED_AT_ONCE = 50_000
"""Candidate pairs scored together."""
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Edges:
    """Links in the order the clusterer takes them, with what each came from."""

    left: Index
    right: Index
    rule: list[str | None]
    levels: npt.NDArray[np.int8]
    weight: npt.NDArray[np.float64]
    adjustments: npt.NDArray[np.float64]
    """Term-frequency adjustments (bits) per pair and comparison."""

    @classmethod
    def empty(cls, comparisons: int) -> _Edges:
        """No edges."""
        none = np.zeros(0, dtype=np.int32)
        return cls(none, none, [], np.zeros((0, comparisons), dtype=np.int8), np.zeros(0), np.zeros((0, comparisons)))

    def subset(self, mask: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> _Edges:
        """Return the edges selected by a mask or an index array."""
        picked = np.arange(len(self.left))[mask]
        return _Edges(
            self.left[picked],
            self.right[picked],
            [self.rule[i] for i in picked.tolist()],
            self.levels[picked],
            self.weight[picked],
            self.adjustments[picked],
        )


def _pair_codes(left: Index, right: Index, size: int) -> npt.NDArray[np.int64]:
    lo, hi = np.minimum(left, right).astype(np.int64), np.maximum(left, right).astype(np.int64)
    return lo * max(size, 1) + hi


def _concat(first: _Edges, second: _Edges) -> _Edges:
    return _Edges(
        np.concatenate([first.left, second.left]).astype(np.int32),
        np.concatenate([first.right, second.right]).astype(np.int32),
        first.rule + second.rule,
        np.concatenate([first.levels, second.levels]),
        np.concatenate([first.weight, second.weight]),
        np.concatenate([first.adjustments, second.adjustments]),
    )


def _scored(
    table: RecordTable,
    pairs: tuple[Index, Index, list[str | None]],
    levels: npt.NDArray[np.int8],
    parameters: ModelParameters,
) -> _Edges:
    """Pairs with their levels, term-frequency adjustments and match weights."""
    left, right, rules = pairs
    tf = adjustments(table, left, right, levels, parameters)
    return _Edges(left, right, rules, levels, score(levels, parameters) + tf.sum(axis=1), tf)


def _rule_edges(
    table: RecordTable, rule_links: RuleLinks, comparisons: Sequence[Comparison], parameters: ModelParameters
) -> _Edges:
    """Rule links in rule order, then by index, with their levels and scores for explanations."""
    order = np.lexsort((rule_links.right, rule_links.left, rule_links.rule))
    left, right = rule_links.left[order], rule_links.right[order]
    levels = compare_pairs(table, left, right, comparisons)
    names: list[str | None] = [rule_links.rules[code].value for code in rule_links.rule[order].tolist()]
    return _scored(table, (left, right, names), levels, parameters)


def _split_scored(
    scored: _Edges, rule_pairs: npt.NDArray[np.int64], size: int, settings: IdentitySettings, names: Sequence[str]
) -> tuple[_Edges, _Edges, list[str]]:
    """Fuzzy links (by decreasing weight) and review pairs, leaving out pairs a rule already linked."""
    fresh = ~np.isin(_pair_codes(scored.left, scored.right, size), rule_pairs)
    probability = match_probability(scored.weight)
    failed = required_failed(scored.levels, names, settings.fuzzy)
    link = fresh & (probability >= settings.fuzzy.link_threshold) & ~failed
    band = fresh & (probability >= settings.fuzzy.review_threshold) & ~link
    in_band = _by_weight(scored, band)
    links, reviews = scored.subset(_by_weight(scored, link)), scored.subset(in_band)
    reasons = [
        "a required comparison disagrees or no personal evidence agrees" if flag else "score between thresholds"
        for flag in failed[in_band].tolist()
    ]
    return links, reviews, reasons


def _by_weight(edges: _Edges, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Positions selected by ``mask``, by decreasing weight, then by record indexes (only those are sorted)."""
    picked = np.flatnonzero(mask)
    return picked[np.lexsort((edges.right[picked], edges.left[picked], -edges.weight[picked]))]


def _decisions(
    edges: _Edges,
    applied: npt.NDArray[np.bool_],
    conflicts: Mapping[int, str],
    review: _Edges,
    review_reasons: list[str],
) -> PairDecisions:
    decisions = [Decision.LINK if flag else Decision.REVIEW for flag in applied.tolist()]
    reasons = {position: f"conflict: {name}" for position, name in conflicts.items()}
    offset = len(edges.left)
    reasons.update({offset + i: reason for i, reason in enumerate(review_reasons)})
    weights = np.concatenate([edges.weight, review.weight])
    return PairDecisions(
        left=np.concatenate([edges.left, review.left]).astype(np.int32),
        right=np.concatenate([edges.right, review.right]).astype(np.int32),
        decision=decisions + [Decision.REVIEW] * len(review.left),
        method=[Method.RULE if r else Method.SCORE for r in edges.rule] + [Method.SCORE] * len(review.left),
        rule=edges.rule + [None] * len(review.left),
        weight=weights,
        probability=match_probability(weights),
        levels=np.concatenate([edges.levels, review.levels]),
        reasons=reasons,
        adjustments=np.concatenate([edges.adjustments, review.adjustments]),
    )


def _clusters(roots: Index) -> tuple[list[list[int]], Index]:
    """Group record indexes by root; clusters numbered by their smallest member. Returns (clusters, labels)."""
    if not len(roots):
        return [], np.zeros(0, dtype=np.int32)
    order = np.argsort(roots, kind="stable")
    sorted_roots = roots[order]
    starts = np.flatnonzero(np.r_[True, sorted_roots[1:] != sorted_roots[:-1]])
    clusters = [group.tolist() for group in np.split(order, starts[1:])]
    labels = np.empty(len(roots), dtype=np.int32)
    labels[order] = np.repeat(np.arange(len(starts), dtype=np.int32), np.diff(np.r_[starts, len(roots)]))
    return clusters, labels


class _Stopwatch:
    """Runs the engine's stages and keeps how long each took, in seconds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, stage: str, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        started = time.perf_counter()
        value = func(*args, **kwargs)
        self.seconds[stage] = round(time.perf_counter() - started, 4)
        return value


def resolve(
    people: Iterable[Person | PersonText],
    settings: IdentitySettings | None = None,
    *,
    nicknames: NicknameTable | None = None,
    pins: Sequence[IdentityPin] = (),
    compact: bool = False,
) -> Resolution:
    """Resolve a batch of people into profiles.

    Args:
        people: Canonical people, or their JSON as the store wrote it (``records.PersonText``); each
            ``source`` should be unique. Read once (a generator will do).
        settings: Identity settings; ``None`` uses the defaults.
        nicknames: A nickname table; the bundled one by default.
        pins: Manual pins, oldest first: must-link pairs are joined before any link
            (even against the guard), cannot-link pairs never end up in one profile.
            Inactive pins and pins naming a record not in ``people`` are ignored.
        compact: Hold the people as their JSON text (``records.StoredPeople``): a sixth of
            the memory; golden records rebuild each person once.

    Returns:
        Clusters with profile IDs derived from their members (``derived_profile_id``;
        ``resolve_store`` keeps IDs stable across runs), pair decisions with explanations, golden records
        (computed on first access), the trained model and the blocking report. The
        result does not depend on the order of ``people``.
    """
    with collector_paused():
        return _resolve(
            people, settings or IdentitySettings(), nicknames or default_nicknames().fresh(), pins, compact=compact
        )


def _pin_pairs(keys: Sequence[str], pins: Sequence[IdentityPin], kind: PinKind) -> list[tuple[int, int, int]]:
    """``(left, right, pin_id)`` of the active pins of ``kind`` naming two records of the batch."""
    index = {key: i for i, key in enumerate(keys)}
    found = []
    for pin in pins:
        a, b = index.get(pin.left_record), index.get(pin.right_record)
        if pin.kind == kind and pin.active and a is not None and b is not None and a != b:
            found.append((a, b, int(pin.pin_id or 0)))
    return found


@dataclass(frozen=True)
class _Links:
    """What scoring decided: links in the order the clusterer takes them, and pairs for review."""

    edges: _Edges
    review: _Edges
    review_reasons: list[str]
    parameters: ModelParameters
    blocking: BlockingReport


def _links(table: RecordTable, settings: IdentitySettings, names_table: NicknameTable, clock: _Stopwatch) -> _Links:
    """Rules, blocking, comparison, training and scoring: rule links first, then fuzzy links by weight."""
    comparisons = default_comparisons(names_table)
    rule_links = clock.run("rules", apply_rules, table, build_rules(settings.rules, names_table))
    blocking = settings.blocking
    candidates = clock.run(
        "blocking", block, table, blocking.keys, max_block_size=blocking.max_block_size, nicknames=names_table
    )
    levels = clock.run("compare", compare_pairs, table, candidates.left, candidates.right, comparisons)
    parameters = clock.run(
        "train", train, table, levels, comparisons, settings.fuzzy, rule_links=(rule_links.left, rule_links.right)
    )
    rule_edges = _rule_edges(table, rule_links, comparisons, parameters)
    rule_pairs = _pair_codes(rule_edges.left, rule_edges.right, len(table))
    fuzzy, review = _Edges.empty(len(comparisons)), _Edges.empty(len(comparisons))
    reasons: list[str] = []
    # scored a slice at a time: the term-frequency adjustments of every candidate pair would
    # outweigh the rest of the batch, and only the links and review pairs are kept
    for start in range(0, len(candidates), _SCORED_AT_ONCE):
        part = slice(start, start + _SCORED_AT_ONCE)
        no_rule: list[str | None] = [None] * len(candidates.left[part])
        pairs = (candidates.left[part], candidates.right[part], no_rule)
        scored = _scored(table, pairs, levels[part], parameters)
        links, reviews, why = _split_scored(scored, rule_pairs, len(table), settings, parameters.names)
        fuzzy, review, reasons = _concat(fuzzy, links), _concat(review, reviews), reasons + why
    order = _by_weight(review, np.ones(len(review.left), dtype=bool))
    review, reasons = review.subset(order), [reasons[i] for i in order.tolist()]
    fuzzy = fuzzy.subset(_by_weight(fuzzy, np.ones(len(fuzzy.left), dtype=bool)))
    return _Links(_concat(rule_edges, fuzzy), review, reasons, parameters, candidates.report)


def _cluster(
    table: RecordTable,
    edges: _Edges,
    settings: IdentitySettings,
    names_table: NicknameTable,
    pins: Sequence[IdentityPin],
    clock: _Stopwatch,
) -> tuple[ClusterResult, PinDecisions]:
    """Cluster the pins and links with the guard; return the result and the pins as clustering took them."""
    strong = clock.run("guard", strong_values, table, settings.guard.strong_identifiers)
    must = _pin_pairs(table.keys, pins, PinKind.MUST_LINK)
    cannot = _pin_pairs(table.keys, pins, PinKind.CANNOT_LINK)
    result = clock.run(
        "cluster",
        cluster_links,
        len(table),
        edges.left,
        edges.right,
        strong,
        names_table,
        must=[(a, b) for a, b, _ in must],
        cannot=[(a, b) for a, b, _ in cannot],
        dates_lenient=lone_disagreement(edges.levels, COMPARISON_NAMES, "date_of_birth"),
    )
    refused = sorted(position for position, reason in result.conflicts.items() if reason == PIN_CONFLICT)
    return result, PinDecisions(must, result.forced.tolist(), cannot, refused)


def _resolve(
    people: Iterable[Person | PersonText],
    settings: IdentitySettings,
    names_table: NicknameTable,
    pins: Sequence[IdentityPin],
    *,
    compact: bool,
) -> Resolution:
    clock = _Stopwatch()
    roles = default_role_mailboxes().extended(settings.role_mailboxes)
    table = clock.run("prepare", prepare_records, people, nicknames=names_table, roles=roles, compact=compact)
    links = _links(table, settings, names_table, clock)
    edges = links.edges
    result, pinned = _cluster(table, edges, settings, names_table, pins, clock)
    clusters, labels = _clusters(result.labels)
    profile_ids = [derived_profile_id([table.keys[i] for i in members]) for members in clusters]
    log.info("identity.resolved", records=len(table), duration_ms=round(sum(clock.seconds.values()) * 1000))
    return Resolution(
        records=table.refs,
        labels=labels,
        clusters=clusters,
        profile_ids=profile_ids,
        pairs=_decisions(edges, result.applied, result.conflicts, links.review, links.review_reasons),
        parameters=links.parameters,
        blocking=links.blocking,
        people=table.people,
        settings=settings,
        timings=clock.seconds,
        table=table,
        pins=pinned,
    )
