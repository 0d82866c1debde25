from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.errors import RecordRejected
from core.mapping import TRANSFORMS
from core.mapping.plans import ValuePlan, wrap_transform
from core.mapping.registry import BuildContext
from core.mapping.spec import DefaultsSpec
from core.mapping.writeback import WritebackField

CTX = BuildContext(phone_region="GB", timezone="UTC")


def step(name, **args):
    definition = TRANSFORMS[name]
    return name, wrap_transform(definition, definition.build(definition.args.model_validate(args), CTX))


def test_value_plan_and_writeback_field_run_the_same_chain():
    steps = (step("strip"), step("to_int"))
    plan = ValuePlan("Account.employees", ("fields", "employees"), "Employees", lambda raw: raw["Employees"], steps)
    field = WritebackField("enrichment.employees", "Employees__c", ("strip", "to_int"), steps)
    assert plan.evaluate({"Employees": " 1,200 "}) == field.convert(" 1,200 ") == 1200


def test_a_failing_step_names_the_step_and_the_value_it_received():
    steps = (step("strip"), step("to_int"))
    plan = ValuePlan("Account.employees", ("fields", "employees"), "Employees", lambda raw: raw["Employees"], steps)
    field = WritebackField("enrichment.employees", "Employees__c", ("strip", "to_int"), steps)
    with pytest.raises(RecordRejected) as from_plan:
        plan.evaluate({"Employees": " 12.5 "})
    with pytest.raises(RecordRejected) as from_field:
        field.convert(" 12.5 ")
    assert str(from_plan.value).startswith("Account.employees: transform 'to_int' failed on '12.5': not a whole")
    assert from_plan.value.context["code"] == "transform"
    assert str(from_field.value).startswith(
        "write-back enrichment.employees → Employees__c: transform 'to_int' failed on '12.5': not a whole"
    )


def test_defaults_check_region_and_timezone():
    assert DefaultsSpec.model_validate({"phone_region": " gb "}).phone_region == "GB"
    assert DefaultsSpec.model_validate({}).timezone == "UTC"
    with pytest.raises(ValidationError, match="unknown phone region 'XX'; use an ISO 3166-1 alpha-2 code"):
        DefaultsSpec.model_validate({"phone_region": "XX"})
    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Olympus'; use an IANA name"):
        DefaultsSpec.model_validate({"timezone": "Mars/Olympus"})
