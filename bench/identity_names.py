"""Names for the identity benchmark's people, drawn as often as real populations carry them.

    first_name(rng) -> str, surname(rng) -> str

A uniform pick from a few hundred names makes same-name strangers far more common than in
any real customer base, and makes every name as common as every other, so nothing can be
learnt from how rare a name is. Here the head of each distribution is the US Census
surname and Social Security given-name frequencies that Faker ships (``en_US``: Smith 2%
of the top 1,000 surnames, James 3% of given names), and a long tail of thousands of
surnames and given names from Faker's other Western locales (British, Irish, German, French,
Italian, Spanish, Dutch, Nordic, Indian English) and the benchmark's own lists, sharing the
rest evenly. In the US the 1,000 commonest surnames cover about 40% of people and the tail
runs to 150,000 more; this pool's head holds 55% and its tail some 7,000 names, so common
names are still a little over-represented. Only ASCII letters (and hyphens or apostrophes) are kept, so
emails can be built from every name. Faker is a benchmark and test dependency only.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import accumulate

from bench.identity_vocab import FIRST_NAMES, SURNAMES

__all__ = ["HEAD_SHARE", "NamePool", "first_name", "name_pools", "surname"]

HEAD_SHARE = {"first": 0.85, "last": 0.55}
"""Share of people whose name comes from the weighted US head; the rest come from the tail, evenly."""

_TAIL_LOCALES = ("en_GB", "en_IE", "en_IN", "de_DE", "fr_FR", "it_IT", "es_ES", "nl_NL", "sv_SE", "fi_FI", "no_NO")


class NamePool:
    """Names with cumulative weights, for ``random.Random.choices``."""

    def __init__(self, head: Mapping[str, float], tail: Iterable[str], head_share: float) -> None:
        total = sum(head.values())
        weights = {name: weight / total * head_share for name, weight in head.items()}
        rest = [name for name in dict.fromkeys(tail) if name not in weights]
        for name in rest:
            weights[name] = (1.0 - head_share) / len(rest)
        self.names = tuple(weights)
        self.cumulative = tuple(accumulate(weights.values()))

    def pick(self, rng: random.Random) -> str:
        """One name, as often as the pool's weights say."""
        return rng.choices(self.names, cum_weights=self.cumulative)[0]

    def share(self, name: str) -> float:
        """The probability of drawing ``name``."""
        i = self.names.index(name)
        return self.cumulative[i] - (self.cumulative[i - 1] if i else 0.0)


def _usable(name: str) -> bool:
    return name.isascii() and name.replace("-", "").replace("'", "").isalpha() and len(name) >= 2


def _locale_names(attribute: str) -> list[str]:
    found: list[str] = []
    for locale in _TAIL_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        found += [str(name) for name in getattr(provider, attribute, ()) if _usable(str(name))]
    return found


@lru_cache(maxsize=1)
def name_pools() -> tuple[NamePool, NamePool]:
    """The given-name and surname pools (built once per process)."""
    from faker.providers.person.en_US import Provider as UnitedStates

    first_head = {name: float(w) for name, w in UnitedStates.first_names.items() if _usable(name)}
    last_head = {name: float(w) for name, w in UnitedStates.last_names.items() if _usable(name)}
    firsts = NamePool(first_head, [*FIRST_NAMES, *_locale_names("first_names")], HEAD_SHARE["first"])
    lasts = NamePool(last_head, [*SURNAMES, *_locale_names("last_names")], HEAD_SHARE["last"])
    return firsts, lasts


def first_name(rng: random.Random) -> str:
    """A given name."""
    return name_pools()[0].pick(rng)


def surname(rng: random.Random) -> str:
    """A surname."""
    return name_pools()[1].pick(rng)
