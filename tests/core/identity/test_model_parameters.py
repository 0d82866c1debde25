from __future__ import annotations

import json

import numpy as np
import pytest

from core.errors import IdentityError
from core.identity import resolve
from core.identity.compare import default_comparisons
from core.identity.model import ModelParameters
from core.identity.nicknames import default_nicknames
from tests.core.identity.test_small_files import person


def trained() -> ModelParameters:
    people = [
        person("crm", "1", first_name="Robert", last_name="Smith", email="robert.smith@acme.com"),
        person("desk", "2", first_name="Bob", last_name="Smith", email="robert.smith@acme.com"),
        person("crm", "3", first_name="Alice", last_name="Jones", email="alice@example.org"),
    ]
    return resolve(people).parameters


def test_parameters_survive_a_round_trip_through_json_in_any_key_order():
    parameters = trained()
    data = json.loads(json.dumps(parameters.to_dict()))
    data["comparisons"] = {name: dict(reversed(levels.items())) for name, levels in data["comparisons"].items()}
    back = ModelParameters.from_dict(data, default_comparisons(default_nicknames()))
    assert back.names == parameters.names
    assert back.labels == parameters.labels
    assert back.prior == parameters.prior
    for ours, theirs in zip(back.m + back.u, parameters.m + parameters.u, strict=True):
        np.testing.assert_allclose(ours, theirs)


def test_a_stored_model_missing_a_level_says_to_retrain():
    data = trained().to_dict()
    del data["comparisons"]["email"]["exact"]
    with pytest.raises(IdentityError, match="has no email level 'exact'") as info:
        ModelParameters.from_dict(data, default_comparisons(default_nicknames()))
    assert "identity resolve --store" in (info.value.hint or "")
