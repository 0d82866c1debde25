"""Mapping into a key of a dict field (``properties.tags``), and phones read in the record's own region."""

from __future__ import annotations

import pytest

from connectors.base import SourceRecord
from core.canonical import Interaction, Person
from core.errors import MappingError
from core.mapping import Mapped, Rejected, load_mapping_text

TICKETS = """
system: desk
version: 1
streams:
  tickets:
    id: id
    model: Interaction
    fields:
      kind: {transforms: [{constant: ticket}]}
      type: {transforms: [{constant: ticket.created}]}
      occurred_at: {path: created, transforms: [parse_datetime], required: true}
      properties.tags: tags
      properties.score: {path: rating.score, transforms: [nullif]}
"""

PEOPLE = """
system: desk
version: 1
defaults: {phone_region: GB}
streams:
  users:
    id: id
    model: Person
    fields:
      phone: {path: phone, transforms: [{e164: {country_from: locale}}]}
"""


def _map(text, stream, raw):
    mapping = load_mapping_text(text, file="desk.yaml")
    return mapping.map(SourceRecord(system="desk", stream=stream, source_id=str(raw["id"]), raw=raw))


def test_keys_of_a_dict_field_are_gathered_into_it_and_missing_ones_left_out():
    out = _map(TICKETS, "tickets", {"id": 1, "created": "2024-05-01T09:30:00Z", "tags": ["vip", "sso"],
                                     "rating": {"score": "bad"}})  # fmt: skip
    assert isinstance(out, Mapped)
    (interaction,) = out.models
    assert isinstance(interaction, Interaction)
    assert interaction.properties == {"tags": ["vip", "sso"], "score": "bad"}
    bare = _map(TICKETS, "tickets", {"id": 2, "created": "2024-05-01T09:30:00Z"})
    assert isinstance(bare, Mapped) and bare.models[0].properties == {}


@pytest.mark.parametrize("field", ["first_name.x", "properties.", "properties.a.b"])
def test_a_dotted_field_must_name_one_key_of_a_dict_field(field):
    text = PEOPLE.replace("phone: {path: phone", f"{field}: {{path: phone") if field.startswith("first") else \
        TICKETS.replace("properties.tags: tags", f"{field}: tags")  # fmt: skip
    with pytest.raises(MappingError) as err:
        load_mapping_text(text, file="desk.yaml")
    assert field in str(err.value)


@pytest.mark.parametrize(
    ("phone", "locale", "expected"),
    [
        ("(415) 555-0142", "en-US", "+14155550142"),
        ("030 5550 1187", "de", "+493055501187"),
        ("020 7946 0321", "en", "+442079460321"),  # 'en' names no country: the mapping's default region
        ("(11) 5555-0123", "pt_BR", "+551155550123"),
        ("020 7946 0321", None, "+442079460321"),
        ("+1 415 555 0142", "de", "+14155550142"),  # a number with its country code ignores the region
    ],
)
def test_e164_reads_a_national_number_in_the_records_own_region(phone, locale, expected):
    out = _map(PEOPLE, "users", {"id": 1, "phone": phone, "locale": locale})
    assert isinstance(out, Mapped)
    person = out.models[0]
    assert isinstance(person, Person) and person.phone == expected


def test_a_national_number_read_in_the_wrong_region_is_rejected_not_guessed():
    out = _map(PEOPLE, "users", {"id": 1, "phone": "(415) 555-01", "locale": "en-US"})
    assert isinstance(out, Rejected) and "e164" in out.reason


def test_a_malformed_country_path_is_a_mapping_problem():
    with pytest.raises(MappingError, match="e164"):
        load_mapping_text(PEOPLE.replace("country_from: locale", "country_from: 'a..b'"), file="desk.yaml")


def test_a_bad_value_in_a_key_of_a_dict_field_is_left_out_not_the_record():
    text = TICKETS.replace("properties.score: {path: rating.score, transforms: [nullif]}",
                           "properties.score: {path: rating.score, transforms: [to_int]}")  # fmt: skip
    out = _map(text, "tickets", {"id": 3, "created": "2024-05-01T09:30:00Z", "tags": ["x"], "rating": {"score": "bad"}})
    assert isinstance(out, Mapped)
    assert out.models[0].properties == {"tags": ["x"]}
    assert [p.field for p in out.problems] == ["Interaction.properties.score"]
