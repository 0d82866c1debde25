"""Splink on the identity benchmark's data: the baseline Contactpoint's figures are divided by.

Configured as Splink's own examples configure it for people (the FEBRL 3 and FEBRL 4
deduplication and linkage examples, the "deduplicate 50k synthetic" example and the
training guide), with the columns every set here has, one configuration for all sets:

* light cleaning first, in SQL (lower case and trimmed names, lower-case email without a
  +tag, the phone's last ten digits, postcode without spaces, company without its legal
  suffix, the street line split into its house number and street name, dates of birth
  in ISO, compact, day-first, month-first and month-name forms read to ISO, the
  country's order first);
* blocking rules for prediction: first name and surname, the two swapped, date of birth,
  postcode, house number with street name, email, phone, surname with company (the
  FEBRL examples' rules without the social security number, plus the contact columns);
* comparisons from the comparison library, as in the FEBRL examples:
  ``NameComparison`` (Jaro-Winkler 0.92, 0.88, 0.7) on first name and on surname, each with
  term-frequency adjustments; ``DateOfBirthComparison`` (within a month, a year, ten
  years, and one character apart); ``ExactMatch`` on house number and
  ``DamerauLevenshteinAtThresholds`` (1, 2) on postcode, both with term frequencies;
  ``JaroWinklerAtThresholds`` (0.9) on street name; ``ExactMatch`` with term frequencies on
  city and on the cleaned company; ``EmailComparison``; ``ExactMatch`` on phone;
* ``estimate_probability_two_random_records_match`` from deterministic rules (email,
  phone, full name with date of birth, swapped name with date of birth) at recall 0.8,
  ``estimate_u_using_random_sampling`` (10 million pairs, seeded), EM sessions blocked on
  date of birth, on postcode (the FEBRL examples' two), on full name and on email (for the
  contact columns), each without term frequencies as the examples do;
* a training session that Splink stops (an m probability underflowing, a rule that finds
  no pairs, as email on data without emails) is skipped and reported in the output, never silently;
* ``predict`` at match probability 0.5 and ``cluster_pairwise_predictions_at_threshold``
  at 0.95.

* incremental baseline: ``linker.inference.predict_between(existing, new)`` for one new
  record at a time (the first 200 held-out records), at the clustering threshold.

    run_splink(records_csv, seed=7, new_csv=None) -> SplinkRun   (clusters, timings, incremental latencies)
    python bench/splink_baseline.py RECORDS.csv --out CLUSTERS.csv   (the whole command the benchmark times)
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CLUSTER_THRESHOLD", "PREDICT_THRESHOLD", "SplinkRun", "run_splink"]

PREDICT_THRESHOLD = 0.5
CLUSTER_THRESHOLD = 0.95
U_SAMPLE_PAIRS = 1e7

_LEGAL_SUFFIXES = r"\b(ltd|limited|plc|llp|inc|incorporated|llc|l l c|corp|corporation)\b"

_CLEAN_SQL = f"""
select
    record_id,
    source,
    nullif(lower(trim(regexp_replace(first_name, '\\s+', ' ', 'g'))), '') as first_name,
    nullif(lower(trim(regexp_replace(last_name, '\\s+', ' ', 'g'))), '') as last_name,
    nullif(regexp_replace(lower(trim(email)), '\\+[^@]*@', '@'), '') as email,
    nullif(right(regexp_replace(phone, '[^0-9]', '', 'g'), 10), '') as phone,
    nullif(trim(regexp_replace(regexp_replace(lower(company), '[^a-z0-9 ]', ' ', 'g'),
        '{_LEGAL_SUFFIXES}|\\s+', ' ', 'g')), '') as company,
    nullif(regexp_extract(lower(street), '[0-9][0-9a-z/-]*', 0), '') as street_number,
    nullif(trim(regexp_replace(regexp_replace(lower(street), '[0-9][0-9a-z/-]*', '', 'g'), '\\s+', ' ', 'g')), '')
        as street_name,
    nullif(lower(trim(city)), '') as city,
    nullif(upper(replace(postcode, ' ', '')), '') as postcode,
    strftime(coalesce(
        try_strptime(date_of_birth, '%Y-%m-%d'), try_strptime(date_of_birth, '%Y%m%d'),
        case when upper(country) in ('US', 'USA', 'U.S.A.', '840', 'UNITED STATES', 'UNITED STATES OF AMERICA')
            then try_strptime(date_of_birth, '%m/%d/%Y') else try_strptime(date_of_birth, '%d/%m/%Y') end,
        try_strptime(date_of_birth, '%m/%d/%Y'), try_strptime(date_of_birth, '%B %d, %Y'),
        try_strptime(date_of_birth, '%d %B %Y')), '%Y-%m-%d') as date_of_birth
