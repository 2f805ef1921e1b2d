"""Timer, message and signal boundary events on a user task, over HTTP: armed while the
task waits (jobs and subscriptions in the task's execution), interrupting (the task
cancelled, the other events disarmed) or not (the task goes on beside the new path,
the event armed again: a timer cycle's next repetition one period later)."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import JobRow, deploy, execute_job, fire, jobs, start, subscriptions
from tests.api_client import Api

HOUR = 3_600_000
TWO_DAYS = 48 * HOUR


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def tasks(api: Api, instance_id: str) -> list[str]:
    found = api.get("/task", processInstanceId=instance_id).json()
    return sorted(t["taskDefinitionKey"] for t in found)


def job_of(db_url: str, instance_id: str, activity_id: str) -> JobRow:
    (found,) = [j for j in jobs(db_url, instance_id) if j.activity_id == activity_id]
    return found


def test_a_waiting_user_task_arms_its_boundary_events_in_its_execution(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")
    late, remind = job_of(db_url, instance_id, "Late"), job_of(db_url, instance_id, "Remind")
    assert {late.handler_type, remind.handler_type} == {"timer-transition"}
    assert late.due_date == late.create_time + TWO_DAYS
    assert remind.due_date == remind.create_time + HOUR
    assert [
        (s.event_type, s.event_name, s.activity_id) for s in subscriptions(db_url, instance_id)
    ] == [
        ("message", "cancel", "Cancelled"),
        ("signal", "nudge", "Nudged"),
    ]
    assert {late.execution_id, remind.execution_id} == {instance_id}


def test_an_interrupting_timer_cancels_the_task_and_disarms_the_other_events(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")

    execute_job(db_url, job_of(db_url, instance_id, "Late").id)

    assert tasks(api, instance_id) == ["escalate"]
    assert jobs(db_url, instance_id) == []
    assert subscriptions(db_url, instance_id) == []
    assert history(api, instance_id) == [
        ("Started", "startEvent", False),
        ("review", "userTask", True),
        ("Late", "boundaryTimer", False),
        ("escalate", "userTask", False),
    ]
    (review,) = api.get(
        "/history/task", processInstanceId=instance_id, taskDefinitionKey="review"
    ).json()
    assert review["deleteReason"] == "deleted"


def test_a_non_interrupting_timer_cycle_fires_beside_the_task_and_repeats_a_period_later(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")
    first = job_of(db_url, instance_id, "Remind")

    execute_job(db_url, first.id)

    assert tasks(api, instance_id) == ["remind", "review"]
    second = job_of(db_url, instance_id, "Remind")
    assert second.id != first.id
    assert first.due_date is not None
    assert second.due_date == first.due_date + HOUR
    # The task's token went concurrent beside the new path: its events followed it.
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    (review,) = [c for c in tree["childActivityInstances"] if c["activityId"] == "review"]
    assert review["executionIds"] == [second.execution_id]
    assert job_of(db_url, instance_id, "Late").execution_id == second.execution_id
    assert second.execution_id != instance_id

    # R2: the second repetition is the last, and it stays so as the run goes on.
    execute_job(db_url, second.id)
    assert [j.activity_id for j in jobs(db_url, instance_id)] == ["Late"]
    assert tasks(api, instance_id) == ["remind", "remind", "review"]
    (first_remind, _) = api.get(
        "/task", processInstanceId=instance_id, taskDefinitionKey="remind"
    ).json()
    done = api.client.post(api.url(f"/task/{first_remind['id']}/complete"), json={})
    assert done.status_code == 204, done.text
    assert [j.activity_id for j in jobs(db_url, instance_id)] == ["Late"]

    # The task completed, its events are disarmed; the paths the events began go on.
    review_task = api.get("/task", processInstanceId=instance_id, taskDefinitionKey="review").json()
    done = api.client.post(api.url(f"/task/{review_task[0]['id']}/complete"), json={})
    assert done.status_code == 204, done.text
    assert jobs(db_url, instance_id) == []
    assert subscriptions(db_url, instance_id) == []
    assert tasks(api, instance_id) == ["remind"]


def test_a_message_interrupts_and_a_signal_does_not(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")
    nudged, cancelled = sorted(
        subscriptions(db_url, instance_id), key=lambda s: s.activity_id != "Nudged"
    )
    assert nudged.wait_key is not None
    assert cancelled.wait_key is not None

    fire(db_url, instance_id, nudged.wait_key, local_variables={"why": {"value": "slow"}})
    assert tasks(api, instance_id) == ["review"]
    again = [s for s in subscriptions(db_url, instance_id) if s.activity_id == "Nudged"]
    assert len(again) == 1
    assert again[0].wait_key != nudged.wait_key

    fire(db_url, instance_id, cancelled.wait_key, variables={"reason": {"value": "withdrawn"}})
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"
    assert ("Cancelled", "boundaryMessage", False) in history(api, instance_id)
    assert ("Nudged", "boundarySignal", False) in history(api, instance_id)
    reason = api.get(
        "/history/variable-instance", processInstanceId=instance_id, variableName="reason"
    ).json()
    assert [v["value"] for v in reason] == ["withdrawn"]


def test_armed_events_keep_their_due_date_as_the_task_moves_back_into_the_scope(
    client: Any, db_url: str
) -> None:
    """The path a non-interrupting event began ends: the task's concurrent execution is
    compacted into the instance's, and its armed events move with it, unchanged."""
    api = Api(client)
    deploy(api, "boundary-events.bpmn")
    instance_id = start(api, "reminders")
    late = job_of(db_url, instance_id, "Late")
    execute_job(db_url, job_of(db_url, instance_id, "Remind").id)
    (remind,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey="remind").json()

    done = api.client.post(api.url(f"/task/{remind['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    moved = job_of(db_url, instance_id, "Late")
    assert (moved.id, moved.due_date) == (late.id, late.due_date)
    assert moved.execution_id == instance_id
    assert {s.execution_id for s in subscriptions(db_url, instance_id)} == {instance_id}


def test_a_timer_cycle_repeating_in_one_instance_of_a_sub_process_leaves_the_others_due(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "mi-reminders.bpmn")
    instance_id = start(api, "miReminders")
    first, other = jobs(db_url, instance_id)
    assert first.due_date is not None
    assert other.due_date is not None

    execute_job(db_url, first.id)

    after = {j.id: j for j in jobs(db_url, instance_id)}
    assert after.pop(other.id).due_date == other.due_date  # not yet fired: still due
    (again,) = after.values()
    assert again.due_date == first.due_date + HOUR
    assert again.execution_id != other.execution_id

    execute_job(db_url, other.id)  # its own first repetition, and the last is left
    assert tasks(api, instance_id) == ["remind", "remind", "review", "review"]
    assert sorted(j.due_date or 0 for j in jobs(db_url, instance_id)) == sorted(
        [first.due_date + HOUR, other.due_date + HOUR]
    )
