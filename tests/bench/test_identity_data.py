"""The identity benchmark's data generator: deterministic, consistent with its truth, hard negatives present."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

import phonenumbers
import pytest
from email_validator import validate_email

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.identity_data import (  # noqa: E402
    FIELDS,
    SYSTEM_FIELDS,
    SYSTEM_REGIONS,
    SYSTEMS,
    Dataset,
    HardNegativeKind,
    Noise,
    generate,
)
from bench.identity_score import score  # noqa: E402
from core.canonical.countries import country_code  # noqa: E402
from core.canonical.dates import read_date_of_birth  # noqa: E402

N = 3000


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(N, seed=11)


def _e164(row: dict[str, str]) -> str:
    parsed = phonenumbers.parse(row["phone"], SYSTEM_REGIONS[row["source"]])
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(data: Dataset) -> None:
    again = generate(N, seed=11)
    assert again.records == data.records
    assert again.truth == data.truth
    assert again.hard_negatives == data.hard_negatives
    assert generate(N, seed=12).records != data.records


def test_exact_size_unique_ids_and_the_direct_csv_header(data: Dataset) -> None:
    assert len(data.records) == N
    ids = [r["record_id"] for r in data.records]
    assert len(set(ids)) == N
    assert set(data.truth) == set(ids) == set(data.noise)
    assert all(tuple(r) == FIELDS for r in data.records)
    assert {r["source"] for r in data.records} == set(SYSTEMS)


def test_each_entity_has_one_to_four_records_each_in_a_different_system(data: Dataset) -> None:
    systems: dict[str, list[str]] = defaultdict(list)
    source = {r["record_id"]: r["source"] for r in data.records}
    for rid, entity in data.truth.items():
        systems[entity].append(source[rid])
    sizes = Counter(len(s) for s in systems.values())
    assert set(sizes) <= {1, 2, 3, 4}
    assert sizes[1] and sizes[2] and sizes[3] and sizes[4]
    assert all(len(s) == len(set(s)) for s in systems.values())


def test_records_carry_only_their_systems_fields(data: Dataset) -> None:
    for row in data.records:
        filled = {k for k, v in row.items() if v} - {"record_id", "source"}
        assert filled <= SYSTEM_FIELDS[row["source"]], row


def test_emails_are_valid_and_phones_parse_in_the_systems_region(data: Dataset) -> None:
    for row in data.records:
        if row["email"]:
            validate_email(row["email"].strip(), check_deliverability=False)
        if row["phone"]:
            assert phonenumbers.is_possible_number(phonenumbers.parse(row["phone"], SYSTEM_REGIONS[row["source"]]))


def test_one_entity_has_one_phone_and_two_entities_share_one_only_in_a_household(data: Dataset) -> None:
    phones: dict[str, set[str]] = defaultdict(set)
    for row in data.records:
        if row["phone"]:
            phones[data.truth[row["record_id"]]].add(_e164(row))
    assert all(len(p) == 1 for p in phones.values())
    owners: dict[str, set[str]] = defaultdict(set)
    for entity, found in phones.items():
        owners[found.pop()].add(entity)
    household = {
        frozenset((data.truth[a], data.truth[b]))
        for a, b, kind in data.hard_negatives
        if kind == HardNegativeKind.FAMILY_HOUSEHOLD
    }
    for entities in (e for e in owners.values() if len(e) > 1):
        assert all(frozenset((a, b)) in household for a in entities for b in entities if a < b)


def test_hard_negatives_of_both_kinds_are_listed_and_look_alike(data: Dataset) -> None:
    rows = {r["record_id"]: r for r in data.records}
    kinds = Counter(kind for _, _, kind in data.hard_negatives)
    assert kinds[HardNegativeKind.SHARED_ROLE_MAILBOX] > 0
    assert kinds[HardNegativeKind.FAMILY_HOUSEHOLD] > 0
    same_surname = shared_mailbox = 0
    for a, b, kind in data.hard_negatives:
        assert data.truth[a] != data.truth[b]
        left, right = rows[a], rows[b]
        if kind == HardNegativeKind.FAMILY_HOUSEHOLD:
            same_surname += left["last_name"].strip().lower() == right["last_name"].strip().lower()
            if left["phone"] and right["phone"]:
                assert _e164(left) == _e164(right)
        else:
            shared_mailbox += bool(left["email"]) and left["email"].strip().lower() == right["email"].strip().lower()
    assert same_surname >= 0.7 * kinds[HardNegativeKind.FAMILY_HOUSEHOLD]  # the rest carry typos or swapped names
    assert shared_mailbox > 0


SPARSE_ONLY = {Noise.NO_CONTACT, Noise.COUNTRY_SPELLING, Noise.DATE_FORMAT, Noise.IMPOSSIBLE_DATE}


def test_every_kind_of_noise_occurs(data: Dataset) -> None:
    seen = {n for noise in data.noise.values() for n in noise}
    assert seen == {n.value for n in Noise} - {n.value for n in SPARSE_ONLY}


@pytest.fixture(scope="module")
def sparse() -> Dataset:
    return generate(N, seed=11, mode="sparse")


def test_sparse_mode_leaves_people_unreachable_through_contacts_and_writes_values_every_way(sparse: Dataset) -> None:
    seen = {n for noise in sparse.noise.values() for n in noise}
    assert {n.value for n in SPARSE_ONLY} <= seen
    rows = {r["record_id"]: r for r in sparse.records}
    no_contact = [r for r in sparse.records if not r["email"] and not r["phone"]]
    assert len(no_contact) > 0.05 * len(sparse.records)
    # Zendesk users need an email or a phone, Mixpanel people are keyed by email: only the CRMs' leads go without
    assert sum(1 for r in no_contact if r["source"] in ("zendesk", "mixpanel")) < 0.2 * len(no_contact)
    countries = {r["country"] for r in sparse.records if r["country"]}
    assert len(countries) > 10
    assert {country_code(c) for c in countries} == {"GB", "US"}  # every spelling is understood
    for rid in rows:
        if rows[rid]["date_of_birth"]:
            read_date_of_birth(rows[rid]["date_of_birth"], country=country_code(rows[rid]["country"] or "GB"))


def test_write_then_read_round_trips(data: Dataset, tmp_path: Path) -> None:
    data.write(tmp_path)
    again = Dataset.read(tmp_path)
    assert again.records == data.records
    assert again.truth == data.truth
    assert again.noise == data.noise
    assert again.hard_negatives == [tuple(n) for n in data.hard_negatives]


def test_truth_scores_perfectly_and_singletons_score_zero_recall(data: Dataset) -> None:
    perfect = score(data.truth, data)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    assert sum(perfect.hard_negatives_merged.values()) == 0
    alone = score({}, data)
    assert alone.recall == 0.0 and alone.precision == 1.0


def test_merging_a_hard_negative_pair_is_counted(data: Dataset) -> None:
    a, b, kind = data.hard_negatives[0]
    clusters = dict(data.truth)
    merged = {rid: clusters[a] for rid, entity in data.truth.items() if entity == data.truth[b]}
    clusters.update(merged)
    result = score(clusters, data)
    assert result.hard_negatives_merged[kind] >= 1
    assert result.precision < 1.0 and result.recall == 1.0


def test_subset_keeps_only_pairs_inside_it(data: Dataset) -> None:
    half = [r["record_id"] for r in data.records[: N // 2]]
    part = data.subset(half)
    assert len(part.records) == N // 2
    assert all(a in part.truth and b in part.truth for a, b, _ in part.hard_negatives)


def test_two_people_share_a_mailbox_name_only_at_different_company_domains(data: Dataset) -> None:
    from bench.identity_vocab import PERSONAL_DOMAINS

    personal = {d for domains in PERSONAL_DOMAINS.values() for d in domains}
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in data.records:
        email = row["email"].strip().lower()
        if email and Noise.ROLE_MAILBOX not in data.noise[row["record_id"]]:
            local, domain = email.split("@")
            owners[local.split("+")[0].replace(".", "")].add((data.truth[row["record_id"]], domain))
    for found in owners.values():
        entities = {entity for entity, _ in found}
        if len(entities) > 1:
            assert not {domain for _, domain in found} & personal, found


def test_the_engines_csv_reader_takes_every_row_and_every_phone(data: Dataset, tmp_path: Path) -> None:
    from core.identity import read_people_file
    from core.identity.settings import PhoneSettings

    found = read_people_file(data.write(tmp_path), phones=PhoneSettings(system_regions=SYSTEM_REGIONS))
    assert found.parked == []
    assert found.problems == []
    assert len(found.people) == N
    by_id = {p.source.source_id: p for p in found.people}
    for row in data.records:
        if row["phone"]:
            assert by_id[row["record_id"]].phone == _e164(row)


def test_names_are_drawn_as_often_as_real_populations_carry_them(data: Dataset) -> None:
    from bench.identity_names import name_pools

    firsts, lasts = name_pools()
    assert len(lasts.names) > 5000 and len(firsts.names) > 1000
    assert abs(sum(lasts.share(n) for n in lasts.names) - 1.0) < 1e-9
    assert lasts.share("Smith") > 50 * lasts.share(lasts.names[-1])  # a census head and a long tail
    surnames = Counter(r["last_name"].strip().lower() for r in data.records if r["last_name"].strip())
    # a few common surnames, most seen once or twice: not a few hundred names each as common as the next
    assert len(surnames) > 0.4 * sum(surnames.values())
    assert surnames.most_common(1)[0][1] >= 5 * sorted(surnames.values())[len(surnames) // 2]
