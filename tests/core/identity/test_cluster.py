from __future__ import annotations

import numpy as np

from core.canonical import Identifier
from core.identity import ClusterResult, cluster_links, default_nicknames, strong_values
from core.identity.cluster import PIN_CONFLICT
from core.identity.settings import StrongIdentifier
from tests.core.identity.helpers import person, table

ALL = list(StrongIdentifier)


def _result(
    links: list[tuple[int, int]],
    *people: object,
    must: list[tuple[int, int]] | None = None,
    cannot: list[tuple[int, int]] | None = None,
) -> ClusterResult:
    prepared = table(*people)  # type: ignore[arg-type]
    left = np.array([a for a, _ in links], dtype=np.int32)
    right = np.array([b for _, b in links], dtype=np.int32)
    strong = strong_values(prepared, ALL)
    return cluster_links(len(prepared), left, right, strong, default_nicknames(), must=must or [], cannot=cannot or [])


def _cluster(links: list[tuple[int, int]], *people: object) -> tuple[list[int], dict[int, str]]:
    result = _result(links, *people)
    return result.labels.tolist(), result.conflicts


def test_links_join_records_transitively() -> None:
    labels, conflicts = _cluster([(0, 1), (1, 2)], person("a"), person("b"), person("c"), person("d"))
    assert labels == [0, 0, 0, 3]
    assert conflicts == {}


def test_chain_joining_different_dates_of_birth_is_cut_at_the_weakest_link() -> None:
    """a-b (strong) and b-c (weaker) would put two birth dates in one profile."""
    a = person("a", first_name="John", date_of_birth="1960-01-01")
    b = person("b", first_name="John")
    c = person("c", first_name="John", date_of_birth="1990-05-05")
    labels, conflicts = _cluster([(0, 1), (1, 2)], a, b, c)
    assert labels == [0, 0, 2]
    assert conflicts == {1: "date_of_birth"}


def test_one_digit_date_typo_is_not_a_conflict() -> None:
    a = person("a", date_of_birth="1960-01-01")
    b = person("b", date_of_birth="1960-01-07")
    labels, conflicts = _cluster([(0, 1)], a, b)
    assert labels == [0, 0]
    assert conflicts == {}


def test_two_ids_from_the_same_system_conflict() -> None:
    a = person("a", identifiers=[Identifier(kind="external_id", system="salesforce", value="003A")])
    b = person("b", identifiers=[Identifier(kind="external_id", system="salesforce", value="003B")])
    c = person("c", identifiers=[Identifier(kind="external_id", system="zendesk", value="9")])
    labels, conflicts = _cluster([(0, 2), (1, 2)], a, b, c)
    assert labels == [0, 1, 0]
    assert conflicts == {1: "external_id"}


def test_two_personal_addresses_at_one_domain_conflict_but_typos_and_nicknames_do_not() -> None:
    a = person("a", email="john.smith@acme.com")
    b = person("b", email="jane.smith@acme.com")
    c = person("c", email="john.smiht@acme.com")
    d = person("d", email="bob.jones@acme.com")
    e = person("e", email="robert.jones@acme.com")
    labels, conflicts = _cluster([(0, 1), (0, 2), (3, 4)], a, b, c, d, e)
    assert labels == [0, 1, 0, 3, 3]
    assert conflicts == {0: "email"}


def test_role_mailboxes_never_conflict() -> None:
    labels, conflicts = _cluster([(0, 1)], person("a", email="info@acme.com"), person("b", email="sales@acme.com"))
    assert labels == [0, 0]
    assert conflicts == {}


def test_a_transposed_birth_year_is_not_a_conflict_but_another_year_is() -> None:
    a = person("a", date_of_birth="1960-07-07")
    b = person("b", date_of_birth="1906-07-07")
    c = person("c", date_of_birth="1970-07-07")
    labels, conflicts = _cluster([(0, 1), (0, 2)], a, b, c)
    assert labels == [0, 0, 2]
    assert conflicts == {1: "date_of_birth"}


def test_a_must_link_pin_joins_against_the_guard_but_no_link_chains_a_conflict_onto_it() -> None:
    """a (1960) and b are pinned; the strong a-c link and the b-d link would each add another birth date."""
    a = person("a", first_name="John", date_of_birth="1960-01-01")
    b = person("b", first_name="John", date_of_birth="1990-05-05")
    c = person("c", first_name="John", date_of_birth="1975-03-03")
    d = person("d", first_name="John")
    result = _result([(0, 2), (1, 3)], a, b, c, d, must=[(0, 1)])
    assert result.labels.tolist() == [0, 0, 2, 0]
    assert result.forced.tolist() == [True]
    assert result.applied.tolist() == [False, True]
    assert result.conflicts == {0: "date_of_birth"}


def test_a_cannot_link_pin_refuses_the_link_that_would_join_its_records_through_others() -> None:
    people = [person(name, first_name="John") for name in "abcd"]
    result = _result([(0, 1), (2, 3), (1, 2), (0, 3)], *people, cannot=[(0, 2)])
    assert result.labels.tolist() == [0, 0, 2, 2]
    assert result.conflicts == {2: PIN_CONFLICT, 3: PIN_CONFLICT}


def test_a_must_link_pin_gives_way_to_a_cannot_link_pin() -> None:
    people = [person(name, first_name="John") for name in "abc"]
    result = _result([], *people, must=[(0, 1), (1, 2)], cannot=[(0, 2)])
    assert result.labels.tolist() == [0, 0, 2]
    assert result.forced.tolist() == [True, False]
