"""Countries written any way and dates of birth read in every common form, impossible ones kept."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.canonical import Person, RecordRef
from core.canonical.countries import country_code
from core.canonical.dates import day_first, read_date_of_birth

REF = RecordRef(system="files", stream="people", source_id="1")

SPELLINGS: dict[str, list[str]] = {
    "US": ["US", "USA", "840", "United States", "United States of America", "U.S.A.", "Estados Unidos", "Etats-Unis"],
    "DE": ["DE", "DEU", "276", "Germany", "Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland"],
    "FR": ["FR", "FRA", "250", "France", "Frankreich", "Francia", "Frankrijk", "França"],
    "ES": ["ES", "ESP", "724", "Spain", "España", "Espagne", "Spanien", "Spagna", "Espanha"],
    "BR": ["BR", "BRA", "076", "76", "Brazil", "Brasil", "Brésil", "Brasilien", "Brasile"],
    "IT": ["IT", "ITA", "380", "Italy", "Italia", "Italie", "Italien", "Itália"],
    "NL": ["NL", "NLD", "528", "Netherlands", "The Netherlands", "Nederland", "Pays-Bas", "Niederlande", "Holland"],
    "GB": ["GB", "GBR", "826", "UK", "United Kingdom", "Royaume-Uni", "Reino Unido", "England", "Scotland", "Wales"],
    "GR": ["GR", "GRC", "Greece", "Ελλάδα", "Griechenland", "Grèce"],
    "CI": ["CI", "CIV", "Côte d'Ivoire", "Côte d\u2019Ivoire", "Ivory Coast"],
}
CASES = [str.upper, str.lower, str.title, lambda s: f"  {s} "]


def _without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([(code, spelling) for code, spellings in SPELLINGS.items() for spelling in spellings]),
    st.sampled_from(CASES),
    st.booleans(),
)
def test_every_spelling_of_a_country_in_any_case_with_or_without_accents_gives_its_code(
    pair: tuple[str, str], case: object, plain: bool
) -> None:
    code, spelling = pair
    text = case(_without_accents(spelling) if plain else spelling)  # type: ignore[operator]
    assert country_code(text) == code
    assert Person(source=REF, country=text).country == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Macedonia", "MK"), ("Hong Kong SAR", "HK"), ("Hong Kong SAR China", "HK"), ("Macao SAR", "MO"),
        ("Macau", "MO"), ("Holy See", "VA"), ("Vatican", "VA"), ("Palestine", "PS"), ("St. Kitts and Nevis", "KN"),
        ("Saint Kitts & Nevis", "KN"), ("St Helena", "SH"), ("UAE", "AE"), ("KSA", "SA"), ("DRC", "CD"),
        ("Republic of Ireland", "IE"), ("Britain", "GB"), ("Bosnia", "BA"), ("Trinidad & Tobago", "TT"),
    ],
)  # fmt: skip
def test_names_in_everyday_and_official_use_that_iso_writes_otherwise_give_their_code(text: str, code: str) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["Korea", "Virgin Islands", "Guinea-Bissau Republic"])
def test_a_name_several_countries_share_is_no_country(text: str) -> None:
    assert country_code(text) is None


@pytest.mark.parametrize("text", ["Narnia", "Atlantis", "XX", "ZZZ", "999", "-", "n/a"])
def test_a_value_that_is_no_country_is_unknown_and_the_field_says_so(text: str) -> None:
    assert country_code(text) is None
    with pytest.raises(ValueError, match="is not a country name or ISO 3166-1 code"):
        Person(source=REF, country=text)


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("1985-03-05", None, date(1985, 3, 5)),
        ("19850305", None, date(1985, 3, 5)),
        ("05/03/1985", "GB", date(1985, 3, 5)),
        ("05/03/1985", "US", date(1985, 5, 3)),
        ("13/05/1985", "US", date(1985, 5, 13)),  # 13 cannot be a month: the convention gives way
        ("5.3.85", "DE", date(1985, 3, 5)),
        ("5 March 1985", None, date(1985, 3, 5)),
        ("March 5th, 1985", "US", date(1985, 3, 5)),
        ("5. März 1985", "DE", date(1985, 3, 5)),
        ("5 de marzo de 1985", "ES", date(1985, 3, 5)),
        ("05-Mar-1985", None, date(1985, 3, 5)),
        ("1985-03-05T00:00:00Z", None, date(1985, 3, 5)),
    ],
)
def test_dates_of_birth_are_read_in_every_common_form(text: str, country: str | None, expected: date) -> None:
    assert read_date_of_birth(text, country=country).value == expected


def test_day_or_month_first_follows_the_countrys_convention_from_cldr() -> None:
    assert [day_first(c) for c in ("GB", "DE", "FR", "BR", "US", "PH", None)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        True,
    ]


@settings(max_examples=200, deadline=None)
@given(st.integers(1900, 2020), st.integers(13, 99), st.integers(1, 31))
def test_an_impossible_month_is_kept_as_written_never_rejected(year: int, month: int, day: int) -> None:
    text = f"{year}-{month:02d}-{day:02d}"
    person = Person(source=REF, date_of_birth=text)
    assert person.date_of_birth is None
    assert person.date_of_birth_written == text


@pytest.mark.parametrize(
    ("text", "written"),
    [("1980-02-31", "1980-02-31"), ("31/02/1980", "1980-02-31"), ("19151911", "1915-19-11"), ("2000-02-29", None)],
)
def test_impossible_dates_keep_their_components_in_every_form(text: str, written: str | None) -> None:
    person = Person(source=REF, date_of_birth=text, country="GB")
    assert person.date_of_birth_written == written
    assert (person.date_of_birth is None) == (written is not None)


def test_the_country_decides_day_and_month_when_the_model_reads_a_date() -> None:
    us = Person(source=REF, date_of_birth="04/07/1990", country="United States")
    gb = Person(source=REF, date_of_birth="04/07/1990", country="GBR")
    assert (us.date_of_birth, gb.date_of_birth) == (date(1990, 4, 7), date(1990, 7, 4))


@pytest.mark.parametrize("text", ["unknown", "1985", "13/1985", "32-13", "1915111"])
def test_text_without_a_year_month_and_day_is_a_field_problem_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match="write it as YYYY-MM-DD"):
        Person(source=REF, date_of_birth=text)


def test_a_stored_person_keeps_its_impossible_date_of_birth() -> None:
    person = Person(source=REF, date_of_birth="1985-13-05")
    again = Person.model_validate_json(person.model_dump_json())
    assert (again.date_of_birth, again.date_of_birth_written) == (None, "1985-13-05")
