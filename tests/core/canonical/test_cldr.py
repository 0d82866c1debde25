"""CLDR tables are built one locale at a time, and babel's copy of the locale data is let go."""

from __future__ import annotations

import subprocess
import sys

from core.canonical.cldr import locale_value, official_languages

_HELD_AFTER_BUILD = """
import tracemalloc
tracemalloc.start()
from core.canonical.countries import country_names
from core.canonical.dates import month_names
before = tracemalloc.get_traced_memory()[0]
names, months = country_names(), month_names()
print(len(names), len(months), (tracemalloc.get_traced_memory()[0] - before) / 2**20)
"""


def test_building_the_country_and_month_tables_leaves_no_locale_data_resident() -> None:
    # a process of its own: the test process may have loaded locales already
    done = subprocess.run([sys.executable, "-c", _HELD_AFTER_BUILD], capture_output=True, text=True, check=True)
    names, months, held_mib = done.stdout.split()
    assert int(names) > 10_000 and int(months) > 1_000  # every official language's names were read
    # the tables, the names they are built from and pycountry's databases are about 14 MiB; babel kept 80 MiB more
    assert float(held_mib) < 20, f"{held_mib} MiB held after building the tables"


def test_a_language_cldr_ships_no_data_for_is_none_and_english_comes_first() -> None:
    assert locale_value("xx_QQ", lambda locale: locale.territories["DE"]) is None
    assert locale_value("de", lambda locale: str(locale.territories["DE"])) == "Deutschland"
    languages = official_languages()
    assert languages[0] == "en" and {"de", "es", "fr", "pt", "ja"} <= set(languages)
    assert len(languages) == len(set(languages))
