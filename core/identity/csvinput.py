"""Reading people for identity resolution from CSV files.

Two ways in:

* ``read_people_csv``: the direct format. Headers are ``record_id``, optionally
  ``source`` (the system's name; ``files`` when absent) and ``stream``
  (``people`` when absent), and any canonical Person field names
  (``first_name``, ``last_name``, ``email``, ``phone``, ``mobile``, ``company``,
  ``job_title``, ``street``, ``city``, ``postcode``, ``region``, ``country``,
  ``date_of_birth``, ``updated_at``…). Phones are put in E.164 with the
  system's default region from the identity settings; a number that cannot be
  read is dropped (with a warning) rather than the row, and so is a country
  that is no country or a date of birth that has no year, month and day
  (an impossible date keeps its components: ``Person.date_of_birth_written``).
* ``read_mapped_csv``: any CSV, through a YAML mapping (``core.mapping``).

A row that cannot become a ``Person`` is parked with its reason; every other
row is returned.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from core.canonical import Person, RecordRef
from core.canonical.base import describe_validation_error
from core.canonical.countries import country_code
from core.canonical.dates import read_date_of_birth
from core.errors import ConfigError
from core.identity.normalise import normalise_phone
from core.identity.settings import PhoneSettings
from core.mapping import Mapped, load_mapping

__all__ = ["CsvPeople", "ParkedRow", "read_mapped_csv", "read_people_csv"]

_ID, _SOURCE, _STREAM = "record_id", "source", "stream"
_PHONES = ("phone", "mobile")


@dataclass(frozen=True)
class ParkedRow:
    """A row that could not be used: its line in the file, its ID and why."""

    line: int
    record_id: str
    source: str
    reason: str


@dataclass
class CsvPeople:
    """What reading a CSV gave: people, parked rows, rows read, and values dropped (``warnings``)."""

    people: list[Person] = field(default_factory=list)
    parked: list[ParkedRow] = field(default_factory=list)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def _check_header(path: Path) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    allowed = {_ID, _SOURCE, _STREAM} | (set(Person.model_fields) - {"source", "identifiers", "deleted"})
    unknown = [h for h in header if h not in allowed]
    if _ID not in header or unknown:
        problem = f"unknown column(s) {', '.join(unknown)}" if unknown else "no 'record_id' column"
        msg = f"{path}: {problem}; columns may be record_id, source, stream and: {', '.join(sorted(allowed - {_ID, _SOURCE, _STREAM}))}"
        raise ConfigError(msg, hint="rename the columns, or pass --mapping MAPPING.yaml", file=str(path))


def _person(row: dict[str, str], phones: PhoneSettings, warnings: list[str]) -> Person:
    system = row.get(_SOURCE) or "files"
    values: dict[str, object] = {k: v for k, v in row.items() if v and k not in {_ID, _SOURCE, _STREAM}}
    for name in _PHONES:
        if name in values:
            region = phones.region_for(system)
            number = normalise_phone(str(values.pop(name)), region=region)
            if number is not None:
                values[name] = number
            else:  # a phone alone does not make a row unusable: resolve it without the number
                warnings.append(f"{name} {row[name]!r} dropped: not a phone number (default region {region or 'none'})")
    _drop_unreadable(values, warnings)
    source = RecordRef(system=system, stream=row.get(_STREAM) or "people", source_id=row[_ID])
    return Person.model_validate({"source": source, **values})


def _drop_unreadable(values: dict[str, object], warnings: list[str]) -> None:
    """Drop a country or date of birth nobody can read: they identify no one, so the row stays."""
    country = values.get("country")
    if country is not None and country_code(str(country)) is None:
        warnings.append(f"country {country!r} dropped: not a country name or ISO code")
        del values["country"]
    born = values.get("date_of_birth")
    if born is not None:
        try:
            read_date_of_birth(str(born))
        except ValueError:
            warnings.append(f"date_of_birth {born!r} dropped: no year, month and day")
            del values["date_of_birth"]


def read_people_csv(path: Path | str, *, phones: PhoneSettings | None = None) -> CsvPeople:
    """Read the direct CSV format into people, parking rows that fail validation.

    Raises:
        ConfigError: When the header has no ``record_id`` or unknown columns.
        OSError: When the file cannot be read.
    """
    file = Path(path)
    _check_header(file)
    found = CsvPeople()
    for line, row in _rows(file):
        found.rows += 1
        record_id, source = row.get(_ID, ""), row.get(_SOURCE, "")
        if not record_id:
            found.parked.append(ParkedRow(line, record_id, source, "record_id is empty"))
            continue
        try:
            found.people.append(_person(row, phones or PhoneSettings(), found.warnings))
        except ValidationError as err:
            found.parked.append(ParkedRow(line, record_id, source, "; ".join(describe_validation_error(err))))
        except ValueError as err:
            found.parked.append(ParkedRow(line, record_id, source, str(err)))
    return found


def read_mapped_csv(path: Path | str, mapping: Path | str, *, stream: str | None = None) -> CsvPeople:
    """Read any CSV through a YAML mapping; rows the mapping rejects are parked.

    Raises:
        MappingError: When the mapping file has problems.
        ConfigError: When ``stream`` is needed (several streams) or not mapped.
    """
    compiled = load_mapping(mapping)
    chosen = compiled.pick_stream(stream or None)
    found = CsvPeople()
    for line, row in _rows(Path(path)):
        found.rows += 1
        record = compiled.source_record(chosen, row)
        outcome = compiled.map(record)
        if not isinstance(outcome, Mapped):
            found.parked.append(ParkedRow(line, record.source_id, record.system, outcome.reason))
            continue
        people = [m for m in outcome.models if isinstance(m, Person)]
        if not people:
            found.parked.append(
                ParkedRow(line, record.source_id, record.system, "the mapping made no Person of this row")
            )
        found.people.extend(people)
    return found
