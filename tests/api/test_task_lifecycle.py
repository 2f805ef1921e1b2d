"""Tasks from creation to completion, and the process instance and execution resources."""

from __future__ import annotations

import pytest

from tests.api_client import Api

TREE = {
    "id": "pi",
    "businessKey": "order-42",
    "variables": {"top": {"value": "root"}},
    "executions": [{"id": "ex"}],
    "tasks": [
        {
            "id": "t1",
            "name": "Approve",
            "executionId": "ex",
            "assignee": "ann",
            "taskDefinitionKey": "approve",
        },
        {"id": "t2", "name": "Bill", "assignee": "bob"},
    ],
}


@pytest.fixture(autouse=True)
def tree(api: Api) -> None:
    api.create_process_instance(TREE)
    api.create_task("solo", name="Clean up", assignee="ann")
    api.create_task("sub", name="Part", parentTaskId="solo")


def ids(api: Api, **params) -> list[str]:
    response = api.get("/task", **params)
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()]


def count(api: Api, **params) -> int:
    return api.get("/task/count", **params).json()["count"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["t1", "t2", "solo", "sub"]),
        ({"taskId": "t2"}, ["t2"]),
        ({"taskIdIn": "sub,t1,none"}, ["t1", "sub"]),
        ({"processInstanceId": "pi"}, ["t1", "t2"]),
        ({"executionId": "ex"}, ["t1"]),
        ({"executionId": "pi"}, ["t2"]),
        ({"assignee": "ann"}, ["t1", "solo"]),
        ({"name": "Bill"}, ["t2"]),
        ({"nameLike": "%l%"}, ["t2", "solo"]),
        ({"taskDefinitionKey": "approve"}, ["t1"]),
        ({"parentTaskId": "solo"}, ["sub"]),
        ({"assignee": "ann", "processInstanceId": "pi"}, ["t1"]),
        ({"sortBy": "name", "sortOrder": "asc"}, ["t1", "t2", "solo", "sub"]),
        ({"sortBy": "id", "sortOrder": "desc"}, ["t2", "t1", "sub", "solo"]),
        ({"firstResult": 1, "maxResults": 2}, ["t2", "solo"]),
    ],
)
def test_task_queries_filter_sort_and_page(api: Api, params: dict, expected: list[str]) -> None:
    assert ids(api, **params) == expected
    without_paging = {
        k: v
        for k, v in params.items()
        if k not in ("firstResult", "maxResults", "sortBy", "sortOrder")
    }
    if without_paging == params:
        assert count(api, **params) == len(expected)


def test_sort_by_created_follows_creation(api: Api) -> None:
    assert ids(api, sortBy="created", sortOrder="desc")[0] == "sub"


def test_sort_by_without_order_is_refused(api: Api) -> None:
    response = api.get("/task", sortBy="name")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Only a single sorting parameter specified. sortBy and sortOrder required"
    )


def test_task_dto_describes_process_and_subtask_relations(api: Api) -> None:
    t1 = api.get("/task/t1").json()
    assert (t1["executionId"], t1["processInstanceId"], t1["parentTaskId"]) == ("ex", "pi", None)
    sub = api.get("/task/sub").json()
    assert (sub["executionId"], sub["processInstanceId"], sub["parentTaskId"]) == (
        None,
        None,
        "solo",
    )


def test_update_replaces_attributes_and_keeps_the_creation_date(api: Api) -> None:
    created = api.get("/task/solo").json()["created"]
    body = {"name": "Renamed", "priority": 7, "due": "2030-01-02T03:04:05.678+0000"}
    assert api.client.put(api.url("/task/solo"), json=body).status_code == 204
    task = api.get("/task/solo").json()
    assert (task["name"], task["priority"], task["due"], task["assignee"]) == (
        "Renamed",
        7,
        "2030-01-02T03:04:05.678+0000",
        None,
    )
    assert task["created"] == created


def test_update_moves_subtasks(api: Api) -> None:
    api.client.put(api.url("/task/sub"), json={"name": "Part"})  # no parentTaskId: standalone now
    assert api.get("/task/sub").json()["parentTaskId"] is None
    api.client.put(api.url("/task/solo"), json={"parentTaskId": "sub"})
    assert api.get("/task/solo").json()["parentTaskId"] == "sub"


