from __future__ import annotations

import textwrap

import pytest

from core.errors import PolicyError
from core.policy import PersonOverrides, PolicyInput, PolicySet, load_policies_text
from tests.core.policy.builders import ref


def policies(text: str) -> PolicySet:
    return load_policies_text("version: 1\n" + textwrap.dedent(text), file="p.yaml")


def problems(text: str) -> list:
    with pytest.raises(PolicyError) as info:
        policies(text)
    return info.value.problems


def person(*interactions, consents=(), frequency_cap=None, records=(), golden=None) -> PolicyInput:
    return PolicyInput(
        profile_id="cp_test00000001",
        golden=golden or {"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"},
        records=tuple(records) or (ref("salesforce", "Contact", "003ADA"),),
        interactions=list(interactions),
        consents=list(consents),
        overrides=PersonOverrides(frequency_cap=frequency_cap),
    )
