"""Where the engine evaluates expressions: a user task's attributes and an external
task's topic and priority see ``execution``; the form key also sees ``task``."""

from __future__ import annotations

from typing import Any

import pytest

from taskvars.engine.expressions import ExecutionView, compile_expression
from taskvars.engine.external_service_tasks import ExternalTaskModel, evaluate
from taskvars.engine.io_mappings import typed_value
from taskvars.engine.user_tasks import UserTaskModel, task_attributes
from taskvars.errors import ModelRunError
from taskvars.persistence.values import NewValue

VARIABLES: dict[str, Any] = {"region": "eu", "level": 2, "clerk": "ann"}


def execution() -> ExecutionView:
    return ExecutionView(
        id="e1",
        process_instance_id="p1",
        process_definition_id="shop:1:d1",
        activity_id="act",
        tenant_id=None,
        business_key=lambda: "ORDER-9",
        read=VARIABLES.__getitem__,
        read_local=lambda name: {}[name],
    )


def test_an_external_tasks_topic_and_priority_see_the_execution() -> None:
    model = ExternalTaskModel(
        element_id="ship",
        topic="${'ship-'.concat(execution.getVariable('region'))}",
        priority="${execution.getVariable('level') * 10 + 1}",
        properties={},
    )
    attributes = evaluate(model, VARIABLES.__getitem__, execution())
    assert (attributes.topic, attributes.priority) == ("ship-eu", 21)


def test_a_user_tasks_attributes_see_the_execution_and_its_form_key_the_task() -> None:
    model = UserTaskModel(
        element_id="approve",
        name="Approve ${execution.processBusinessKey}",
        documentation=None,
        attributes={
            "assignee": "${execution.getVariable('clerk').toUpperCase()}",
            "priority": "${level > 1 ? 70 : 30}",
            "formKey": "app:${task.taskDefinitionKey}/${task.id}?by=${task.assignee}",
            "candidateGroups": "${region == 'eu' ? 'sales-eu, audit' : 'sales'}",
        },
    )
    attributes, candidates = task_attributes(model, VARIABLES.__getitem__, execution(), "t1")
    assert attributes["name"] == "Approve ORDER-9"
    assert attributes["assignee"] == "ANN"
    assert attributes["priority"] == 70
    assert attributes["form_key"] == "app:approve/t1?by=ANN"
    assert [link.group_id for link in candidates] == ["sales-eu", "audit"]


def test_task_is_not_known_in_the_other_attributes_as_in_camundas_task_decorator() -> None:
    model = UserTaskModel("approve", None, None, {"assignee": "${task.id}"})
    with pytest.raises(ModelRunError, match="Cannot resolve identifier 'task'"):
        task_attributes(model, VARIABLES.__getitem__, execution(), "t1")


def test_a_date_time_where_a_date_is_expected_is_camundas_error() -> None:
    model = UserTaskModel("approve", None, None, {"dueDate": "${dateTime().plusDays(1)}"})
    with pytest.raises(
        ModelRunError, match="Due date expression does not resolve to a Date or Date string"
    ):
        task_attributes(model, VARIABLES.__getitem__, execution(), "t1")


def test_an_input_output_mapping_types_what_richer_expressions_give() -> None:
    """A Long from arithmetic, a Double from division, a Date from toDate(), Spin's node
    as a Json variable, as Camunda would store their Java values."""
    assert typed_value(compile_expression("${level * 10 + 1}").evaluate(VARIABLES.__getitem__)) == (
        NewValue(type="Long", text_value="21", long_value=21)
    )
    assert typed_value(compile_expression("${level / 4}").evaluate(VARIABLES.__getitem__)).type == (
        "Double"
    )
    node = compile_expression("${S('{\"a\": [1, 2]}').prop('a')}").evaluate(VARIABLES.__getitem__)
    assert typed_value(node) == NewValue(type="Json", text_value="[1,2]")
