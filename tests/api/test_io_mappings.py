"""Input/output mappings (camunda:inputOutput) over HTTP: an activity with a mapping
runs in an execution of its own holding the input parameters as local variables (text,
expressions, lists, maps), and its output parameters write to the scope around it when
it ends, before the run goes on, on user tasks, external tasks and sub-processes."""

from __future__ import annotations

from typing import Any

from tests.api.test_process_runs import MODELS, complete, deploy, start, tasks_of
from tests.api_client import Api
from tests.multipart_bodies import Part


def variable(api: Api, path: str) -> dict[str, Any] | None:
    response = api.get(path)
    assert response.status_code in (200, 404), response.text
    found: dict[str, Any] | None = response.json() if response.status_code == 200 else None
    return found


def local_variables(api: Api, execution_id: str) -> dict[str, Any]:
    response = api.get(f"/execution/{execution_id}/localVariables")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def instance_variables(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get(f"/process-instance/{instance_id}/variables")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def start_review(api: Api) -> tuple[str, dict[str, Any]]:
    deploy(api, "io-mapped-review.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/ioReview/start",
        variables={
            "clerk": {"value": "anna", "type": "String"},
            "amount": {"value": 1200, "type": "Integer"},
            "zip": {"value": "10115", "type": "String"},
        },
    )["id"]
    (task,) = tasks_of(api, instance_id)
    return instance_id, task


def test_a_mapped_user_task_has_its_inputs_as_local_variables_of_its_own_execution(
    api: Api,
) -> None:
    instance_id, task = start_review(api)

    assert task["executionId"] != instance_id
    assert task["assignee"] == "anna"  # camunda:assignee="${reviewer}" sees the input
    local = local_variables(api, task["executionId"])
    assert set(local) == {"reviewer", "greeting", "limit", "nothing", "items", "address"}
    assert local["reviewer"] == {"type": "String", "value": "anna", "valueInfo": {}}
    assert local["greeting"]["value"] == "Dear anna"
    assert local["limit"] == {"type": "Long", "value": 1000, "valueInfo": {}}
    assert local["nothing"] == {"type": "Null", "value": None, "valueInfo": {}}
    assert local["items"] == {
        "type": "Object",
        "value": ["first", 1200, ["anna"]],
        "valueInfo": {
            "objectTypeName": "java.util.ArrayList",
            "serializationDataFormat": "application/json",
        },
    }
    assert local["address"]["value"] == {"city": "Berlin", "lines": ["Main St 1"], "zip": "10115"}
    assert list(local["address"]["value"]) == ["city", "lines", "zip"]  # a TreeMap's order
    assert local["address"]["valueInfo"]["objectTypeName"] == "java.util.TreeMap"

    seen = variable(api, f"/task/{task['id']}/variables/greeting")
    assert seen is not None
    assert seen["value"] == "Dear anna"
    assert variable(api, f"/task/{task['id']}/localVariables/greeting") is None
    assert set(instance_variables(api, instance_id)) == {"clerk", "amount", "zip"}
    (historic,) = api.get(
        "/history/variable-instance", processInstanceId=instance_id, variableName="greeting"
    ).json()
    assert historic["executionId"] == task["executionId"]


def test_a_mapped_user_task_s_outputs_reach_the_instance_before_the_gateway_after_it(
    api: Api,
) -> None:
    instance_id, task = start_review(api)

    complete(api, task["id"], decision={"value": True, "type": "Boolean"})

    (archive,) = tasks_of(api, instance_id)
    assert archive["taskDefinitionKey"] == "archive"
    values = instance_variables(api, instance_id)
    assert values["approved"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert values["reviewedBy"]["value"] == "anna"
    # The inputs went with the task's execution; decision was set from the task, where
    # no scope held it: in the process instance.
    assert set(values) == {"clerk", "amount", "zip", "decision", "approved", "reviewedBy"}
    assert api.get(f"/execution/{task['executionId']}").status_code == 404


def test_a_completion_variable_named_as_an_input_stays_in_the_task_s_execution(
    api: Api,
) -> None:
    """Camunda's setVariable from the task finds the input there: the value goes with the
    execution unless an output parameter maps it out."""
    instance_id, task = start_review(api)

    complete(
        api,
        task["id"],
        decision={"value": False, "type": "Boolean"},
        greeting={"value": "changed", "type": "String"},
    )

    (rework,) = tasks_of(api, instance_id)
    assert rework["taskDefinitionKey"] == "rework"
    assert "greeting" not in instance_variables(api, instance_id)


def test_an_external_task_s_worker_sees_its_inputs_and_its_completion_is_output_mapped(
    api: Api,
) -> None:
    deploy(api, "io-mapped-charge.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/ioCharge/start",
        variables={"customerCard": {"value": "4111", "type": "String"}},
    )["id"]

    response = api.client.post(
        api.url("/external-task/fetchAndLock"),
        json={
            "workerId": "w",
            "maxTasks": 1,
            "topics": [{"topicName": "mapped-payments", "lockDuration": 60_000}],
        },
    )
    assert response.status_code == 200, response.text
    (task,) = response.json()  # the topic came from an input parameter
    assert task["variables"]["card"] == {"type": "String", "value": "4111", "valueInfo": {}}
    assert task["variables"]["topic"]["value"] == "mapped-payments"
    assert "card" in local_variables(api, task["executionId"])
    assert "card" not in instance_variables(api, instance_id)

    response = api.client.post(
        api.url(f"/external-task/{task['id']}/complete"),
        json={"workerId": "w", "localVariables": {"receipt": {"value": "R-1", "type": "String"}}},
    )
    assert response.status_code == 204, response.text

    values = instance_variables(api, instance_id)
    assert values["receiptNumber"]["value"] == "R-1"
    assert values["chargedCard"]["value"] == "4111"
    assert set(values) == {"customerCard", "receiptNumber", "chargedCard"}
    (ship,) = tasks_of(api, instance_id)
    assert ship["taskDefinitionKey"] == "ship"


def test_sub_process_inputs_are_read_inside_it_and_its_outputs_after_it(api: Api) -> None:
    deploy(api, "io-mapped-packing.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/ioPacking/start",
        variables={"size": {"value": "L", "type": "String"}},
    )["id"]

    # classify began and ended in the start's step: its gateway read n, its output
    # category was written; packing's gateway read box before its execution existed.
    (pack,) = tasks_of(api, instance_id)
    assert pack["taskDefinitionKey"] == "packLarge"
    assert pack["assignee"] == "L"
    assert instance_variables(api, instance_id)["category"]["value"] == "L"
    box = variable(api, f"/task/{pack['id']}/variables/box")
    assert box is not None
    assert box["value"] == "L"
    assert set(local_variables(api, pack["executionId"])) == {"box"}
    assert set(instance_variables(api, instance_id)) == {"size", "category"}

    complete(api, pack["id"])

    (ship,) = tasks_of(api, instance_id)
    assert ship["taskDefinitionKey"] == "shipFreight"
    assert set(instance_variables(api, instance_id)) == {"size", "category", "packedIn"}


def test_a_model_with_a_script_parameter_is_refused_naming_it(api: Api) -> None:
    model = (
        (MODELS / "io-mapped-charge.bpmn")
        .read_text()
        .replace(
            '<camunda:inputParameter name="card">${customerCard}</camunda:inputParameter>',
            '<camunda:inputParameter name="card"><camunda:script scriptFormat="groovy">'
            "customerCard</camunda:script></camunda:inputParameter>",
        )
    )
    response = api.post_parts(
        "/deployment/create", Part("data", model.encode(), filename="scripted.bpmn")
    )
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "camunda:inputParameter 'card': camunda:script (groovy) would run a script" in message
    assert message.endswith("| resource scripted.bpmn | line 10 | column 30")
    (problem,) = response.json()["details"]["scripted.bpmn"]["errors"]
    assert problem["mainElementId"] == "charge"


def test_an_error_from_an_external_task_still_runs_its_output_mapping(api: Api) -> None:
    """Camunda runs the output parameters of an activity an error interrupts (its
    skipOutputMappingOnCanceledActivities is off by default)."""
    deploy(api, "io-mapped-charge.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/ioCharge/start",
        variables={"customerCard": {"value": "4111", "type": "String"}},
    )["id"]
    response = api.client.post(
        api.url("/external-task/fetchAndLock"),
        json={
            "workerId": "w",
            "maxTasks": 1,
            "topics": [{"topicName": "mapped-payments", "lockDuration": 60_000}],
        },
    )
    (task,) = response.json()

    response = api.client.post(
        api.url(f"/external-task/{task['id']}/bpmnError"),
        json={
            "workerId": "w",
            "errorCode": "DECLINED",
            "variables": {"receipt": {"value": "none", "type": "String"}},
        },
    )
    assert response.status_code == 204, response.text

    (call,) = tasks_of(api, instance_id)
    assert call["taskDefinitionKey"] == "callCustomer"
    values = instance_variables(api, instance_id)
    assert values["chargedCard"]["value"] == "4111"
    assert values["receiptNumber"]["value"] == "none"
    assert "card" not in values


def test_a_mapped_task_keeps_its_execution_and_inputs_when_its_branch_is_the_last(
    api: Api,
) -> None:
    deploy(api, "io-mapped-parallel.bpmn")
    instance_id = start(api, "/process-definition/key/ioParallel/start")["id"]
    finance, legal = tasks_of(api, instance_id)  # by name
    assert legal["taskDefinitionKey"] == "legal"
    assert local_variables(api, legal["executionId"]) == {
        "department": {"type": "String", "value": "legal", "valueInfo": {}}
    }

    # The finance branch ends: the legal branch is the instance's last, and its
    # concurrent execution gives way to the instance's (Camunda's compaction).
    complete(api, finance["id"])

    (legal_after,) = tasks_of(api, instance_id)
    assert legal_after["executionId"] == legal["executionId"]
    department = variable(api, f"/task/{legal['id']}/variables/department")
    assert department is not None
    assert department["value"] == "legal"

    complete(api, legal["id"])

    (sign,) = tasks_of(api, instance_id)
    assert sign["taskDefinitionKey"] == "sign"
    values = instance_variables(api, instance_id)
    assert values["legalBy"]["value"] == "legal"
    assert "department" not in values
    assert api.get(f"/execution/{legal['executionId']}").status_code == 404
    (historic,) = api.get("/history/task", taskId=legal["id"]).json()
    assert historic["executionId"] == legal["executionId"]


def test_a_sub_process_begun_in_the_same_step_takes_the_outputs_of_one_inside_it(
    api: Api,
) -> None:
    """outer and inner begin in the start's step and inner ends there too: inner's input
    reads outer's (not written yet), and its output updates outer's local variable, as
    Camunda's setVariable finds it there, before outer's execution is written."""
    deploy(api, "io-mapped-nested.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/ioNested/start",
        variables={"title": {"value": "draft", "type": "String"}},
    )["id"]

    (check,) = tasks_of(api, instance_id)
    assert check["assignee"] == "draft (checked)"
    assert local_variables(api, check["executionId"]) == {
        "label": {"type": "String", "value": "draft (checked)", "valueInfo": {}}
    }
    assert set(instance_variables(api, instance_id)) == {"title"}

    complete(api, check["id"])

    (done,) = tasks_of(api, instance_id)
    assert done["taskDefinitionKey"] == "done"
    assert instance_variables(api, instance_id)["finalLabel"]["value"] == "draft (checked)"
    assert set(instance_variables(api, instance_id)) == {"title", "finalLabel"}


def test_an_error_caught_around_a_sub_process_runs_the_sub_process_s_outputs(
    api: Api,
) -> None:
    model = (
        (MODELS / "external-in-subprocess.bpmn")
        .read_text()
        .replace(
            '<bpmn:subProcess id="picking" name="Picking">',
            '<bpmn:subProcess id="picking" name="Picking"><bpmn:extensionElements>'
            '<camunda:inputOutput><camunda:inputParameter name="picker">${who}'
            '</camunda:inputParameter><camunda:outputParameter name="pickedBy">${picker}'
            "</camunda:outputParameter></camunda:inputOutput></bpmn:extensionElements>",
        )
    )
    response = api.post_parts(
        "/deployment/create", Part("data", model.encode(), filename="mapped-picking.bpmn")
    )
    assert response.status_code == 200, response.text
    instance_id = start(
        api,
        "/process-definition/key/fulfil/start",
        variables={"who": {"value": "bob", "type": "String"}},
    )["id"]
    response = api.client.post(
        api.url("/external-task/fetchAndLock"),
        json={
            "workerId": "w",
            "maxTasks": 1,
            "topics": [{"topicName": "stock", "lockDuration": 60_000, "variables": ["picker"]}],
        },
    )
    (task,) = response.json()
    assert task["variables"]["picker"]["value"] == "bob"

    response = api.client.post(
        api.url(f"/external-task/{task['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "OUT_OF_STOCK"},
    )
    assert response.status_code == 204, response.text

    (backorder,) = tasks_of(api, instance_id)
    assert backorder["taskDefinitionKey"] == "backorder"
    values = instance_variables(api, instance_id)
    assert values["pickedBy"]["value"] == "bob"
    assert "picker" not in values
