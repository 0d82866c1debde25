"""Compiled mappings: a (path, transforms) pair written twice runs once per record; dates read by format, faster."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import SourceRecord
from core.mapping import Mapped, Rejected, load_mapping_text
from core.mapping.registry import TRANSFORMS, NoArgs, TextStep, TransformDef
from core.mapping.transforms.temporal import TextReader

MAPPING = """
system: desk
version: 1
streams:
  users:
    id: id
    identifiers:
      - {kind: email, path: email, transforms: [nullif, strip, counted, lower]}
      - {kind: phone, path: phone, transforms: [nullif, {e164: GB}]}
    targets:
      - model: Person
        fields:
          email: {path: email, transforms: [nullif, strip, counted, lower]}
          phone: {path: phone, transforms: [nullif, {e164: GB}]}
          first_name: {path: name, transforms: [strip, counted]}
          last_name: {path: email, transforms: [nullif, strip, counted]}
"""


@pytest.fixture
def counted(monkeypatch):
    calls: list[str] = []

    def build(args, ctx):
        def other(value, raw):
            calls.append(repr(value))
            return value

        def on_text(text):
            calls.append(text)
            return text

        return TextStep(on_text, other)

    monkeypatch.setitem(TRANSFORMS, "counted", TransformDef("counted", NoArgs, build, "counts its calls"))
    return calls


def _map(mapping, **raw):
    return mapping.map(SourceRecord(system="desk", stream="users", source_id="1", raw={"id": "1", **raw}))


def test_a_pair_written_for_an_identifier_and_a_field_runs_once(counted):
    mapping = load_mapping_text(MAPPING, file="desk.yaml")
    outcome = _map(mapping, email="  Bob@Acme.com ", phone="020 7946 0018", name=" Bob ")
    assert isinstance(outcome, Mapped)
    (person,) = outcome.models
    assert person.email == "bob@acme.com"
    assert person.phone == "+442079460018"
    assert person.last_name == "Bob@Acme.com"
    assert [i.value for i in person.identifiers] == ["bob@acme.com", "+442079460018"]
    # email: once for the identifier and the field together; once for last_name (another chain); name once
    assert sorted(counted) == sorted(["Bob@Acme.com", "Bob@Acme.com", "Bob"])
    counted.clear()
    _map(mapping, email="ann@acme.com", phone="020 7946 0019", name="Ann")
    assert sorted(counted) == ["Ann", "ann@acme.com", "ann@acme.com"]  # nothing carried over from the last record


def test_a_shared_pair_that_fails_names_the_plan_that_read_it_first(counted):
    mapping = load_mapping_text(MAPPING, file="desk.yaml")
    outcome = _map(mapping, email="bob@acme.com", phone="12ab", name="Bob")
    assert isinstance(outcome, Rejected)
    assert outcome.field == "identifier phone"
    assert "transform 'e164' failed on '12ab'" in outcome.reason


def test_text_steps_skip_missing_values_and_map_over_lists():
    mapping = load_mapping_text(
        """
system: desk
version: 1
streams:
  users:
    id: id
    targets:
      - model: Person
        fields:
          first_name: {path: name, transforms: [nullif, strip, title]}
          last_name: {path: "names[*]", transforms: [nullif, strip, upper, {join: " "}]}
          email: {path: email, transforms: [nullif, strip, lower], default: none@example.com}
""",
        file="desk.yaml",
    )
    outcome = _map(mapping, name=" N/A ", names=[" a ", None, "n/a", "b"], email=" - ")
    assert isinstance(outcome, Mapped)
    (person,) = outcome.models
    assert person.first_name is None
    assert person.last_name == "A B"
    assert person.email == "none@example.com"
    outcome = _map(mapping, name=12, names=["x"], email="A@B.COM")
    assert isinstance(outcome, Mapped)
    assert outcome.models[0].first_name == "12"


def _strptime_then_iso(text: str, formats: list[str]) -> datetime | str:
    """What reading a date-time meant before ``TextReader``: each format in order, then ISO 8601."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return "error"


FORMATS = [
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y-%m-%d",
    "%Y-%d-%m",
    "%d.%m.%Y",
    "%Y%m%d",
    "%d %b %Y",
    "%Y-%m-%d %H:%M",
    "%d/%m/%y",
]
TEXTS = st.one_of(
    st.dates().flatmap(lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y"),
                                                  d.strftime("%Y%m%d"), d.strftime("%d %b %Y"), d.strftime("%d.%m.%Y"),
                                                  f"{d.isoformat()} 10:30", f"{d.isoformat()}T10:30:00+02:00",
                                                  f"{d.year}-{d.month}-{d.day}", d.strftime("%d/%m/%y")])),
    st.text(alphabet="0123456789-/.: TZ+", max_size=25),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    formats=st.lists(st.sampled_from(FORMATS), max_size=4, unique=True), texts=st.lists(TEXTS, min_size=1, max_size=8)
)
def test_a_column_reads_each_text_as_the_formats_in_order_then_iso_would(formats, texts):
    reader = TextReader(formats)  # one column: its remembered candidates carry from text to text
    for text in texts:
        try:
            found: datetime | str = reader.read(text)
        except ValueError:
            found = "error"
        assert found == _strptime_then_iso(text, formats), (text, formats)
