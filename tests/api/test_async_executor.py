"""Asynchronous continuations run by the server's own job executor: the token held at a
continuation goes on once the executor has run its job, with no request of a client's
(the test clock's advance answers once the due jobs ran)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskvars.services import test_clock
from taskvars.settings import Settings
from tests.api.async_jobs import jobs_of
from tests.api_client import Api
from tests.multipart_bodies import Part

MODEL = (Path(__file__).parent.parent / "bpmn" / "async-review.bpmn").read_bytes()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, test_clock=True)


@pytest.fixture(autouse=True)
def system_clock() -> Any:
    yield
    test_clock.reset()


def test_the_executor_runs_a_continuation_and_the_user_task_appears(api: Api, db_url: str) -> None:
    deployed = api.post_parts("/deployment/create", Part("data", MODEL, filename="async.bpmn"))
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(api.url("/process-definition/key/asyncReview/start"), json={})
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]

    settled = api.client.post(api.url("/test-clock/advance"), json={"milliseconds": 1})
    assert settled.status_code == 200, settled.text
    assert settled.json()["jobsSettled"] is True

    tasks = api.get("/task", processInstanceId=instance_id).json()
    assert [task["taskDefinitionKey"] for task in tasks] == ["review"]
    assert jobs_of(db_url, instance_id) == []
