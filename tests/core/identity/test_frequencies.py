"""Term-frequency adjustment: an exact match on a rare value weighs more than one on a common value."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core.identity import IdentitySettings, compare_pairs, default_comparisons, default_nicknames, resolve
from core.identity.frequencies import TermFrequencies, tf_adjustments
from core.identity.model import ModelParameters
from core.identity.parameters import pair_weights, score
from tests.core.identity.helpers import person, table

COMPARISONS = default_comparisons(default_nicknames())
NAMES = tuple(c.name for c in COMPARISONS)
LABELS = tuple(c.levels for c in COMPARISONS)


def _people() -> list:
    """Twenty Smiths, two Okonkwos (one person), two Bloggs with a typo."""
    found = [person(f"s{i}", first_name=f"Name{i:02d}", last_name="Smith") for i in range(20)]
    found += [person("o1", first_name="Ada", last_name="Okonkwo"), person("o2", first_name="Ada", last_name="Okonkwo")]
    found += [person("b1", first_name="Joe", last_name="Bloggs"), person("b2", first_name="Joe", last_name="Blogs")]
    return found


def _u() -> tuple:
    return tuple(np.full(len(labels), 1.0 / len(labels)) for labels in LABELS)


def _adjustments(prepared, pairs: list[tuple[str, str]]) -> np.ndarray:
    index = {k.rsplit("/", 1)[1]: i for i, k in enumerate(prepared.keys)}
    left = np.asarray([index[a] for a, _ in pairs], dtype=np.int32)
    right = np.asarray([index[b] for _, b in pairs], dtype=np.int32)
    levels = compare_pairs(prepared, left, right, COMPARISONS)
    frequencies = TermFrequencies.from_table(prepared)
    return tf_adjustments(prepared, left, right, levels, NAMES, LABELS, _u(), frequencies)


def test_a_rare_surname_adds_bits_and_a_common_one_takes_them_away():
    prepared = table(*_people())
    found = _adjustments(prepared, [("o1", "o2"), ("s1", "s2")])
    surname = NAMES.index("last_name")
    shared = (20**2 + 2**2 + 1 + 1) / 24**2  # the chance two random records share a surname
    assert math.isclose(TermFrequencies.from_table(prepared).reference["last_name"], shared)
    assert math.isclose(found[0, surname], math.log2(shared / (2 / 24)))  # okonkwo: 2 of 24 records
    assert math.isclose(found[1, surname], math.log2(shared / (20 / 24)))  # smith: 20 of 24
    assert found[0, surname] > 0 > found[1, surname]


def test_values_that_are_not_equal_and_missing_values_get_no_adjustment():
    prepared = table(*_people(), person("x1", first_name="Ada"), person("x2", first_name="Ada"))
    found = _adjustments(prepared, [("b1", "b2"), ("x1", "x2")])
    assert found[0, NAMES.index("last_name")] == 0.0  # bloggs/blogs: close, not exact
    assert found[1, NAMES.index("last_name")] == 0.0  # both surnames missing
    assert found[1, NAMES.index("first_name")] != 0.0  # the first name is exact: adjusted


def test_names_read_crossed_take_the_more_common_reading():
    people = [person(f"j{i}", first_name="James", last_name=f"Sur{i:02d}") for i in range(10)]
    people += [person("a", first_name="Ada", last_name="James"), person("b", first_name="James", last_name="Ada")]
    prepared = table(*people)
    found = _adjustments(prepared, [("a", "b")])
    frequencies = TermFrequencies.from_table(prepared)
    # both crossed values are shared: "james" (a first name in 11 of 12 records) is the commoner, and counts
    common = frequencies.frequencies("first_name", ["james"])[0]
    shared = frequencies.reference["first_name"]
    assert math.isclose(found[0, NAMES.index("first_name")], math.log2(shared / common))


def test_stored_frequencies_count_the_resolved_record_and_default_to_one_sighting():
    prepared = table(*_people())
    batch = TermFrequencies.from_table(prepared)
    stored = TermFrequencies.from_dict(batch.to_dict())
    assert stored.stored and "okonkwo" in stored.counts["last_name"] and "bloggs" not in stored.counts["last_name"]
    assert stored.reference == batch.reference
    smith, unseen = stored.frequencies("last_name", ["smith", "zzz"])
    assert math.isclose(smith, 21 / 25) and math.isclose(unseen, 2 / 25)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["Smith", "Jones", "Okafor", "Ng", "Smyth"]), min_size=4, max_size=12))
def test_weights_are_the_level_weights_plus_the_adjustments(surnames: list[str]):
    people = [person(f"r{i}", first_name="Ann", last_name=s, city="Leeds") for i, s in enumerate(surnames)]
    prepared = table(*people)
    left, right = np.triu_indices(len(prepared), 1)
    left, right = left.astype(np.int32), right.astype(np.int32)
    levels = compare_pairs(prepared, left, right, COMPARISONS)
    m = tuple(np.linspace(0.1, 1.0, len(labels)) / np.linspace(0.1, 1.0, len(labels)).sum() for labels in LABELS)
    parameters = ModelParameters(NAMES, LABELS, m, _u(), 0.01, frequencies=TermFrequencies.from_table(prepared))
    adjusted = pair_weights(levels, parameters, prepared, left, right)
    plain = score(levels, parameters)
    extra = tf_adjustments(prepared, left, right, levels, NAMES, LABELS, _u(), parameters.frequencies)
    assert np.allclose(adjusted, plain + extra.sum(axis=1))
    same_surname = prepared.last_name.codes[left] == prepared.last_name.codes[right]
    assert np.all(extra[~same_surname, NAMES.index("last_name")] == 0.0)


def test_explanations_show_the_adjusted_weights_and_still_add_up():
    people = [
        person(f"{n}{i}", system=system, first_name=first, last_name=last, email=f"{first}.{last}{i}@example.org")
        for i, (first, last) in enumerate([("Ada", "Okonkwo"), ("Ann", "Smith"), ("Ann", "Smith"), ("Bo", "Li")])
        for n, system in (("a", "crm"), ("b", "shop"))
    ]
    resolution = resolve(people, IdentitySettings())
    explanations = [*resolution.links(), *resolution.reviews()]
    assert explanations
    for found in explanations:
        total = found.prior_weight + sum(c.weight for c in found.contributions)
        assert math.isclose(total, found.match_weight, abs_tol=1e-9)
        data = found.to_dict()
        assert all("tf_adjustment" in c for c in data["contributions"])  # type: ignore[union-attr]
    assert any(c.tf_adjustment != 0.0 for found in explanations for c in found.contributions)
    assert resolution.parameters.frequencies is not None
    assert "term_frequencies" in resolution.parameters.to_dict()
