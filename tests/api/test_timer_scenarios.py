"""Timers as a client's own test drives them, through the REST API only: the executor
runs the jobs, the test clock (``--test-clock``) moves days on in milliseconds, and once
a real two-second timer fires on the system clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.services import test_clock
from taskvars.settings import Settings
from tests.api.event_runs import deploy, start
from tests.api_client import Api


@pytest.fixture
def settings(db_url: str, request: pytest.FixtureRequest) -> Settings:
    # The executor runs in every test here (the shared test app has it off).
    real_clock = request.node.get_closest_marker("real_clock") is not None
    return Settings(database_url=db_url, test_clock=not real_clock)


@pytest.fixture(autouse=True)
def system_clock() -> Iterator[None]:
    yield
    test_clock.reset()


def advance(api: Api, duration: str) -> None:
    response = api.client.post(api.url("/test-clock/advance"), json={"duration": duration})
    assert response.status_code == 200, response.text
    assert response.json()["jobsSettled"] is True


def task_keys(api: Api, **criteria: str) -> list[str]:
    found: list[dict[str, Any]] = api.get("/task", **criteria).json()
    return sorted(task["taskDefinitionKey"] for task in found)


def test_a_timer_boundary_on_a_user_task_fires_when_the_clock_passes_two_days(api: Api) -> None:
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")
    timers = api.get("/job", processInstanceId=instance_id, timers="true").json()
    assert sorted(job["retries"] for job in timers) == [3, 3]  # Late, Remind

    advance(api, "PT1H")  # the non-interrupting reminder, beside the review
    assert task_keys(api, processInstanceId=instance_id) == ["remind", "review"]

    # The reminder's second and last repetition, then the interrupting deadline: the
    # review is cancelled, the reminders stay.
    advance(api, "P2D")
    assert task_keys(api, processInstanceId=instance_id) == ["escalate", "remind", "remind"]
    assert api.get("/job/count", processInstanceId=instance_id).json() == {"count": 0}
    review = api.get(
        "/history/activity-instance", processInstanceId=instance_id, activityId="review"
    ).json()
    assert [activity["canceled"] for activity in review] == [True]
    late = api.get(
        "/history/activity-instance", processInstanceId=instance_id, activityId="Late"
    ).json()
    assert [activity["activityType"] for activity in late] == ["boundaryTimer"]


@pytest.mark.real_clock
def test_a_real_two_second_timer_moves_the_token_on_by_itself(api: Api) -> None:
    deploy(api, "real-timer.bpmn")
    started_at = time.monotonic()
    instance_id = start(api, "answerSoon")
    assert task_keys(api, processInstanceId=instance_id) == ["answer"]
    deadline = started_at + 30  # generous: a loaded machine is slow, not wrong
    while task_keys(api, processInstanceId=instance_id) != ["chase"]:
        assert time.monotonic() < deadline, "the two-second timer did not fire"
        time.sleep(0.05)
    assert time.monotonic() - started_at >= 2.0


def test_a_timer_start_event_with_a_cycle_starts_an_instance_each_repetition(api: Api) -> None:
    deploy(api, "start-events.bpmn")
    assert api.get("/job/count", processDefinitionKey="hourly").json() == {"count": 1}
    for expected in (1, 2, 2):  # R2: two repetitions, then the job is gone
        advance(api, "PT1H")
        count = api.get("/process-instance/count", processDefinitionKey="hourly").json()
        assert count == {"count": expected}
    assert api.get("/job/count", processDefinitionKey="hourly").json() == {"count": 0}


def test_an_event_based_gateway_is_decided_by_its_timer(api: Api) -> None:
    deploy(api, "event-gateway.bpmn")
    instance_id = start(api, "paymentOrDeadline")
    advance(api, "P13D")
    assert task_keys(api, processInstanceId=instance_id) == []
    advance(api, "P1D")
    assert task_keys(api, processInstanceId=instance_id) == ["remind"]
    subscriptions = api.get("/event-subscription", processInstanceId=instance_id).json()
    assert subscriptions == []  # the message branch lost


def test_an_event_based_gateway_is_decided_by_a_message(api: Api) -> None:
    deploy(api, "event-gateway.bpmn")
    instance_id = start(api, "paymentOrDeadline", businessKey="order-7")
    correlated = api.client.post(
        api.url("/message"), json={"messageName": "paid", "businessKey": "order-7"}
    )
    assert correlated.status_code == 204, correlated.text
    assert task_keys(api, processInstanceId=instance_id) == ["ship"]
    assert api.get("/job/count", processInstanceId=instance_id).json() == {"count": 0}
