"""Why true pairs were missed: the benchmark's debug mode (``bench/identity.py --debug N``).

    debug_set(name, dataset, settings, sample=N) -> prints a summary and N missed pairs

The set is resolved in this process (through the same CSV reader the command uses), and
every true pair left in two profiles is put in one of five bins by what happened to it as a
pair: ``not a candidate`` (no blocking key met), ``below review`` (scored under the review
threshold), ``review band`` (scored between the thresholds), ``required/evidence`` (scored
above the link threshold but a required comparison disagrees or no evidence set agrees),
``guard`` (linked, refused by the anti-chaining guard) and ``linked elsewhere`` (the pair
itself linked, yet its records ended in two profiles through other refusals). A sample of
each is printed with both records and every comparison's level and weight in bits.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.identity_data import Dataset
from core.identity import IdentitySettings, read_people_file, resolve
from core.identity.compare import compare_pairs, default_comparisons
from core.identity.decide import required_failed
from core.identity.model import match_probability, pair_weights
from core.identity.nicknames import default_nicknames
from core.identity.resolution import Resolution

__all__ = ["debug_set"]

_SHOWN = ("first_name", "last_name", "email", "phone", "street", "city", "postcode", "date_of_birth", "company")


def _missed(resolution: Resolution, dataset: Dataset) -> list[tuple[int, int]]:
    """True pairs (record indexes) whose records ended in two profiles."""
    index = {ref.source_id: i for i, ref in enumerate(resolution.records)}
    members: dict[str, list[int]] = {}
    for rid, entity in dataset.truth.items():
        if rid in index:
            members.setdefault(entity, []).append(index[rid])
    labels = resolution.labels
    return [
        (min(a, b), max(a, b))
        for found in members.values()
        for k, a in enumerate(found)
        for b in found[k + 1 :]
        if labels[a] != labels[b]
    ]


def _bins(resolution: Resolution, pairs: Sequence[tuple[int, int]], settings: IdentitySettings) -> list[str]:
    """What happened to each pair as a pair (see the module docstring)."""
    decided = {
        (min(int(a), int(b)), max(int(a), int(b))): position
        for position, (a, b) in enumerate(zip(resolution.pairs.left, resolution.pairs.right, strict=True))
    }
    table, parameters = resolution.table, resolution.parameters
    left = np.asarray([a for a, _ in pairs], dtype=np.int32)
    right = np.asarray([b for _, b in pairs], dtype=np.int32)
    levels = compare_pairs(table, left, right, default_comparisons(default_nicknames()))
    probability = match_probability(pair_weights(levels, parameters, table, left, right))
    failed = required_failed(levels, parameters.names, settings.fuzzy)
    candidates = set(zip(*_candidate_codes(resolution), strict=True))
    found = []
    for k, pair in enumerate(pairs):
        position = decided.get(pair)
        reason = resolution.pairs.reasons.get(position, "") if position is not None else ""
        if reason.startswith("conflict"):
            found.append(f"guard ({reason.removeprefix('conflict: ')})")
        elif position is not None and resolution.pairs.decision[position].value == "link":
            found.append("linked elsewhere")
        elif pair not in candidates:
            found.append("not a candidate")
        elif probability[k] >= settings.fuzzy.link_threshold and failed[k]:
            found.append("required/evidence")
        elif probability[k] >= settings.fuzzy.review_threshold:
            found.append("review band")
        else:
            found.append("below review")
    return found


def _candidate_codes(resolution: Resolution) -> tuple[list[int], list[int]]:
    from core.identity.blocking import block

    settings = resolution.settings.blocking
    found = block(
        resolution.table, settings.keys, max_block_size=settings.max_block_size, nicknames=default_nicknames()
    )
    return found.left.tolist(), found.right.tolist()


def _describe(resolution: Resolution, pair: tuple[int, int], rows: dict[str, dict[str, str]]) -> list[str]:
    table, parameters = resolution.table, resolution.parameters
    left, right = np.asarray([pair[0]], dtype=np.int32), np.asarray([pair[1]], dtype=np.int32)
    levels = compare_pairs(table, left, right, default_comparisons(default_nicknames()))
    weight = float(pair_weights(levels, parameters, table, left, right)[0])
    lines = []
    for i in pair:
        row = rows[resolution.records[i].source_id]
        lines.append("    " + " | ".join(f"{name}={row.get(name, '').strip() or '-'}" for name in _SHOWN))
    cells = []
    for c, level in enumerate(levels[0].tolist()):
        label = "missing" if level < 0 else parameters.labels[c][level]
        cells.append(f"{parameters.names[c]}={label}")
    lines.append(f"    levels: {', '.join(cells)}; weight {weight:.1f} bits (prior {parameters.prior_weight:.1f})")
    return lines


def debug_set(name: str, dataset: Dataset, records: Path, settings: IdentitySettings, *, sample: int) -> None:
    """Resolve ``records`` in process and print what became of the true pairs it missed."""
    people = read_people_file(records, phones=settings.phones).people
    resolution = resolve(people, settings)
    missed = _missed(resolution, dataset)
    bins = _bins(resolution, missed, settings) if missed else []
    counts = Counter(bins)
    print(f"\n## {name}: {len(missed)} true pairs missed\n")
    for label, count in counts.most_common():
        print(f"- {label}: {count}")
    rows = {r["record_id"]: r for r in dataset.records}
    rng = random.Random(7)
    for label, _ in counts.most_common():
        chosen = [pair for pair, found in zip(missed, bins, strict=True) if found == label]
        print(f"\n### {label} (sample of {min(sample, len(chosen))})")
        for pair in rng.sample(chosen, min(sample, len(chosen))):
            print("\n".join(_describe(resolution, pair, rows)))