def test_update_refuses_cycles_process_tasks_and_missing_tasks(api: Api) -> None:
    response = api.client.put(api.url("/task/solo"), json={"parentTaskId": "sub"})
    assert response.status_code == 409
    response = api.client.put(api.url("/task/t1"), json={"parentTaskId": "solo"})
    assert response.status_code == 409
    assert response.json()["message"] == (
        "Cannot update task t1: a task of a process instance cannot become a subtask"
    )
    response = api.client.put(api.url("/task/none"), json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == "No matching task with id none"


def test_delete_removes_a_standalone_task_with_subtasks_and_variables(api: Api) -> None:
    api.upload("/task/sub/localVariables/doc", b"x" * 3000)
    assert api.client.delete(api.url("/task/solo")).status_code == 204
    assert api.get("/task/solo").status_code == 404
    assert api.get("/task/sub").status_code == 404
    assert api.client.delete(api.url("/task/solo")).status_code == 204  # already gone


def test_task_of_a_process_instance_cannot_be_deleted(api: Api) -> None:
    response = api.client.delete(api.url("/task/t1"))
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": (
            "Could not delete task: The task cannot be deleted because is part of a running process"
        ),
        "code": None,
    }
    assert api.get("/task/t1").status_code == 200


def test_complete_writes_non_locally_then_removes_the_task(api: Api) -> None:
    api.client.put(api.url("/task/t1/localVariables/own"), json={"value": "gone with the task"})
    body = {"variables": {"top": {"value": "updated"}, "approved": {"value": True}}}
    assert api.client.post(api.url("/task/t1/complete"), json=body).status_code == 204
    assert api.get("/task/t1").status_code == 404
    variables = api.get("/process-instance/pi/variables").json()
    assert variables["top"]["value"] == "updated"
    assert variables["approved"]["value"] is True
    assert "own" not in variables


def test_complete_with_variables_in_return(api: Api) -> None:
    api.client.put(api.url("/task/t1/localVariables/own"), json={"value": 1})
    response = api.client.post(
        api.url("/task/t1/complete"),
        json={"variables": {"new": {"value": "x"}}, "withVariablesInReturn": True},
    )
    assert response.status_code == 200
    assert set(response.json()) == {"top", "own", "new"}


def test_complete_without_a_body(api: Api) -> None:
    assert api.client.post(api.url("/task/t2/complete")).status_code == 204
    assert api.get("/task/t2").status_code == 404


def test_complete_with_a_bad_value_changes_nothing(api: Api) -> None:
    body = {"variables": {"n": {"type": "Integer", "value": "many"}}}
    response = api.client.post(api.url("/task/t1/complete"), json=body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Cannot complete task t1: "
        "Cannot convert value 'many' of type 'Integer' to java type java.lang.Integer"
    )
    assert api.get("/task/t1").status_code == 200


def test_complete_of_a_missing_task_answers_camundas_500(api: Api) -> None:
    response = api.client.post(api.url("/task/none/complete"), json={})
    assert response.status_code == 500
    assert response.json() == {
        "type": "RestException",
        "message": "Cannot complete task none: Cannot find task with id none: task is null",
        "code": 0,
    }


def test_process_instance_and_execution_are_readable(api: Api) -> None:
    instance = api.get("/process-instance/pi").json()
    assert (instance["id"], instance["businessKey"], instance["ended"]) == ("pi", "order-42", False)
    assert api.get("/execution/ex").json() == {
        "id": "ex",
        "processInstanceId": "pi",
        "ended": False,
        "tenantId": None,
    }
    assert api.get("/execution/pi").json()["processInstanceId"] == "pi"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/process-instance/none", "Process instance with id none does not exist"),
        ("/process-instance/ex", "Process instance with id ex does not exist"),
        ("/execution/none", "Execution with id none does not exist"),
    ],
)
def test_missing_instances_are_404s(api: Api, path: str, message: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"type": "InvalidRequestException", "message": message, "code": None}


def test_delete_process_instance_answers_404_unless_told_otherwise(api: Api) -> None:
    response = api.client.delete(api.url("/process-instance/none"))
    assert response.status_code == 404
    assert (
        response.json()["message"]
        == "No process instance found for id 'none': processInstance is null"
    )
    assert (
        api.client.delete(
            api.url("/process-instance/none"), params={"failIfNotExists": "false"}
        ).status_code
        == 204
    )


def test_a_json_null_body_is_not_an_absent_body(api: Api) -> None:
    response = api.post_raw("/task/t1/complete", b"null", "application/json")
    assert response.status_code == 400
    assert api.get("/task/t1").status_code == 200


def test_paging_beyond_a_java_int_is_a_400_not_an_overflow(api: Api) -> None:
    response = api.get("/task", maxResults=2**70)
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
