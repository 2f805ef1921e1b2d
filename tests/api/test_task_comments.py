"""Comments on tasks as Camunda 7.24's Task Comment resource answers: created with a
`self` link, listed newest first, read one by one; Camunda's statuses and messages for a
missing task or message; kept after the task ends (they are history), and neither
written nor read while history is off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bcrypt
import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api.test_basic_auth import basic
from tests.api.test_history import run_invoice
from tests.api_client import Api


def comment(api: Api, task_id: str, body: dict[str, Any], **headers: str) -> Any:
    return api.client.post(api.url(f"/task/{task_id}/comment/create"), json=body, headers=headers)


def invalid(message: str) -> dict[str, Any]:
    return {"type": "InvalidRequestException", "message": message, "code": None}


def test_a_comment_is_created_with_a_self_link_and_read_back(api: Api) -> None:
    api.create_task("t 1")
    created = comment(api, "t 1", {"message": "Checked", "processInstanceId": "any-id"})
    assert created.status_code == 200, created.text
    dto = created.json()
    assert dto["links"] == [
        {
            "method": "GET",
            "href": f"http://testserver/engine-rest/task/t%201/comment/{dto['id']}",
            "rel": "self",
        }
    ]
    assert dto["message"] == "Checked"
    assert dto["taskId"] == "t 1"
    assert dto["processInstanceId"] == "any-id"  # stored as given, as Camunda does
    assert dto["userId"] is None
    assert dto["rootProcessInstanceId"] is None
    assert dto["removalTime"] is None
    assert dto["time"] is not None
    one = api.get(f"/task/t 1/comment/{dto['id']}")
    assert one.status_code == 200
    assert one.json() == {**dto, "links": []}
    assert api.get("/task/t 1").json()["lastUpdated"] is not None


def test_comments_are_listed_newest_first(api: Api) -> None:
    api.create_task("t1")
    for message in ("first", "second", "third"):
        assert comment(api, "t1", {"message": message}).status_code == 200
    listed = api.get("/task/t1/comment").json()
    assert [c["message"] for c in listed] == ["third", "second", "first"]
    assert api.get("/task/t1/comment").status_code == 200


def test_a_missing_message_is_camundas_400_and_stores_nothing(api: Api) -> None:
    api.create_task("t1")
    for body in ({}, {"message": None}, {"processInstanceId": "p"}):
        response = comment(api, "t1", body)
        assert response.status_code == 400
        assert response.json() == invalid("Not enough parameters submitted")
    assert api.get("/task/t1/comment").json() == []
    assert comment(api, "t1", {"message": ""}).status_code == 200  # null only is refused


def test_a_missing_task_is_camundas_400_on_create_and_404_on_reads(api: Api) -> None:
    created = comment(api, "nope", {"message": "hello"})
    assert created.status_code == 400
    assert created.json() == invalid("No task found for task id nope")
    listed = api.get("/task/nope/comment")
    assert listed.status_code == 404
    assert listed.json() == invalid("No task found for task id nope")
    one = api.get("/task/nope/comment/c1")
    assert one.status_code == 404
    assert one.json() == invalid("Task comment with id c1 does not exist for task id 'nope'.")


def test_a_comment_is_found_only_under_its_own_task(api: Api) -> None:
    api.create_task("t1")
    api.create_task("t2")
    comment_id = comment(api, "t1", {"message": "on t1"}).json()["id"]
    assert api.get(f"/task/t2/comment/{comment_id}").status_code == 404
    assert api.get("/task/t2/comment").json() == []


def test_a_body_that_breaks_the_schema_is_a_400(api: Api) -> None:
    api.create_task("t1")
    assert comment(api, "t1", {"message": 5}).status_code == 400
    assert comment(api, "t1", {"message": "m", "processInstanceId": "p" * 256}).status_code == 400
    assert api.get("/task/t1/comment").json() == []


def test_comments_of_a_standalone_task_stay_after_it_completes(api: Api) -> None:
    api.create_task("t1")
    kept = comment(api, "t1", {"message": "before"}).json()
    completed = api.client.post(api.url("/task/t1/complete"), json={})
    assert completed.status_code == 204
    assert [c["id"] for c in api.get("/task/t1/comment").json()] == [kept["id"]]
    later = comment(api, "t1", {"message": "after"})  # history still knows the task
    assert later.status_code == 200
    assert later.json()["rootProcessInstanceId"] is None


def test_a_deleted_standalone_task_without_comments_is_unknown(api: Api) -> None:
    api.create_task("t1")
    assert api.client.delete(api.url("/task/t1")).status_code == 204
    assert api.get("/task/t1/comment").status_code == 404


def test_comments_of_a_models_task_are_read_from_history_after_it_completes(api: Api) -> None:
    deployed_instance, task_id = run_invoice(api, 2500)  # waits in approval afterwards
    assert api.get(f"/task/{task_id}").status_code == 404
    created = comment(api, task_id, {"message": "late remark"})
    assert created.status_code == 200, created.text
    assert created.json()["rootProcessInstanceId"] is None  # the task has no execution now
    (approval,) = api.get("/task", processInstanceId=deployed_instance).json()
    running = comment(api, approval["id"], {"message": "approve?"}).json()
    assert running["rootProcessInstanceId"] == deployed_instance
    assert [c["message"] for c in api.get(f"/task/{task_id}/comment").json()] == ["late remark"]


def test_withcommentattachmentinfo_tells_which_tasks_have_comments(api: Api) -> None:
    api.create_task("with")
    api.create_task("without")
    comment(api, "with", {"message": "m"})
    found = {t["id"]: t for t in api.get("/task", withCommentAttachmentInfo="true").json()}
    assert found["with"]["comment"] is True
    assert found["without"]["comment"] is False
    assert found["with"]["attachment"] is False
    assert "comment" not in api.get("/task").json()[0]
    posted = api.client.post(api.url("/task"), json={"withCommentAttachmentInfo": True}).json()
    assert {t["id"]: t["comment"] for t in posted} == {"with": True, "without": False}


def test_the_signed_in_user_is_the_comments_author(db_url: str, tmp_path: Path) -> None:
    users = tmp_path / "users"
    hashed = bcrypt.hashpw(b"s3cret pass", bcrypt.gensalt(rounds=4)).decode()
    users.write_text(f"ann:{hashed}\n")
    settings = Settings(database_url=db_url, auth_file=str(users))
    with create_app(settings, validate_responses=True).test_client() as client:
        ann = basic("ann", "s3cret pass")
        api = Api(client)
        assert (
            client.post("/engine-rest/task/create", json={"id": "t1"}, headers=ann).status_code
            == 204
        )
        created = comment(api, "t1", {"message": "mine"}, **ann)
        assert created.json()["userId"] == "ann"


class TestHistoryOff:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return Settings(database_url=db_url, no_history=True)

    def test_nothing_is_written_or_read(self, api: Api) -> None:
        api.create_task("t1")
        created = comment(api, "t1", {"message": "m"})
        assert created.status_code == 403
        assert created.json() == invalid("History is not enabled")
        assert api.get("/task/t1/comment").json() == []
        assert api.get("/task/nope/comment").json() == []  # not even the task is looked up
        one = api.get("/task/t1/comment/c1")
        assert one.status_code == 404
        assert one.json() == invalid("History is not enabled")
        (task,) = api.get("/task", withCommentAttachmentInfo="true").json()
        assert (task["comment"], task["attachment"]) == (False, False)
