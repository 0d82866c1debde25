"""Reading people for ``identity resolve FILE``: through the files connector, like every file.

The file is read by ``core.inputs`` (CSV, JSON lines or JSON, told by suffix, content or
``--format``); a row the reader cannot read, or that does not become a ``Person``, is a
``RejectedRecord`` with its line, code, field and reason, parked as ``mapping run`` parks.
Two ways to turn rows into people:

* ``read_people_file``: the direct format. Columns are ``record_id``, optionally
  ``source`` (the system's name; ``files`` when absent) and ``stream`` (``people`` when
  absent), and any canonical Person field names (``first_name``, ``last_name``,
  ``email``, ``phone``, ``mobile``, ``company``, ``job_title``, ``street``, ``city``,
  ``postcode``, ``region``, ``country``, ``date_of_birth``, ``updated_at``…). Phones are
  put in E.164 with the system's default region from the identity settings. A phone that
  cannot be read, a country that is no country or a date of birth without year, month
  and day is left out (a ``FieldProblem``) rather than the row; an impossible date keeps
  its components (``Person.date_of_birth_written``).
* ``read_mapped_file``: any file, through a YAML mapping (``core.mapping``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.base import RejectedRecord, RejectionCode, SourceRecord
from core.canonical import Person, RecordRef
from core.canonical.base import describe_validation_error
from core.canonical.countries import country_code
from core.canonical.dates import read_date_of_birth
from core.errors import ConfigError
from core.identity.normalise import normalise_phone
from core.identity.settings import PhoneSettings
from core.inputs import id_column, input_connector
from core.mapping import FieldProblem, Mapped, load_mapping

__all__ = ["FilePeople", "read_mapped_file", "read_people_file"]

_ID, _SOURCE, _STREAM = "record_id", "source", "stream"
_PHONES = ("phone", "mobile")
_COLUMNS = frozenset({_ID, _SOURCE, _STREAM} | (set(Person.model_fields) - {"source", "identifiers", "deleted"}))


@dataclass
class FilePeople:
    """What reading a file gave: people, parked rows, rows read, and values left out (``problems``)."""

    people: list[Person] = field(default_factory=list)
    parked: list[RejectedRecord] = field(default_factory=list)
    rows: int = 0
    problems: list[tuple[str, FieldProblem]] = field(default_factory=list)
    """(record, problem) for every value left out of a record that was kept."""


def _check_columns(path: Path, row: Mapping[str, Any]) -> None:
    unknown = sorted(str(key) for key in row if key not in _COLUMNS)
    if unknown:
        allowed = ", ".join(sorted(_COLUMNS - {_ID, _SOURCE, _STREAM}))
        msg = f"{path}: unknown column(s) {', '.join(unknown)}; columns may be record_id, source, stream and: {allowed}"
        raise ConfigError(msg, hint="rename the columns, or pass --mapping MAPPING.yaml", file=str(path))


def _left_out(values: dict[str, object], name: str, code: RejectionCode, message: str) -> FieldProblem:
    del values[name]
    return FieldProblem(f"Person.{name}", code, message)


def _readable(values: dict[str, object], system: str, phones: PhoneSettings) -> list[FieldProblem]:
    """Put phones in E.164 and leave out phones, countries and dates of birth nobody can read."""
    problems = []
    for name in _PHONES:
        if name in values:
            region = phones.region_for(system)
            number = normalise_phone(str(values[name]), region=region)
            if number is None:
                why = f"Person.{name}: {values[name]!r} is not a phone number (default region {region or 'none'})"
                problems.append(_left_out(values, name, RejectionCode.TRANSFORM, why))
            else:
                values[name] = number
    country = values.get("country")
    if country is not None and country_code(str(country)) is None:
        why = f"Person.country: {country!r} is not a country name or ISO code"
        problems.append(_left_out(values, "country", RejectionCode.INVALID, why))
    born = values.get("date_of_birth")
    if born is not None:
        try:
            read_date_of_birth(str(born))
        except ValueError:
            why = f"Person.date_of_birth: {born!r} has no year, month and day"
            problems.append(_left_out(values, "date_of_birth", RejectionCode.INVALID, why))
    return problems


def _person(record: SourceRecord, phones: PhoneSettings) -> tuple[Person, list[FieldProblem]]:
    row = {key: value.strip() if isinstance(value, str) else value for key, value in record.raw.items()}
    system = str(row.get(_SOURCE) or "files")
    values: dict[str, object] = {
        k: v for k, v in row.items() if v not in (None, "") and k not in {_ID, _SOURCE, _STREAM}
    }
    problems = _readable(values, system, phones)
    source = RecordRef(system=system, stream=str(row.get(_STREAM) or "people"), source_id=record.source_id)
    return Person.model_validate({"source": source, **values}), problems


def _parked(record: SourceRecord, reason: str, field_name: str | None) -> RejectedRecord:
    system = str(record.raw.get(_SOURCE) or record.system)
    stream = str(record.raw.get(_STREAM) or record.stream)
    return RejectedRecord(
        system, stream, reason, dict(record.raw), record.source_id, record.position, RejectionCode.INVALID, field_name
    )


def read_people_file(
    path: Path | str,
    *,
    phones: PhoneSettings | None = None,
    file_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> FilePeople:
    """Read the direct format into people, parking rows that fail validation.

    ``delimiter`` and ``encoding`` override what a CSV file's content tells.

    Raises:
        ConfigError: The file is missing, or has unknown columns.
        ConnectorConfigError: The file has no ``record_id`` column, or its format cannot be told.
    """
    file, settings = Path(path), phones or PhoneSettings()
    connector = input_connector(
        file,
        stream="people",
        id_field=_ID,
        system="files",
        file_format=file_format,
        id_hint="name the ID column record_id, or pass --mapping MAPPING.yaml to read the file through a mapping",
        delimiter=delimiter,
        encoding=encoding,
    )
    found, checked = FilePeople(), False
    for batch in connector.pull("people", None):
        found.parked.extend(batch.rejected)
        found.rows += len(batch.records) + len(batch.rejected)
        for record in batch.records:
            if not checked:
                _check_columns(file, record.raw)
                checked = True
            try:
                person, problems = _person(record, settings)
            except ValidationError as err:
                first = err.errors(include_url=False)[0]["loc"]
                reason = "; ".join(f"Person.{line}" for line in describe_validation_error(err))
                found.parked.append(_parked(record, reason, f"Person.{first[0]}" if first else None))
                continue
            found.people.append(person)
            found.problems.extend((str(person.source), problem) for problem in problems)
    _refuse_without_ids(file, found, _ID, hint="name the ID key record_id, or pass --mapping MAPPING.yaml")
    return found


def _refuse_without_ids(path: Path, found: FilePeople, id_field: str, *, hint: str) -> None:
    """Refuse a file none of whose records has the ID (a JSON export read without its mapping, say).

    Raises:
        ConfigError: Every record lacks ``id_field``; nothing was resolved.
    """
    without = [row for row in found.parked if row.code is RejectionCode.NO_ID]
    if not found.rows or len(without) != found.rows:
        return
    keys = sorted({str(key) for row in without if isinstance(row.raw, Mapping) for key in row.raw})
    shown = ", ".join(keys[:15]) + (", ..." if len(keys) > 15 else "")
    msg = f"{path}: none of its {found.rows:,} records has {id_field!r} to identify it; keys: {shown or 'none'}"
    raise ConfigError(msg, hint=hint, file=str(path))


def read_mapped_file(
    path: Path | str,
    mapping: Path | str,
    *,
    stream: str | None = None,
    file_format: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> FilePeople:
    """Read any file through a YAML mapping; rows the mapping rejects are parked.

    ``delimiter`` and ``encoding`` override what a CSV file's content tells.

    Raises:
        MappingError: When the mapping file has problems.
        ConfigError: When ``stream`` is needed (several streams) or not mapped, or the file is missing.
    """
    compiled = load_mapping(mapping)
    chosen = compiled.pick_stream(stream or None)
    connector = input_connector(
        Path(path),
        stream=chosen,
        id_field=id_column(compiled, chosen),
        system=compiled.system,
        file_format=file_format,
        id_hint=f"point the mapping's 'id:' at a column of the file ({compiled.file})",
        delimiter=delimiter,
        encoding=encoding,
    )
    found = FilePeople()
    for batch in connector.pull(chosen, None):
        found.parked.extend(batch.rejected)
        found.rows += len(batch.records) + len(batch.rejected)
        for record in batch.records:
            outcome = compiled.map(record)
            if not isinstance(outcome, Mapped):
                found.parked.append(outcome.to_rejected_record())
                continue
            people = [m for m in outcome.models if isinstance(m, Person)]
            if not people:
                found.parked.append(_parked(record, "the mapping made no Person of this row", None))
            found.people.extend(people)
            found.problems.extend((f"{record.system}/{record.stream}/{record.source_id}", p) for p in outcome.problems)
    hint = f"point the mapping's 'id:' at a key the records have ({compiled.file}), or check --stream"
    _refuse_without_ids(Path(path), found, id_column(compiled, chosen), hint=hint)
    return found
