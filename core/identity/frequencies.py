"""Term-frequency adjustment: an exact match on a common value says less than one on a rare value.

Fellegi-Sunter gives every exact match on a field one weight, ``log2(m / u)``, with
``u`` the chance two strangers agree on the field. Agreeing on ``smith`` is far more
likely among strangers than agreeing on ``okonkwo``; with term frequencies the ``u``
of an exact match *on value x* is the share of records that carry ``x``
(``tf(x) = count(x) / records with a value``), as in Splink. The adjustment, in bits,
is added to the level's weight::

    weight = log2(m / u_level) + log2(Σ tf² / tf(x))

``Σ tf²`` is the chance two random records share the field's value at all, so the
adjustment averages out over the values strangers share: a common value takes bits
away, a rare one adds them. Measured against ``Σ tf²`` rather than the level's u, it
also holds for the address comparison's levels, which ask more than the one field
(the street level: street, house number, postcode and city), and it does not punish a
value that a person's duplicates make look common in a small file (a street seen twice
in a file where every address is seen twice is an ordinary street there).

Adjusted fields (``TF_FIELDS``): first names and surnames (their exact level), and in
the address comparison the city, postcode, street name and street with house number
(each at its own level, when the two values are equal). A pair whose values are not
equal (a typo, a nickname, names read crossed onto different values) keeps the level's
weight. Frequencies are counted on the batch at hand; the trained model keeps the
counts of every value seen twice or more, and incremental resolution reads them: a
value the model does not list was seen at most once, and the record being resolved
adds one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from core.identity.normalise import street_name
from core.identity.records import Column, RecordTable

__all__ = ["TF_FIELDS", "TermFrequencies", "tf_adjustments"]

Floats = npt.NDArray[np.float64]
Index = npt.NDArray[np.int32]
Levels = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

TF_FIELDS: dict[str, tuple[str, str]] = {
    "first_name": ("first_name", "exact"),
    "last_name": ("last_name", "exact"),
    "city": ("address", "city"),
    "postcode": ("address", "postcode"),
    "street_name": ("address", "street_name"),
    "street": ("address", "street"),
}
"""Adjusted value → (comparison, level at which its frequency replaces the level's u)."""

MIN_FREQUENCY = 1e-6
"""The smallest frequency used (a value in one record of a million)."""


def _value_column(table: RecordTable, name: str) -> Column:
    """The table's column of values for one adjusted field (the street's name derived from the street)."""
    if name == "first_name":
        return table.first_name
    if name == "last_name":
        return table.last_name
    if name == "street_name":
        return _derived(table.street, street_name)
    column: Column = getattr(table, name)
    return column


def _derived(column: Column, func: Callable[[str], str]) -> Column:
    mapped = [func(value) for value in column.vocab]
    vocab: dict[str, int] = {}
    lookup = np.asarray([*(vocab.setdefault(v, len(vocab)) if v else -1 for v in mapped), -1], dtype=np.int32)
    return Column(lookup[column.codes], list(vocab))


@dataclass(frozen=True)
class TermFrequencies:
    """How often each value of each adjusted field occurs.

    Attributes:
        counts: Field → value → number of records carrying it.
        totals: Field → number of records with a value.
        reference: Field → ``Σ tf²``, the chance two random records share its value.
        stored: ``True`` when read back from a stored model (incremental resolution): values
            missing from ``counts`` were seen at most once, and the record resolved adds one.
    """

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    reference: dict[str, float] = field(default_factory=dict)
    stored: bool = False

    @classmethod
    def from_table(cls, table: RecordTable, fields: Sequence[str] = tuple(TF_FIELDS)) -> TermFrequencies:
        """Count every value of ``fields`` in a batch."""
        counts: dict[str, dict[str, int]] = {}
        totals: dict[str, int] = {}
        reference: dict[str, float] = {}
        for name in fields:
            column = _value_column(table, name)
            present = column.codes[column.codes >= 0]
            found = np.bincount(present, minlength=len(column.vocab)) if present.size else np.zeros(0, dtype=np.int64)
            counts[name] = {
                value: int(count) for value, count in zip(column.vocab, found.tolist(), strict=False) if count
            }
            totals[name] = int(present.size)
            reference[name] = float((found.astype(np.float64) ** 2).sum() / present.size**2) if present.size else 0.0
        return cls(counts, totals, reference)

    def frequencies(self, name: str, vocab: Sequence[str]) -> Floats:
        """The frequency of each value of ``vocab`` (index = code), for field ``name``."""
        total = self.totals.get(name, 0)
        if not total:
            return np.full(len(vocab), np.nan)
        known = self.counts.get(name, {})
        if self.stored:
            found = [known.get(value, 1) + 1 for value in vocab]
            total += 1
        else:
            found = [known.get(value, 1) for value in vocab]
        return np.maximum(np.asarray(found, dtype=np.float64) / total, MIN_FREQUENCY)

    def to_dict(self, *, min_count: int = 2) -> dict[str, Any]:
        """Plain data for the stored model: totals, and the counts of values seen ``min_count`` times or more."""
        return {
            name: {
                "total": self.totals.get(name, 0),
                "reference": self.reference.get(name, 0.0),
                "counts": {value: count for value, count in sorted(values.items()) if count >= min_count},
            }
            for name, values in self.counts.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TermFrequencies:
        """Read what ``to_dict`` wrote, for incremental resolution."""
        counts = {name: {str(k): int(v) for k, v in entry.get("counts", {}).items()} for name, entry in data.items()}
        totals = {name: int(entry.get("total", 0)) for name, entry in data.items()}
        reference = {name: float(entry.get("reference", 0.0)) for name, entry in data.items()}
        return cls(counts, totals, reference, stored=True)


def _value_frequencies(
    table: RecordTable, frequencies: TermFrequencies, name: str, left: Index, right: Index
) -> tuple[Bools, Floats]:
    """Rows whose values of field ``name`` are equal, and the frequency of the shared value.

    First and last names are also read crossed (``smith robert``/``robert smith``); a value
    shared crossed counts as common as it is in either field, and when both crossed values
    are shared the commoner one counts (the reading that claims less).
    """
    column = _value_column(table, name)
    tf = frequencies.frequencies(name, column.vocab)
    a, b = column.codes[left], column.codes[right]
    equal = (a >= 0) & (a == b)
    found = np.where(equal, tf[np.maximum(a, 0)], np.nan)
    if name not in ("first_name", "last_name"):
        return equal, found
    other_name = "last_name" if name == "first_name" else "first_name"
    other = table.last_name if name == "first_name" else table.first_name
    either = np.fmax(tf, frequencies.frequencies(other_name, column.vocab))
    crossed = np.full(len(left), np.nan)
    for x, y in ((a, other.codes[right]), (other.codes[left], b)):
        hit = ~equal & (x >= 0) & (x == y)
        crossed = np.where(hit, np.fmax(crossed, either[np.maximum(x, 0)]), crossed)
    found = np.where(equal, found, crossed)
    return equal | ~np.isnan(crossed), found


def tf_adjustments(
    table: RecordTable,
    left: Index,
    right: Index,
    levels: Levels,
    names: Sequence[str],
    labels: Sequence[Sequence[str]],
    u: Sequence[Floats],
    frequencies: TermFrequencies | None,
) -> Floats:
    """Bits to add to each pair's comparison weights: ``log2(Σ tf² / tf(value))`` where adjusted, else 0.

    ``u`` stands in for ``Σ tf²`` (the level's u) when the frequencies carry no reference.

    Returns:
        A ``(pairs, comparisons)`` matrix.
    """
    out = np.zeros(levels.shape, dtype=np.float64)
    if frequencies is None or not len(left):
        return out
    for name, (comparison, label) in TF_FIELDS.items():
        if comparison not in names or name not in frequencies.totals:
            continue
        c = list(names).index(comparison)
        level = list(labels[c]).index(label)
        rows = np.flatnonzero(levels[:, c] == level)
        if not rows.size:
            continue
        equal, found = _value_frequencies(table, frequencies, name, left[rows], right[rows])
        usable = equal & np.isfinite(found)
        reference = frequencies.reference.get(name) or float(u[c][level])
        out[rows[usable], c] = np.log2(max(reference, MIN_FREQUENCY) / found[usable])
    return out
