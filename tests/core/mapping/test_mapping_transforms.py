from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.mapping import TRANSFORMS, load_mapping
from core.mapping.plans import wrap_transform
from core.mapping.registry import BuildContext
from core.mapping.transforms import split_full_name

CTX = BuildContext(phone_region="GB", timezone="Europe/London")
ROOT = Path(__file__).resolve().parents[3]


def build(name, ctx=CTX, **args):
    definition = TRANSFORMS[name]
    return wrap_transform(definition, definition.build(definition.args.model_validate(args), ctx))


def run(name, given, raw=None, **args):
    return build(name, **args)(given, raw or {})


def test_every_transform_is_documented_with_an_example():
    for name, definition in TRANSFORMS.items():
        assert definition.doc, name
        assert "xample" in definition.doc or "→" in definition.doc, name


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("strip", "  Bob ", "Bob"),
        ("strip", 12, "12"),
        ("lower", "Bob@Acme.COM", "bob@acme.com"),
        ("upper", "gb", "GB"),
        ("title", "ROBERT SMITH", "Robert Smith"),
        ("lower", ["A", None, "B"], ["a", "b"]),
        ("strip", None, None),
    ],
)
def test_text_case_transforms(name, value, expected):
    assert run(name, value) == expected


def test_text_transforms_refuse_structures():
    with pytest.raises(ValueError, match="expected text"):
        run("lower", {"a": 1})


def test_nullif_defaults_and_custom_values():
    assert run("nullif", " N/A ") is None
    assert run("nullif", "") is None
    assert run("nullif", "Bob") == "Bob"
    assert run("nullif", "TBD", values=["tbd"]) is None
    assert run("nullif", "N/A", values=["tbd"]) == "N/A"


def test_join_and_split():
    assert run("join", ["a", None, "", "b"]) == "a b"
    assert run("join", ["a", "b"], sep=";") == "a;b"
    assert run("join", []) is None
    assert run("split", "a, b,,c") == ["a", "b", "c"]
    assert run("split", "a;b", sep=";") == ["a", "b"]


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("Robert Smith", "Robert", "Smith"),
        ("Smith, Robert", "Robert", "Smith"),
        ("Smith, Robert James", "Robert James", "Smith"),
        ("Cher", "Cher", None),
        ("Anna van der Berg", "Anna", "van der Berg"),
        ("Dr Jane Q. Public Jr.", "Jane Q.", "Public"),
        ("Mr. John Smith III", "John", "Smith"),
        ("", None, None),
    ],
)
def test_split_name(full, first, last):
    assert split_full_name(full) == (first, last)
    assert run("split_name", full, part="first") == first
    assert run("split_name", full, part="last") == last


_TITLES = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev"]
_SUFFIXES = ["jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"]
_RESERVED_WORDS = {*_TITLES, *_SUFFIXES}  # dropped from names by design
_NAME_WORD = st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True).filter(lambda w: w.casefold() not in _RESERVED_WORDS)


@given(st.lists(_NAME_WORD, min_size=2, max_size=4))
def test_split_name_keeps_every_word_of_a_plain_name(words):
    first, last = split_full_name(" ".join(words))
    assert f"{first} {last}".split() == words
    assert last == words[-1]
    assert split_full_name(f"{last}, {first}") == (first, last)


def test_value_map_lookup_default_strict_and_passthrough():
    table = {"yes": "denied", "no": "granted", True: "denied"}
    assert run("value_map", " YES ", map=table) == "denied"
    assert run("value_map", True, map=table) == "denied"
    assert run("value_map", "maybe", map=table) == "maybe"
    assert run("value_map", "maybe", map=table, default="unknown") == "unknown"
    assert run("value_map", "maybe", map=table, default=None) is None
    assert run("value_map", "YES", map=table, case_sensitive=True) == "YES"
    with pytest.raises(ValueError, match="no entry in the value map"):
        run("value_map", "maybe", map=table, strict=True)


def test_coalesce_takes_first_non_empty_path():
    raw = {"Phone": "", "Mobile": " ", "Home": "0207", "Other": "x"}
    assert run("coalesce", None, raw, paths=["Phone", "Mobile", "Home", "Other"]) == "0207"
    assert run("coalesce", "kept", raw, paths=["Home"]) == "kept"
    assert run("coalesce", None, raw, paths=["Missing"]) is None


def test_constant_ignores_the_value():
    assert run("constant", None, value="email") == "email"
    assert run("constant", "anything", value={"a": 1}) == {"a": 1}


def test_template_builds_text_from_paths():
    raw = {"FirstName": "Robert", "LastName": "Smith", "Account": {"Name": "Acme"}, "Amount": 3.14159}
    assert run("template", None, raw, format="{FirstName} {LastName}") == "Robert Smith"
    assert run("template", None, {"LastName": "Smith"}, format="{FirstName} {LastName}") == "Smith"
    assert run("template", None, {}, format="{FirstName} {LastName}") is None
    assert run("template", None, raw, format="{Account.Name}: {Amount:.2f}") == "Acme: 3.14"
    assert run("template", "v", raw, format="<{}>") == "<v>"


def test_template_refuses_conversions_at_build_time():
    with pytest.raises(ValueError, match="conversion"):
        build("template", format="{a!r}")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("to_int", "1,200", 1200),
        ("to_int", "12.0", 12),
        ("to_int", 7, 7),
        ("to_int", 7.0, 7),
        ("to_float", "1,234.50", 1234.5),
        ("to_float", 3, 3.0),
        ("to_bool", "Yes", True),
        ("to_bool", " off ", False),
        ("to_bool", 0, False),
        ("to_bool", True, True),
        ("to_bool", "", None),
    ],
)
def test_conversions(name, value, expected):
    assert run(name, value) == expected


