"""Claim, unclaim, assignee, delegate and resolve, as Camunda's engine does them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api

MISSING_TASK = "Cannot find task with id nope: task is null"


def task(api: Api, task_id: str = "t1") -> dict[str, Any]:
    response = api.get(f"/task/{task_id}")
    assert response.status_code == 200, response.text
    return {key: response.json()[key] for key in ("assignee", "owner", "delegationState")}


def post(api: Api, path: str, body: Any = None) -> Any:
    return api.client.post(api.url(path), json=body)


def test_claim_makes_the_user_the_assignee(api: Api) -> None:
    api.create_task("t1")
    assert post(api, "/task/t1/claim", {"userId": "ann"}).status_code == 204
    assert task(api) == {"assignee": "ann", "owner": None, "delegationState": None}


def test_claiming_again_as_the_same_user_changes_nothing(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    assert post(api, "/task/t1/claim", {"userId": "ann"}).status_code == 204
    assert task(api)["assignee"] == "ann"


def test_a_task_claimed_by_someone_else_is_camundas_task_already_claimed(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    response = post(api, "/task/t1/claim", {"userId": "bob"})
    assert response.status_code == 500
    assert response.json() == {
        "type": "TaskAlreadyClaimedException",
        "message": "Task 't1' is already claimed by someone else.",
        "code": 0,
    }
    assert task(api)["assignee"] == "ann"


def test_claim_with_no_user_and_unclaim_leave_the_task_unassigned(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    assert post(api, "/task/t1/claim", {"userId": None}).status_code == 204
    assert task(api)["assignee"] is None
    assert post(api, "/task/t1/assignee", {"userId": "bob"}).status_code == 204
    assert post(api, "/task/t1/unclaim").status_code == 204
    assert task(api)["assignee"] is None


def test_set_assignee_replaces_whoever_held_the_task(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    assert post(api, "/task/t1/assignee", {"userId": "bob"}).status_code == 204
    assert task(api)["assignee"] == "bob"


def test_delegate_makes_the_assignee_the_owner_and_the_delegation_pending(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    assert post(api, "/task/t1/delegate", {"userId": "bob"}).status_code == 204
    assert task(api) == {"assignee": "bob", "owner": "ann", "delegationState": "PENDING"}


def test_delegate_keeps_an_owner_the_task_has(api: Api) -> None:
    api.create_task("t1", assignee="ann", owner="olga")
    assert post(api, "/task/t1/delegate", {"userId": "bob"}).status_code == 204
    assert task(api) == {"assignee": "bob", "owner": "olga", "delegationState": "PENDING"}


def test_resolve_writes_the_variables_and_hands_the_task_back_to_its_owner(api: Api) -> None:
    api.create_process_instance({"id": "pi", "tasks": [{"id": "t1", "assignee": "ann"}]})
    post(api, "/task/t1/delegate", {"userId": "bob"})
    variables = {"approved": {"type": "Boolean", "value": True}}
    assert post(api, "/task/t1/resolve", {"variables": variables}).status_code == 204
    assert task(api) == {"assignee": "ann", "owner": "ann", "delegationState": "RESOLVED"}
    # written as completing the task would write it: in the top-most scope
    assert api.get("/process-instance/pi/variables/approved").json()["value"] is True


def test_a_value_resolve_cannot_convert_writes_nothing(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    post(api, "/task/t1/delegate", {"userId": "bob"})
    bad = {"variables": {"n": {"type": "Integer", "value": "zz"}}}
    response = post(api, "/task/t1/resolve", bad)
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Cannot resolve task t1: Cannot convert value 'zz' of type 'Integer' to java type "
        "java.lang.Integer"
    )
    assert task(api)["delegationState"] == "PENDING"


@pytest.mark.parametrize(
    ("operation", "status", "type_"),
    [
        ("claim", 500, "NullValueException"),
        ("delegate", 500, "NullValueException"),
        ("resolve", 500, "NullValueException"),
        ("unclaim", 400, "NotFoundException"),
        ("assignee", 400, "NotFoundException"),
    ],
)
def test_a_missing_task_is_said_as_camundas_engine_says_it(
    api: Api, operation: str, status: int, type_: str
) -> None:
    response = post(api, f"/task/nope/{operation}", {"userId": "ann"})
    assert response.status_code == status
    assert response.json() == {"type": type_, "message": MISSING_TASK, "code": 0}


@pytest.mark.parametrize("operation", ["claim", "assignee", "delegate"])
def test_a_user_id_longer_than_an_id_may_be_is_refused(api: Api, operation: str) -> None:
    api.create_task("t1")
    response = post(api, f"/task/t1/{operation}", {"userId": "u" * 256})
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
    assert task(api)["assignee"] is None
