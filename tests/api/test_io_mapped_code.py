"""Input/output mappings on tasks that call code, run by their stand-ins, over HTTP: the
inputs are local variables of the task's own execution before the stand-in acts (a
worker of an ``external-topic`` stand-in sees them), a ``set`` stand-in sets its
variables from that execution (an input's name stays local), and the outputs write to
the scope around the task when it ends, before the gateway after it decides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.engine import stand_ins
from tests.api.test_io_mappings import instance_variables
from tests.api.test_process_runs import deploy, start, tasks_of
from tests.api.test_stand_ins import UseStandIns
from tests.api_client import Api

PRICED: dict[str, Any] = {
    "class": {"org.example.PriceCalculator": {"set": {"gross": 120, "audited": True}}},
    "element": {"score": {"set": {"rating": "A"}}},
}


@pytest.fixture
def use_stand_ins() -> Iterator[UseStandIns]:
    def use(document: dict[str, Any]) -> None:
        stand_ins.install(stand_ins.parse(document))

    yield use
    stand_ins.install(stand_ins.NONE)


def start_priced(api: Api, amount: int = 100) -> str:
    deploy(api, "io-mapped-code.bpmn")
    started = start(
        api,
        "/process-definition/key/ioCode/start",
        variables={"amount": {"value": amount, "type": "Integer"}},
    )
    return str(started["id"])


def plain(values: dict[str, Any]) -> dict[str, Any]:
    return {name: dto["value"] for name, dto in values.items()}


def test_a_java_class_stood_in_by_set_runs_its_inputs_and_outputs_before_the_gateway(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(PRICED)

    instance_id = start_priced(api)

    (task,) = tasks_of(api, instance_id)
    assert task["taskDefinitionKey"] == "bigOrder"  # total = gross = 120 > 100
    # The inputs went with the tasks' executions; a set variable that is an input stayed
    # local (gross, rating), one that is not went to the process instance (audited).
    assert plain(instance_variables(api, instance_id)) == {
        "amount": 100,
        "audited": True,
        "total": 120,
        "pricedFrom": 100,
        "grade": "A/120",
    }
    # The tasks' executions went with their local variables.
    found = api.get("/variable-instance", processInstanceIdIn=instance_id).json()
    assert sorted(variable["name"] for variable in found) == [
        "amount",
        "audited",
        "grade",
        "pricedFrom",
        "total",
    ]


def test_an_external_topic_worker_sees_the_inputs_and_its_variables_are_output_mapped(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(
        {**PRICED, "class": {"org.example.PriceCalculator": {"external-topic": "pricing"}}}
    )
    instance_id = start_priced(api, amount=40)
    body = {
        "workerId": "w",
        "maxTasks": 1,
        "topics": [{"topicName": "pricing", "lockDuration": 60_000}],
    }

    (task,) = api.client.post(api.url("/external-task/fetchAndLock"), json=body).json()

    assert task["activityId"] == "price"
    assert plain(task["variables"]) == {"amount": 40, "net": 40, "gross": None}
    completion = {"workerId": "w", "variables": {"gross": {"value": 48, "type": "Long"}}}
    response = api.client.post(api.url(f"/external-task/{task['id']}/complete"), json=completion)
    assert response.status_code == 204, response.text
    (user_task,) = tasks_of(api, instance_id)
    assert user_task["taskDefinitionKey"] == "smallOrder"  # total = 48
    assert plain(instance_variables(api, instance_id)) == {
        "amount": 40,
        "total": 48,
        "pricedFrom": 40,
        "grade": "A/48",
    }


def test_a_bpmn_error_stand_in_runs_the_output_mapping_as_a_worker_s_error_does(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins({**PRICED, "class": {"org.example.PriceCalculator": {"bpmn-error": "UNPRICED"}}})

    instance_id = start_priced(api)

    (task,) = tasks_of(api, instance_id)
    assert task["taskDefinitionKey"] == "fixPrice"
    assert plain(instance_variables(api, instance_id)) == {
        "amount": 100,
        "total": None,
        "pricedFrom": 100,
    }
