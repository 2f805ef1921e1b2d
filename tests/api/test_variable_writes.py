"""DELETE and modify, and the scope rules for every write path."""

from __future__ import annotations

import pytest

from tests.api_client import Api

TREE = {
    "id": "pi",
    "variables": {"top": {"type": "String", "value": "on the instance"}},
    "executions": [
        {"id": "ex", "variables": {"mid": {"type": "String", "value": "on the execution"}}}
    ],
    "tasks": [{"id": "t", "executionId": "ex"}],
}


@pytest.fixture(autouse=True)
def tree(api: Api) -> None:
    api.create_process_instance(TREE)


def put(api: Api, path: str, body: dict):
    return api.client.put(api.url(path), json=body)


def modify(api: Api, path: str, body: dict):
    return api.client.post(api.url(path), json=body)


def local_names(api: Api, path: str) -> set[str]:
    return set(api.get(path).json())


def test_put_updates_the_nearest_holder(api: Api) -> None:
    put(api, "/task/t/variables/mid", {"value": "changed"})
    assert api.get("/execution/ex/localVariables/mid").json()["value"] == "changed"
    assert "mid" not in local_names(api, "/task/t/localVariables")


def test_put_of_a_new_variable_creates_it_on_the_process_instance(api: Api) -> None:
    put(api, "/task/t/variables/new", {"value": 1})
    assert "new" in local_names(api, "/execution/pi/localVariables")


def test_local_put_writes_on_the_task(api: Api) -> None:
    put(api, "/task/t/localVariables/top", {"value": "shadow"})
    assert api.get("/task/t/variables/top").json()["value"] == "shadow"
    assert api.get("/process-instance/pi/variables/top").json()["value"] == "on the instance"


def test_delete_removes_the_nearest_holders_copy(api: Api) -> None:
    put(api, "/task/t/localVariables/top", {"value": "shadow"})
    assert api.client.delete(api.url("/task/t/variables/top")).status_code == 204
    assert api.get("/task/t/variables/top").json()["value"] == "on the instance"
    assert api.client.delete(api.url("/task/t/variables/top")).status_code == 204
    assert api.get("/task/t/variables/top").status_code == 404


def test_delete_of_an_absent_variable_is_a_silent_204(api: Api) -> None:
    assert api.client.delete(api.url("/task/t/variables/never")).status_code == 204
    assert api.client.delete(api.url("/execution/ex/localVariables/never")).status_code == 204


def test_local_delete_does_not_reach_parent_scopes(api: Api) -> None:
    assert api.client.delete(api.url("/task/t/localVariables/top")).status_code == 204
    assert api.get("/task/t/variables/top").status_code == 200


def test_delete_of_a_binary_value_removes_its_content(api: Api) -> None:
    api.upload("/task/t/localVariables/doc", b"x" * 5000)
    assert api.client.delete(api.url("/task/t/localVariables/doc")).status_code == 204
    assert api.get("/task/t/variables/doc/data").status_code == 404


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/task/no/variables/v",
            "Cannot delete task variable v: task no doesn't exist: task is null",
        ),
        (
            "/process-instance/no/variables/v",
            "Cannot delete process instance variable v: "
            "execution no doesn't exist: execution is null",
        ),
        (
            "/execution/no/localVariables/v",
            "Cannot delete execution variable v: execution no doesn't exist: execution is null",
        ),
    ],
)
def test_delete_in_a_missing_scope_answers_camundas_500(api: Api, path: str, message: str) -> None:
    response = api.client.delete(api.url(path))
    assert response.status_code == 500
    assert response.json() == {"type": "RestException", "message": message, "code": 0}


def test_modify_writes_modifications_then_deletions(api: Api) -> None:
    response = modify(
        api,
        "/task/t/variables",
        {
            "modifications": {"a": {"value": 1}, "mid": {"value": "changed"}, "gone": {"value": 2}},
            "deletions": ["gone", "top"],
        },
    )
    assert response.status_code == 204
    visible = api.get("/task/t/variables").json()
    assert set(visible) == {"a", "mid"}
    assert visible["mid"]["value"] == "changed"


def test_empty_modification_is_a_no_op(api: Api) -> None:
    assert modify(api, "/task/t/variables", {}).status_code == 204
    assert (
        modify(api, "/task/t/variables", {"modifications": None, "deletions": None}).status_code
        == 204
    )


def test_modify_with_one_bad_value_writes_nothing(api: Api) -> None:
    response = modify(
        api,
        "/task/t/variables",
        {
            "modifications": {"ok": {"value": 1}, "bad": {"type": "Short", "value": 99999}},
            "deletions": ["top"],
        },
    )
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Cannot modify variables for task t: "
        "Cannot convert value '99999' of type 'Short' to java type java.lang.Short"
    )
    assert set(api.get("/task/t/variables").json()) == {"top", "mid"}


def test_modify_with_an_unknown_type_names_the_task(api: Api) -> None:
    response = modify(api, "/task/t/localVariables", {"modifications": {"x": {"type": "Wat"}}})
    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "Cannot modify variables for task t: Unsupported value type 'Wat'"
    )


def test_local_modify_writes_on_the_task(api: Api) -> None:
    modify(api, "/task/t/localVariables", {"modifications": {"top": {"value": "shadow"}}})
    assert local_names(api, "/task/t/localVariables") == {"top"}


def test_process_instance_and_execution_modify(api: Api) -> None:
    modify(
        api,
        "/process-instance/pi/variables",
        {"modifications": {"p": {"value": 1}}, "deletions": ["top"]},
    )
    modify(
        api,
        "/execution/ex/localVariables",
        {"modifications": {"e": {"value": 2}}, "deletions": ["mid"]},
    )
    assert local_names(api, "/execution/pi/localVariables") == {"p"}
    assert local_names(api, "/execution/ex/localVariables") == {"e"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/task/no/variables",
            "Cannot modify variables for task no: task no doesn't exist: task is null",
        ),
        (
            "/process-instance/no/variables",
            "Cannot modify variables for process instance no: "
            "execution no doesn't exist: execution is null",
        ),
        (
            "/execution/no/localVariables",
            "Cannot modify variables for execution no: "
            "execution no doesn't exist: execution is null",
        ),
    ],
)
def test_modify_of_a_missing_scope_answers_camundas_500(api: Api, path: str, message: str) -> None:
    response = modify(api, path, {"modifications": {"x": {"value": 1}}})
    assert response.status_code == 500
    assert response.json() == {"type": "RestException", "message": message, "code": 0}
