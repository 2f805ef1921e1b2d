"""A model's own timer, driven by the test clock through the real executor: the timer
job shows in ``GET /job``, and moving the clock past its due date moves the token on
before the answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskvars.services import test_clock
from taskvars.settings import Settings
from tests.api_client import Api
from tests.multipart_bodies import Part

MODEL = Path(__file__).parent.parent / "bpmn" / "catch-events.bpmn"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, test_clock=True)


@pytest.fixture(autouse=True)
def system_clock() -> Iterator[None]:
    yield
    test_clock.reset()


def advance(api: Api, duration: str) -> None:
    response = api.client.post(api.url("/test-clock/advance"), json={"duration": duration})
    assert response.status_code == 200, response.text
    assert response.json()["jobsSettled"] is True


def tasks(api: Api, instance_id: str) -> list[str]:
    found: list[dict[str, Any]] = api.get("/task", processInstanceId=instance_id).json()
    return [task["taskDefinitionKey"] for task in found]


def test_an_intermediate_timer_fires_when_the_clock_passes_its_due_date(api: Api) -> None:
    deployed = api.post_parts(
        "/deployment/create",
        Part("deployment-name", "timers", content_type="text/plain"),
        Part("data", MODEL.read_bytes(), filename=MODEL.name),
    )
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(
        api.url("/process-definition/key/waitForTimer/start"),
        json={"variables": {"pause": {"value": "PT5M", "type": "String"}}},
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    (timer,) = api.get("/job", processInstanceId=instance_id, timers="true").json()
    assert timer["retries"] == 3

    advance(api, "PT4M")
    assert tasks(api, instance_id) == []

    advance(api, "PT2M")
    assert tasks(api, instance_id) == ["afterPause"]
    assert api.get("/job/count", processInstanceId=instance_id).json() == {"count": 0}
