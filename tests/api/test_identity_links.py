"""A task's identity links: candidate users and groups, and its assignee and owner."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api


def post(api: Api, path: str, body: Any = None) -> Any:
    return api.client.post(api.url(path), json=body)


def links(api: Api, **query: str) -> list[dict[str, Any]]:
    response = api.get("/task/t1/identity-links", **query)
    assert response.status_code == 200, response.text
    return response.json()


def test_candidates_are_stored_then_the_assignee_and_owner_shown_as_links(api: Api) -> None:
    api.create_task("t1", assignee="ann", owner="olga")
    assert (
        post(api, "/task/t1/identity-links", {"userId": "bob", "type": "candidate"}).status_code
        == 204
    )
    assert (
        post(api, "/task/t1/identity-links", {"groupId": "sales", "type": "candidate"}).status_code
        == 204
    )
    assert links(api) == [
        {"userId": "bob", "groupId": None, "type": "candidate"},
        {"userId": None, "groupId": "sales", "type": "candidate"},
        {"userId": "ann", "groupId": None, "type": "assignee"},
        {"userId": "olga", "groupId": None, "type": "owner"},
    ]
    assert links(api, type="owner") == [{"userId": "olga", "groupId": None, "type": "owner"}]


def test_adding_a_link_twice_keeps_one(api: Api) -> None:
    api.create_task("t1")
    for _ in range(2):
        post(api, "/task/t1/identity-links", {"groupId": "sales", "type": "candidate"})
    assert links(api) == [{"userId": None, "groupId": "sales", "type": "candidate"}]


def test_assignee_and_owner_links_set_and_clear_the_tasks_own_attributes(api: Api) -> None:
    api.create_task("t1")
    post(api, "/task/t1/identity-links", {"userId": "ann", "type": "assignee"})
    post(api, "/task/t1/identity-links", {"userId": "olga", "type": "owner"})
    task = api.get("/task/t1").json()
    assert (task["assignee"], task["owner"]) == ("ann", "olga")
    post(api, "/task/t1/identity-links/delete", {"userId": "ann", "type": "assignee"})
    post(api, "/task/t1/identity-links/delete", {"userId": "olga", "type": "owner"})
    task = api.get("/task/t1").json()
    assert (task["assignee"], task["owner"]) == (None, None)


def test_deleting_a_candidate_removes_only_that_link(api: Api) -> None:
    api.create_task("t1")
    post(api, "/task/t1/identity-links", {"userId": "bob", "type": "candidate"})
    post(api, "/task/t1/identity-links", {"groupId": "sales", "type": "candidate"})
    assert (
        post(
            api, "/task/t1/identity-links/delete", {"userId": "bob", "type": "candidate"}
        ).status_code
        == 204
    )
    assert links(api) == [{"userId": None, "groupId": "sales", "type": "candidate"}]


def test_links_go_with_their_task(api: Api) -> None:
    api.create_task("t1")
    post(api, "/task/t1/identity-links", {"userId": "bob", "type": "candidate"})
    api.client.delete(api.url("/task/t1"))
    api.create_task("t1")
    assert links(api) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "candidate"}, "Identity Link requires userId or groupId."),
        (
            {"userId": "a", "groupId": "g", "type": "candidate"},
            "Identity Link requires userId or groupId, but not both.",
        ),
    ],
)
def test_a_link_is_a_user_or_a_group(api: Api, body: dict[str, Any], message: str) -> None:
    api.create_task("t1")
    for path in ("/task/t1/identity-links", "/task/t1/identity-links/delete"):
        response = post(api, path, body)
        assert response.status_code == 400
        assert response.json() == {
            "type": "InvalidRequestException",
            "message": message,
            "code": None,
        }


def test_a_group_cannot_be_the_assignee(api: Api) -> None:
    api.create_task("t1")
    added = post(api, "/task/t1/identity-links", {"groupId": "g", "type": "assignee"})
    assert added.status_code == 400
    assert added.json()["type"] == "BadUserRequestException"
    deleted = post(api, "/task/t1/identity-links/delete", {"groupId": "g", "type": "assignee"})
    assert deleted.status_code == 500
    assert deleted.json() == {
        "type": "ProcessEngineException",
        "message": "Incompatible usage: cannot use type 'assignee' together with a groupId",
        "code": 0,
    }


def test_a_missing_task_is_said_as_each_engine_command_says_it(api: Api) -> None:
    body = {"userId": "bob", "type": "candidate"}
    listed = api.get("/task/nope/identity-links")
    added = post(api, "/task/nope/identity-links", body)
    deleted = post(api, "/task/nope/identity-links/delete", body)
    message = "Cannot find task with id nope: task is null"
    assert (listed.status_code, listed.json()["type"]) == (500, "NullValueException")
    assert (added.status_code, added.json()["type"]) == (400, "NotFoundException")
    assert (deleted.status_code, deleted.json()["type"]) == (500, "NullValueException")
    assert {r.json()["message"] for r in (listed, added, deleted)} == {message}


def test_candidates_given_at_creation_become_links(api: Api) -> None:
    api.create_task("t1", candidateUsers=["bob"], candidateGroups=["sales", "audit"])
    api.create_process_instance(
        {
            "id": "pi",
            "tasks": [
                {
                    "id": "t2",
                    "owner": "olga",
                    "delegationState": "PENDING",
                    "tenantId": "acme",
                    "candidateGroups": ["sales"],
                }
            ],
        }
    )
    assert [(link["userId"], link["groupId"]) for link in links(api)] == [
        ("bob", None),
        (None, "sales"),
        (None, "audit"),
    ]
    t2 = api.get("/task/t2").json()
    assert (t2["owner"], t2["delegationState"], t2["tenantId"]) == ("olga", "PENDING", "acme")
    assert api.get("/task/t2/identity-links").json() == [
        {"userId": None, "groupId": "sales", "type": "candidate"},
        {"userId": "olga", "groupId": None, "type": "owner"},
    ]
