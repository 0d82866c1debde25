from __future__ import annotations

import numpy as np

from core.canonical import Identifier
from core.identity import cluster_links, default_nicknames, strong_values
from core.identity.settings import StrongIdentifier
from tests.core.identity.helpers import person, table

ALL = list(StrongIdentifier)


def _cluster(links: list[tuple[int, int]], *people: object) -> tuple[list[int], dict[int, str]]:
    prepared = table(*people)  # type: ignore[arg-type]
    left = np.array([a for a, _ in links], dtype=np.int32)
    right = np.array([b for _, b in links], dtype=np.int32)
    result = cluster_links(len(prepared), left, right, strong_values(prepared, ALL), default_nicknames())
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
