"""The first and last calls of a task form: form-variables and submit-form."""

from __future__ import annotations

from typing import Any

from tests.api_client import Api

TREE = {
    "id": "pi",
    "variables": {"customer": {"type": "String", "value": "ACME"}},
    "tasks": [
        {"id": "t1", "assignee": "ann", "variables": {"amount": {"type": "Long", "value": 7}}}
    ],
}


def post(api: Api, path: str, body: Any = None) -> Any:
    return api.client.post(api.url(path), json=body)


def test_form_variables_are_the_variables_visible_from_the_task(api: Api) -> None:
    api.create_process_instance(TREE)
    response = api.get("/task/t1/form-variables")
    assert response.status_code == 200
    assert response.json() == {
        "customer": {"type": "String", "value": "ACME", "valueInfo": {}},
        "amount": {"type": "Long", "value": 7, "valueInfo": {}},
    }


def test_form_variables_can_be_restricted_to_some_names(api: Api) -> None:
    api.create_process_instance(TREE)
    response = api.get("/task/t1/form-variables", variableNames="amount,nobodysVariable")
    assert response.json() == {"amount": {"type": "Long", "value": 7, "valueInfo": {}}}


def test_form_variables_of_a_missing_task_are_camundas_bad_user_request(api: Api) -> None:
    response = api.get("/task/nope/form-variables")
    assert response.status_code == 400
    assert response.json() == {
        "type": "BadUserRequestException",
        "message": "Cannot find task with id 'nope'.: task is null",
        "code": 0,
    }


def test_submit_writes_the_variables_and_completes_the_task(api: Api) -> None:
    api.create_process_instance(TREE)
    variables = {"approved": {"type": "Boolean", "value": True}}
    assert post(api, "/task/t1/submit-form", {"variables": variables}).status_code == 204
    assert api.get("/task/t1").status_code == 404
    assert api.get("/process-instance/pi/variables/approved").json()["value"] is True


def test_submit_with_variables_in_return_answers_them(api: Api) -> None:
    api.create_process_instance(TREE)
    body = {"variables": {"approved": {"value": True}}, "withVariablesInReturn": True}
    response = post(api, "/task/t1/submit-form", body)
    assert response.status_code == 200
    assert set(response.json()) == {"customer", "amount", "approved"}


def test_submit_of_a_pending_delegation_resolves_instead_of_completing(api: Api) -> None:
    api.create_process_instance(TREE)
    post(api, "/task/t1/delegate", {"userId": "bob"})
    assert post(api, "/task/t1/submit-form", {}).status_code == 204
    task = api.get("/task/t1").json()
    assert (task["assignee"], task["delegationState"]) == ("ann", "RESOLVED")


def test_submit_of_a_value_that_does_not_convert_writes_nothing(api: Api) -> None:
    api.create_process_instance(TREE)
    body = {"variables": {"amount": {"type": "Short", "value": 99999}}}
    response = post(api, "/task/t1/submit-form", body)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Cannot submit task form t1: Cannot convert value '99999' of type 'Short' to java "
        "type java.lang.Short"
    )
    assert api.get("/task/t1").status_code == 200


def test_submit_of_a_missing_task_is_camundas_null_value_500(api: Api) -> None:
    response = post(api, "/task/nope/submit-form", {})
    assert response.status_code == 500
    assert response.json() == {
        "type": "NullValueException",
        "message": "Cannot find task with id nope: task is null",
        "code": 0,
    }