from raw
"""


_FULL_NAME = (
    "case when first_name is null and last_name is null then null else concat_ws(' ', first_name, last_name) end"
)


@dataclass
class SplinkRun:
    """What one Splink run produced."""

    clusters: dict[str, str]
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    predicted_pairs: int = 0
    failed_sessions: list[str] = field(default_factory=list)
    incremental: list[float] = field(default_factory=list)


def _settings() -> object:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            "l.first_name = r.last_name and l.last_name = r.first_name",
            block_on("date_of_birth"),
            block_on("postcode"),
            block_on("street_number", "street_name"),
            block_on("email"),
            block_on("phone"),
            block_on("last_name", "company"),
        ],
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("street_name", [0.9]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("company").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )


def _incremental(linker: Any, db_api: Any, existing: Any, new_csv: Path, limit: int) -> list[float]:
    """Seconds per new record for ``predict_between`` (existing x one new record), Splink's incremental linkage.

    Cleaning and registering each record happen before its timing starts, as Contactpoint's
    rows become ``Person`` records before theirs does.
    """
    con = db_api.duckdb_con
    con.execute("create table raw_new as select * from read_csv(?, all_varchar = true, header = true)", [str(new_csv)])
    latencies = []
    for offset in range(limit):
        sql = _CLEAN_SQL.replace("from raw", f"from raw_new order by record_id limit 1 offset {offset}")
        one = db_api.register(con.sql(sql).project(f"*, {_FULL_NAME} as full_name"))
        start = time.perf_counter()
        found = linker.inference.predict_between(
            existing, one, threshold_match_probability=CLUSTER_THRESHOLD, warning_mode="never"
        )
        found.as_duckdbpyrelation().fetchall()
        latencies.append(time.perf_counter() - start)
    return latencies


def run_splink(records_csv: Path, *, seed: int = 7, new_csv: Path | None = None, new_limit: int = 200) -> SplinkRun:
    """Deduplicate the records in ``records_csv`` with Splink on DuckDB; time the whole run.

    Reading the CSV into DuckDB is not timed (Contactpoint's reading is not timed either);
    cleaning, training, prediction and clustering are.
    """
    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI()
    con = db_api.duckdb_con
    loading = time.perf_counter()
    con.execute("create table raw as select * from read_csv(?, all_varchar = true, header = true)", [str(records_csv)])
    phases: dict[str, float] = {}
    start = mark = time.perf_counter()
    phases["load"] = start - loading  # reported beside the batch time, not in it

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name], mark = now - mark, now

    cleaned = con.sql(_CLEAN_SQL).project(f"*, {_FULL_NAME} as full_name")
    existing = db_api.register(cleaned)
    linker = Linker(existing, _settings(), log_level=None)
    lap("clean")
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("email"),
            block_on("phone"),
            block_on("first_name", "last_name", "date_of_birth"),
            "l.first_name = r.last_name and l.last_name = r.first_name and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=seed)
    failed = []
    sessions = (block_on("date_of_birth"), block_on("postcode"), block_on("first_name", "last_name"), block_on("email"))
    for rule in sessions:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except Exception as err:  # noqa: BLE001 - Splink stops EM when an m underflows or a rule finds no pairs; reported
            failed.append(f"EM session blocked on {rule.get_blocking_rule('duckdb').blocking_rule_sql}: {err}")
    lap("train")
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_THRESHOLD)
    lap("predict")
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD
    )
    rows = clustered.as_duckdbpyrelation().select("record_id, cluster_id").fetchall()
    lap("cluster")
    seconds = time.perf_counter() - start
    pairs = predictions.as_duckdbpyrelation().count("*").fetchall()
    incremental = _incremental(linker, db_api, existing, new_csv, new_limit) if new_csv else []
    return SplinkRun(
        clusters={str(r): str(c) for r, c in rows},
        seconds=seconds,
        phases=phases,
        predicted_pairs=int(pairs[0][0]),
        failed_sessions=failed,
        incremental=incremental,
    )


def main() -> None:
    """Deduplicate a CSV and write ``record_id,cluster_id``: the command the benchmark times whole."""
    import argparse
    import csv

    parser = argparse.ArgumentParser(description="Deduplicate a CSV of people with Splink (DuckDB).")
    parser.add_argument("records", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    run = run_splink(args.records, seed=args.seed)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("record_id", "cluster_id"))
        writer.writerows(run.clusters.items())
    for failure in run.failed_sessions:
        print(failure.splitlines()[0])


if __name__ == "__main__":
    main()
