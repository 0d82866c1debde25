"""Training the Fellegi-Sunter model (``parameters.ModelParameters``) on the batch at hand.

* ``u`` comes from random pairs of the batch (almost all non-matches).
* ``m`` and the prior come from expectation-maximisation over the candidate
  pairs, holding ``u`` fixed; EM runs on the distinct level *patterns* with
  their counts, so it costs nothing next to comparing.
* Term frequencies of names and address parts are counted on the batch
  (``frequencies.TermFrequencies``); EM runs without them, as Splink's does.
* Any ``m`` or ``u`` can be fixed from the settings file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import structlog

from core.identity.cluster import find_root
from core.identity.compare import Comparison
from core.identity.frequencies import TermFrequencies
from core.identity.parameters import ModelParameters, match_probability, pair_weights, score
from core.identity.random_pairs import estimate_u, random_level_counts, shrunk_u, without_matches
from core.identity.records import RecordTable
from core.identity.settings import FuzzySettings, LevelOverride

__all__ = [
    "DEFAULT_M",
    "SESSIONS",
    "ModelParameters",
    "estimate_m",
    "estimate_prior",
    "estimate_u",
    "match_probability",
    "pair_weights",
    "score",
    "train",
    "without_matches",
]

log = structlog.get_logger(__name__)
Floats = npt.NDArray[np.float64]
Levels = npt.NDArray[np.int8]
_FLOOR = 1e-9


def _apply_overrides(values: Floats, fixed: Mapping[int, float]) -> Floats:
    """Set fixed entries and rescale the others so the distribution sums to 1."""
    if not fixed:
        return values
    out = values.copy()
    free = [i for i in range(len(out)) if i not in fixed]
    remaining = max(1.0 - sum(fixed.values()), 0.0)
    total = float(out[free].sum()) if free else 0.0
    for i in free:
        out[i] = out[i] / total * remaining if total > 0 else remaining / len(free)
    for i, value in fixed.items():
        out[i] = value
    return out


def _fixed(
    overrides: Mapping[str, Mapping[str, LevelOverride]], name: str, labels: Sequence[str], which: str
) -> dict[int, float]:
    found: dict[int, float] = {}
    for label, override in overrides.get(name, {}).items():
        value = getattr(override, which)
        if value is not None:
            found[labels.index(label)] = float(value)
    return found


def _patterns(levels: Levels) -> tuple[Levels, Floats]:
    """Distinct rows of the level matrix and how often each occurs."""
    if levels.shape[0] == 0:
        return levels, np.zeros(0)
    base = int(levels.max(initial=0)) + 2
    code = np.zeros(levels.shape[0], dtype=np.int64)
    for c in range(levels.shape[1]):  # in place: one array of codes, not a copy per column
        code *= base
        code += levels[:, c]
        code += 1
    _, first_seen, counts = np.unique(code, return_index=True, return_counts=True)
    return levels[first_seen], counts.astype(np.float64)


def _log_likelihood(patterns: Levels, probabilities: Sequence[Floats]) -> Floats:
    total = np.zeros(patterns.shape[0])
    for c, values in enumerate(probabilities):
        padded = np.append(np.log(np.maximum(values, _FLOOR)), 0.0)  # index -1: missing → log 1
        total += padded[patterns[:, c]]
    return total


def estimate_m(
    levels: Levels,
    u: Sequence[Floats],
    m_start: Sequence[Floats],
    *,
    prior_start: float,
    settings: FuzzySettings,
    fixed_m: Sequence[Mapping[int, float]],
) -> tuple[tuple[Floats, ...], float, int, bool]:
    """Expectation-maximisation of m and the prior over candidate pairs, u held fixed.

    Returns:
        ``(m, prior, iterations, converged)``.
    """
    patterns, counts = _patterns(levels)
    m = [_apply_overrides(np.asarray(s, dtype=np.float64), f) for s, f in zip(m_start, fixed_m, strict=True)]
    prior = prior_start
    log_u = _log_likelihood(patterns, u)
    for iteration in range(1, settings.em.max_iterations + 1):
        log_m = _log_likelihood(patterns, m)
        odds = np.exp(np.clip(np.log(prior) + log_m - np.log1p(-prior) - log_u, -700, 700))
        weight = counts * odds / (1.0 + odds)
        new_m = []
        for c, values in enumerate(m):
            column = patterns[:, c]
            present = column >= 0
            sums = np.bincount(column[present], weights=weight[present], minlength=len(values))
            total = sums.sum()
            estimate = sums / total if total >= MIN_EXPECTED_MATCHES else values  # too few to learn from: keep
            new_m.append(_apply_overrides(np.maximum(estimate, 1e-6), fixed_m[c]))
        new_prior = prior if settings.prior is not None else float(np.clip(weight.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        change = max([abs(new_prior - prior)] + [float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)])
        m, prior = new_m, new_prior
        if change < settings.em.tolerance:
            return tuple(m), prior, iteration, True
    return tuple(m), prior, settings.em.max_iterations, False


DEFAULT_M: dict[str, tuple[float, ...]] = {
    "first_name": (0.04, 0.05, 0.06, 0.10, 0.75),
    "last_name": (0.03, 0.04, 0.08, 0.85),
    "email": (0.002, 0.098, 0.05, 0.10, 0.75),  # two different free-mail addresses: rare for one person
    "phone": (0.15, 0.85),
    "date_of_birth": (0.03, 0.05, 0.92),
    "company": (0.15, 0.10, 0.75),
    "address": (0.12, 0.04, 0.04, 0.05, 0.75),
}
"""Starting m (and the fallback when a batch is too small to train on)."""

SESSIONS: tuple[tuple[str, dict[str, int]], ...] = (
    ("email", {"email": 4}),
    ("names", {"first_name": 4, "last_name": 3}),
    ("phone", {"phone": 1}),
    ("date_of_birth", {"date_of_birth": 2}),
    ("postcode", {"address": 2}),
)
"""EM training sessions: the candidate pairs agreeing on these comparisons (at least
at these levels). Within a session those comparisons are left out, and m is
estimated for the others, as the pairs were selected on them."""

MIN_SESSION_PAIRS = 200
MIN_EXPECTED_MATCHES = 20.0
"""A comparison's m is estimated only from at least this many expected matches where it has a value
(a field few records carry, such as a date of birth only six records have, keeps its starting m)."""


def _start_m(name: str, levels: int) -> Floats:
    """A starting m: the default table, or one proportional to 4**level."""
    if name in DEFAULT_M and len(DEFAULT_M[name]) == levels:
        return np.asarray(DEFAULT_M[name], dtype=np.float64)
    values = np.power(4.0, np.arange(levels, dtype=np.float64))
    return np.asarray(values / values.sum(), dtype=np.float64)


def _sessions_m(
    levels: Levels, names: Sequence[str], u: Sequence[Floats], start: Sequence[Floats], settings: FuzzySettings
) -> tuple[list[Floats], list[dict[str, object]]]:
    """Run each EM session; average each comparison's m weighted by the session's expected matches.

    Returns:
        The m estimates and one report per session run (name, pairs, iterations, converged,
        expected matches).
    """
    sums = [np.zeros_like(values) for values in start]
    mass = np.zeros(len(names))
    reports: list[dict[str, object]] = []
    for session_name, agree in SESSIONS:
        selected = np.ones(levels.shape[0], dtype=np.bool_)
        for name, level in agree.items():
            selected &= levels[:, names.index(name)] >= level if name in names else False
        if int(selected.sum()) < MIN_SESSION_PAIRS:
            continue
        session = levels[selected].copy()
        left_out = [names.index(name) for name in agree if name in names]
        session[:, left_out] = -1
        free = [{} if c not in left_out else dict(enumerate(start[c].tolist())) for c in range(len(names))]
        m, prior, steps, done = estimate_m(session, u, start, prior_start=0.5, settings=settings, fixed_m=free)
        expected = prior * session.shape[0]
        against = _agreeing_against(m, u, [c for c in range(len(names)) if c not in left_out], names)
        report: dict[str, object] = {
            "name": session_name,
            "pairs": int(session.shape[0]),
            "iterations": steps,
            "converged": done,
            "expected_matches": round(float(expected), 1),
        }
        reports.append(report)
        if against:
            report["rejected"] = f"its matches agree on {', '.join(against)} less often than strangers do"
            continue
        for c in range(len(names)):
            if c not in left_out:
                sums[c] += expected * m[c]
                mass[c] += expected
    found = [np.asarray(sums[c] / mass[c] if mass[c] > 0 else start[c], dtype=np.float64) for c in range(len(names))]
    return found, reports


IDENTIFYING = ("email", "phone", "date_of_birth")
"""Comparisons on which two records of one person agree exactly more often than two strangers, in any data.
(Not addresses or employers: systems keep them at different grains, a city here and a street there.)"""


def _agreeing_against(
    m: Sequence[Floats], u: Sequence[Floats], learnt: Sequence[int], names: Sequence[str]
) -> list[str]:
    """The learnt identifying comparisons whose top level (agreeing fully) is not evidence for a match: ``m <= u``.

    EM finds the largest class of look-alike pairs, and in a batch with few or no
    duplicates that class is strangers alike on the session's own fields (same common
    name and postcode) who never share an email or a phone. Two records of one person
    agree exactly on those more often than two strangers do; a class that does not
    is not one of matches, and its m would make disagreeing on email or phone count for
    nothing.
    """
    return [names[c] for c in learnt if names[c] in IDENTIFYING and m[c][-1] <= u[c][-1]]


def _rule_clustered_pairs(rule_left: npt.NDArray[np.int32], rule_right: npt.NDArray[np.int32], size: int) -> int:
    """Pairs of records within the groups that rule links alone form."""
    parent = list(range(size))
    for a, b in zip(rule_left.tolist(), rule_right.tolist(), strict=True):
        root_a, root_b = find_root(parent, a), find_root(parent, b)
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    counts = np.bincount(np.asarray([find_root(parent, node) for node in range(size)], dtype=np.int64), minlength=1)
    return int((counts * (counts - 1) // 2).sum())


def estimate_prior(rule_pairs: int, size: int, settings: FuzzySettings) -> float:
    """The probability that two random records match.

    From the settings when given; otherwise the pairs the deterministic rules
    link, divided by their assumed recall (``rules_recall``), over all pairs,
    at most ``MAX_ESTIMATED_PRIOR``: a file of a handful of records says almost
    nothing about how often strangers share a name, and a wrong merge costs more
    than a missed one.
    """
    if settings.prior is not None:
        return settings.prior
    total = max(size * (size - 1) / 2, 1.0)
    return float(np.clip(max(rule_pairs, 1) / settings.rules_recall / total, 1e-12, MAX_ESTIMATED_PRIOR))


MAX_ESTIMATED_PRIOR = 0.01
"""The highest prior estimated from the data (one random pair in a hundred matching)."""


def estimate_match_share(levels: Levels, m: Sequence[Floats], u: Sequence[Floats], *, iterations: int = 100) -> float:
    """The share of candidate pairs that match, by EM with m and u held fixed.

    Each step sets the share to the mean posterior match probability of the
    pairs; with m and u fixed this converges to the one maximum-likelihood share.
    """
    patterns, counts = _patterns(levels)
    if not counts.size:
        return 0.0
    log_ratio = _log_likelihood(patterns, m) - _log_likelihood(patterns, u)
    share = 0.01
    for _ in range(iterations):
        odds = np.exp(np.clip(np.log(share) - np.log1p(-share) + log_ratio, -700, 700))
        new_share = float(np.clip((counts * odds / (1.0 + odds)).sum() / counts.sum(), 1e-9, 1 - 1e-9))
        if abs(new_share - share) < 1e-7:
            return new_share
        share = new_share
    return share


def _fit(
    levels: Levels,
    comparisons: Sequence[Comparison],
    settings: FuzzySettings,
    u_raw: Sequence[Floats],
    fixed: tuple[Sequence[Mapping[int, float]], Sequence[Mapping[int, float]]],
) -> tuple[tuple[Floats, ...], tuple[Floats, ...], list[dict[str, object]]]:
    """The u (with its overrides), then m by the EM sessions: ``(u, m, session reports)``."""
    fixed_u, fixed_m = fixed
    names = tuple(c.name for c in comparisons)
    u = tuple(_apply_overrides(values, f) for values, f in zip(u_raw, fixed_u, strict=True))
    start = [_start_m(c.name, len(c.levels)) for c in comparisons]
    sessions: list[dict[str, object]] = []
    if settings.em.enabled and levels.shape[0]:
        start, sessions = _sessions_m(levels, names, u, start, settings)
    m = tuple(_apply_overrides(values, f) for values, f in zip(start, fixed_m, strict=True))
    return u, m, sessions


def _prior(
    levels: Levels, m: Sequence[Floats], u: Sequence[Floats], rule_prior: float, size: int, settings: FuzzySettings
) -> float:
    """The larger of the rules' prior and EM's share of matching candidates over all pairs (or the fixed one)."""
    if settings.prior is not None:
        return settings.prior
    total = max(size * (size - 1) / 2, 1.0)
    matched = estimate_match_share(levels, m, u) * levels.shape[0]
    return float(np.clip(max(rule_prior, matched / total), 1e-12, MAX_ESTIMATED_PRIOR))


def train(
    table: RecordTable,
    levels: Levels,
    comparisons: Sequence[Comparison],
    settings: FuzzySettings,
    *,
    rule_links: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
) -> ModelParameters:
    """Estimate the model from the batch itself.

    u comes from random pairs; m from EM sessions over the candidate pairs
    (``SESSIONS``); the prior from the pairs the rules link (``estimate_prior``).
    Overrides in ``settings.overrides`` replace estimates and stay fixed.

    Args:
        table: The prepared records.
        levels: The candidate pairs' comparison levels.
        comparisons: The comparisons, in column order.
        settings: Fuzzy settings (EM knobs, prior, overrides).
        rule_links: ``(left, right)`` record indexes the deterministic rules linked.
    """
    names = tuple(c.name for c in comparisons)
    labels = tuple(c.levels for c in comparisons)
    fixed_m = [_fixed(settings.overrides, c.name, c.levels, "m") for c in comparisons]
    fixed_u = [_fixed(settings.overrides, c.name, c.levels, "u") for c in comparisons]
    counts, pairs = random_level_counts(table, comparisons, sample=settings.em.random_pairs, seed=settings.em.seed)
    rule_prior = estimate_prior(_rule_clustered_pairs(*rule_links, len(table)), len(table), settings)
    learn = settings.em.enabled and bool(levels.shape[0])
    u, m, sessions = _fit(levels, comparisons, settings, shrunk_u(counts, comparisons), (fixed_u, fixed_m))
    prior = _prior(levels, m, u, rule_prior, len(table), settings) if learn else rule_prior
    if learn:  # once more with the matches among the random pairs taken out of u
        cleaned = shrunk_u(without_matches(counts, m, prior, pairs), comparisons)
        u, m, sessions = _fit(levels, comparisons, settings, cleaned, (fixed_u, fixed_m))
        prior = _prior(levels, m, u, rule_prior, len(table), settings)
    iterations = sum(int(str(session["iterations"])) for session in sessions)
    rejected = [str(session["name"]) for session in sessions if "rejected" in session]
    unsettled = [str(session["name"]) for session in sessions if not session["converged"] and "rejected" not in session]
    if rejected:
        log.info("identity.em_sessions_rejected", sessions=rejected, reason="matches agree less often than strangers")
    if unsettled:
        log.warning("identity.em_not_converged", sessions=unsettled, max_iterations=settings.em.max_iterations)
    frequencies = TermFrequencies.from_table(table)
    return ModelParameters(names, labels, m, u, prior, iterations, not unsettled, frequencies, tuple(sessions))
