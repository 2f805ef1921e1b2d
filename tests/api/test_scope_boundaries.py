"""Boundary events on a sub-process and on an external task inside it, over HTTP: the
sub-process's timer is armed while anything in it waits, and interrupting it cancels
what runs inside; a message on the external task ends only the task's path."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, execute_job, fire, jobs, start, subscriptions
from tests.api_client import Api


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def test_a_sub_processes_timer_interrupts_it_and_cancels_its_external_task(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "scope-boundaries.bpmn")
    instance_id = start(api, "scoped")
    (too_long,) = jobs(db_url, instance_id)
    assert too_long.activity_id == "TooLong"
    assert [s.activity_id for s in subscriptions(db_url, instance_id)] == ["Stop"]
    assert len(api.get("/external-task", processInstanceId=instance_id).json()) == 1

    execute_job(db_url, too_long.id)

    assert api.get("/external-task", processInstanceId=instance_id).json() == []
    assert subscriptions(db_url, instance_id) == []
    assert [
        t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=instance_id).json()
    ] == ["handleDelay"]
    ended = {(a, canceled) for a, _, canceled in history(api, instance_id)}
    assert {("work", True), ("charge", True), ("TooLong", False)} <= ended


def test_a_message_on_the_external_task_ends_its_path_and_the_sub_process_goes_on(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "scope-boundaries.bpmn")
    instance_id = start(api, "scoped")
    (stop,) = subscriptions(db_url, instance_id)
    assert stop.wait_key is not None

    fire(db_url, instance_id, stop.wait_key)

    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    assert ("Stop", "boundaryMessage", False) in history(api, instance_id)
    assert ("charge", "serviceTask", True) in history(api, instance_id)
    assert ("work", "subProcess", False) in history(api, instance_id)


def test_a_timer_on_a_call_activity_interrupts_it_and_ends_the_called_instance(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "call-deadline.bpmn")
    caller = start(api, "deadlineCaller")
    (called,) = api.get("/process-instance", superProcessInstance=caller).json()
    (deadline,) = jobs(db_url, caller)
    assert deadline.activity_id == "Deadline"

    execute_job(db_url, deadline.id)

    assert api.get(f"/process-instance/{caller}").status_code == 404
    assert api.get(f"/process-instance/{called['id']}").status_code == 404
    ended = api.get(f"/history/process-instance/{called['id']}").json()
    assert ended["state"] == "INTERNALLY_TERMINATED"
    assert ("callReview", "callActivity", True) in history(api, caller)


def test_a_timer_on_a_multi_instance_task_is_the_bodys_and_cancels_every_instance(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "mi-boundary.bpmn")
    instance_id = start(api, "votes")
    assert len(api.get("/task", processInstanceId=instance_id).json()) == 3
    (closed,) = jobs(db_url, instance_id)
    assert closed.activity_id == "Closed"

    execute_job(db_url, closed.id)

    assert [
        t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=instance_id).json()
    ] == ["count"]
    assert jobs(db_url, instance_id) == []