def test_to_float_with_decimal_comma():
    assert run("to_float", "1.234,5", decimal=",") == 1234.5


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("to_int", "12.5", "whole number"),
        ("to_int", "abc", "not a number"),
        ("to_int", True, "boolean"),
        ("to_float", "nan", "finite"),
        ("to_float", "abc", "not a number"),
        ("to_bool", "maybe", "yes/no"),
    ],
)
def test_conversion_failures(name, value, match):
    with pytest.raises(ValueError, match=match):
        run(name, value)


def test_e164_uses_argument_then_mapping_default():
    assert run("e164", "020 7946 0018") == "+442079460018"
    assert run("e164", "(415) 555-0100", region="US") == "+14155550100"
    assert run("e164", "+1 415 555 0100") == "+14155550100"
    assert build("e164", BuildContext())("+44 20 7946 0018", {}) == "+442079460018"


@pytest.mark.parametrize("bad", ["12ab", "1", "not a phone"])
def test_e164_failures(bad):
    with pytest.raises(ValueError, match="phone number"):
        run("e164", bad)


def test_e164_reads_a_number_a_spreadsheet_wrote_and_refuses_one_that_lost_its_digits():
    assert run("e164", "4155550100.0", region="US") == "+14155550100"
    assert run("e164", " 2079460018.00 ") == "+442079460018"  # in the mapping's default region, GB
    assert run("e164", "+442079460018.0") == "+442079460018"
    with pytest.raises(ValueError, match="scientific notation: its digits are lost; export the column as text"):
        run("e164", "4.15555E+09", region="US")
    with pytest.raises(ValueError, match="phone number"):
        run("e164", "12.5", region="US")  # a decimal that is not a spreadsheet's whole number stays refused


def test_e164_without_region_explains():
    with pytest.raises(ValueError, match="defaults.phone_region"):
        build("e164", BuildContext())("020 7946 0018", {})


@given(st.sampled_from(["GB", "US", "DE", "FR", "IN", "AU"]), st.integers(min_value=0, max_value=10**6))
def test_e164_is_idempotent(region, seed):
    example = phonenumbers.example_number(region)
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    once = run("e164", national, region=region)
    assert run("e164", once, region="GB") == once
    assert once.startswith("+")


def test_country_names_and_codes():
    assert run("country", "United Kingdom") == "GB"
    assert run("country", "deu") == "DE"
    assert run("country", "us") == "US"
    assert run("country", "UK") == "GB"
    with pytest.raises(ValueError, match="country"):
        run("country", "Narnia")


def test_domain():
    assert run("domain", "https://www.Acme.com/about") == "acme.com"
    assert run("domain", "acme.io") == "acme.io"
    assert run("domain", "bob@acme.com") == "acme.com"
    with pytest.raises(ValueError, match="web address"):
        run("domain", "localhost")


LONDON = timedelta(hours=1)  # British Summer Time in May


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00.000+0000", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01 10:30:00", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        (1714555800, datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        (1714555800000, datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("1714555800", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        (date(2024, 5, 1), datetime(2024, 4, 30, 23, 0, tzinfo=UTC)),
    ],
)
def test_parse_datetime_is_always_aware(value, expected):
    parsed = run("parse_datetime", value)
    assert parsed.tzinfo is not None
    assert parsed == expected


def test_parse_datetime_formats_and_zone():
    parsed = run("parse_datetime", "01/05/2024 10:30", formats=["%d/%m/%Y %H:%M"], default_tz="America/New_York")
    assert parsed == datetime(2024, 5, 1, 14, 30, tzinfo=UTC)
    assert run("parse_datetime", "5", unit="ms") == datetime(1970, 1, 1, 0, 0, 0, 5000, tzinfo=UTC)


def test_parse_datetime_failures():
    with pytest.raises(ValueError, match="ISO 8601"):
        run("parse_datetime", "yesterday")
    with pytest.raises(ValueError, match="boolean"):
        run("parse_datetime", True)


def test_parse_datetime_refuses_unknown_zone_at_build_time():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown timezone"):
        build("parse_datetime", default_tz="Mars/Olympus")


def test_parse_date():
    assert run("parse_date", "1984-02-29") == date(1984, 2, 29)
    assert run("parse_date", "29/02/1984", formats=["%d/%m/%Y"]) == date(1984, 2, 29)
    assert run("parse_date", datetime(2024, 1, 2, 3, tzinfo=UTC)) == date(2024, 1, 2)
    with pytest.raises(ValueError, match="does not exist"):
        run("parse_date", "1984-02-30")


def test_an_impossible_date_says_it_does_not_exist_rather_than_asking_for_formats():
    mapping = load_mapping(ROOT / "mappings/salesforce.yaml")
    raw = {"Id": "003A1", "LastName": "Lee", "Birthdate": "1987-02-31", "SystemModstamp": "2024-05-01T09:30:00Z"}
    outcome = mapping.map(mapping.source_record("Contact", raw))
    reasons = [p.message for p in getattr(outcome, "problems", [])] + [getattr(outcome, "reason", "")]
    said = " ".join(r for r in reasons if "1987-02-31" in r)
    assert "does not exist" in said and "day is out of range" in said
    assert "formats" not in said
    with pytest.raises(ValueError, match="does not exist") as info:
        run("parse_date", "31/02/1987", formats=["%d/%m/%Y"])
    assert "formats" not in str(info.value)
    with pytest.raises(ValueError, match=r"add 'formats"):
        run("parse_date", "February the 3rd")
