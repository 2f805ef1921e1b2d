"""Generated forms as the deployment check and the form parser read them
(taskvars.engine.forms, model_check): what Camunda's DefaultFormHandler, FormTypes and
FormValidators accept passes, their refusals name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.forms import Constraint, task_forms
from taskvars.engine.model_check import ModelRefusedError, check_model

LEAVE = (Path(__file__).parent.parent / "bpmn" / "leave-request.bpmn").read_text()


def test_a_user_tasks_form_is_read_with_its_labels_properties_and_constraints() -> None:
    assert [model.key for model in check_model("leave.bpmn", LEAVE.encode())] == ["leave"]
    (form,) = task_forms(parse_bpmn(LEAVE.encode())).values()
    by_id = {field.id: field for field in form.fields}
    assert list(by_id) == ["employee", "days", "firstDay", "approved", "comment", "urgency"]
    assert by_id["employee"].constraints == (Constraint("readonly"),)
    assert by_id["approved"].default == "${days < 10}"
    assert by_id["approved"].properties == (("hint", "Up to nine days need no second look"),)
    assert by_id["comment"].constraints == (Constraint("maxlength", "40"),)
    assert str(by_id["comment"].constraints[0]) == "maxlength(40)"
    assert by_id["firstDay"].date_pattern == "dd.MM.yyyy"
    assert by_id["urgency"].enum_values == ("low", "high")
    assert by_id["urgency"].enum_names == ("Low", "High")
    assert by_id["days"].label == "Days"
    assert form.business_key_field is None


@pytest.mark.parametrize(
    ("replaced", "replacement", "field", "reason"),
    [
        (
            '<camunda:constraint name="readonly" />',
            '<camunda:constraint name="email" />',
            "employee",
            "Cannot find validator implementation for name 'email'.",
        ),
        (
            '<camunda:constraint name="readonly" />',
            '<camunda:constraint name="validator" config="" />',
            "employee",
            "validator configuration needs to provide either a fully qualified classname",
        ),
        (
            '<camunda:constraint name="readonly" />',
            '<camunda:constraint name="validator" config="${checks ==}" />',
            "employee",
            "${checks ==}",
        ),
        ('type="boolean"', 'type="money"', "approved", "unknown type 'money'"),
        ('datePattern="dd.MM.yyyy"', 'datePattern="EEE dd"', "firstDay", "'E' is not supported"),
        (
            'defaultValue="${days &lt; 10}"',
            'defaultValue="${days ==}"',
            "approved",
            "${days ==}",
        ),
        (
            '<camunda:formField id="comment" label="Comment"',
            '<camunda:formProperty id="legacy" /><camunda:formField id="comment" label="Comment"',
            "legacy",
            "camunda:formProperty is not supported",
        ),
    ],
)
def test_what_camundas_form_parser_refuses_is_refused_naming_the_field(
    replaced: str, replacement: str, field: str, reason: str
) -> None:
    assert LEAVE.count(replaced) == 1
    with pytest.raises(ModelRefusedError) as raised:
        check_model("leave.bpmn", LEAVE.replace(replaced, replacement).encode())
    assert raised.value.element_id == field
    assert reason in raised.value.reason
