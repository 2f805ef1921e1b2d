"""Asynchronous continuations over HTTP: a token reaching ``camunda:asyncBefore`` (or
leaving an element with ``asyncAfter``) stops with a job, and goes on only when the job
runs (Camunda's ``AsyncContinuationJobHandler``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from taskvars.settings import Settings
from tests.api.async_jobs import jobs_of
from tests.api_client import Api
from tests.multipart_bodies import Part

MODEL = (Path(__file__).parent.parent / "bpmn" / "async-review.bpmn").read_bytes()


@pytest.fixture
def settings(db_url: str) -> Settings:
    """No job executor: a job runs when the test says (``POST /job/{id}/execute``)."""
    return Settings(database_url=db_url, no_job_executor=True)


def execute(api: Api, job_id: str) -> None:
    response = api.client.post(api.url(f"/job/{job_id}/execute"))
    assert response.status_code == 204, response.text


def start(api: Api, **variables: Any) -> str:
    deployed = api.post_parts(
        "/deployment/create", Part("data", MODEL, filename="async-review.bpmn")
    )
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(
        api.url("/process-definition/key/asyncReview/start"),
        json={"variables": {k: {"value": v} for k, v in variables.items()}},
    )
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def task_keys(api: Api, instance_id: str) -> list[str]:
    tasks = api.get("/task", processInstanceId=instance_id).json()
    return [task["taskDefinitionKey"] for task in tasks]


def complete_only_task(api: Api, instance_id: str, key: str) -> None:
    (task,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey=key).json()
    done = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
    assert done.status_code == 204, done.text


def activities(api: Api, instance_id: str) -> list[tuple[str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["endTime"] is not None) for a in found]


def test_async_before_a_user_task_makes_a_job_and_no_task_until_it_runs(
    api: Api, db_url: str
) -> None:
    instance_id = start(api)
    assert task_keys(api, instance_id) == []
    (job,) = jobs_of(db_url, instance_id)
    assert (job.type, job.handler_type, job.handler_configuration) == (
        "message",
        "async-continuation",
        "transition-create-scope",
    )
    assert job.activity_id == "review"
    assert job.execution_id == instance_id
    assert job.retry_time_cycle == "R5/PT1M"
    assert job.priority == 0
    # The task's activity has not started: only the start event is in history, and the
    # tree holds a transition instance (Camunda's id: the execution's).
    assert activities(api, instance_id) == [("Received", True)]
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    assert tree["childActivityInstances"] == []
    (held,) = tree["childTransitionInstances"]
    assert (held["id"], held["activityId"], held["activityType"], held["executionId"]) == (
        instance_id,
        "review",
        "userTask",
        instance_id,
    )

    execute(api, job.id)

    assert jobs_of(db_url, instance_id) == []
    assert task_keys(api, instance_id) == ["review"]
    assert activities(api, instance_id) == [("Received", True), ("review", False)]
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    assert tree["childTransitionInstances"] == []
    assert [a["activityId"] for a in tree["childActivityInstances"]] == ["review"]


def test_async_after_a_user_task_ends_it_and_waits_before_its_outgoing_flow(
    api: Api, db_url: str
) -> None:
    instance_id = start(api)
    execute(api, jobs_of(db_url, instance_id)[0].id)
    complete_only_task(api, instance_id, "review")
    complete_only_task(api, instance_id, "approve")

    assert task_keys(api, instance_id) == []
    (job,) = jobs_of(db_url, instance_id)
    assert job.priority == 7  # the process's camunda:jobPriority
    assert (job.activity_id, job.handler_configuration) == (
        "approve",
        "transition-notify-listener-take$Flow_toRoute",
    )
    # The task ended when it was completed, not when the job runs.
    ended = dict(activities(api, instance_id))
    assert ended["approve"] is True
    history = api.get("/history/task", processInstanceId=instance_id, taskDefinitionKey="approve")
    assert history.json()[0]["deleteReason"] == "completed"


def reach_the_gateway(api: Api, db_url: str, instance_id: str) -> str:
    execute(api, jobs_of(db_url, instance_id)[0].id)
    complete_only_task(api, instance_id, "review")
    complete_only_task(api, instance_id, "approve")
    execute(api, jobs_of(db_url, instance_id)[0].id)
    (job,) = jobs_of(db_url, instance_id)
    assert job.activity_id == "Route"
    return job.id


def test_an_async_gateway_decides_when_its_job_runs(api: Api, db_url: str) -> None:
    instance_id = start(api, amount=5000)
    job_id = reach_the_gateway(api, db_url, instance_id)
    assert task_keys(api, instance_id) == []
    # Its variable changes while the token waits: the gateway reads it when the job runs.
    changed = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/amount"),
        json={"value": 10, "type": "Integer"},
    )
    assert changed.status_code == 204, changed.text

    execute(api, job_id)

    assert task_keys(api, instance_id) == ["file"]
    assert ("Route", True) in activities(api, instance_id)


def test_a_continuation_that_fails_becomes_an_incident_and_goes_on_after_new_retries(
    api: Api, db_url: str
) -> None:
    """The gateway reads a variable that is missing: each run of the job fails, rolled
    back, one retry less, until a failedJob incident at 0; with the variable set and
    retries given back the job runs and the instance goes on."""
    instance_id = start(api)
    job_id = reach_the_gateway(api, db_url, instance_id)

    for retries_left in (2, 1, 0):
        failed = api.client.post(api.url(f"/job/{job_id}/execute"))
        assert failed.status_code == 500, failed.text
        assert "amount" in failed.json()["message"]
        job = api.get(f"/job/{job_id}").json()
        assert job["retries"] == retries_left
        assert "amount" in job["exceptionMessage"]
    assert task_keys(api, instance_id) == []
    (incident,) = api.get("/incident", processInstanceId=instance_id).json()
    assert (incident["incidentType"], incident["activityId"], incident["configuration"]) == (
        "failedJob",
        "Route",
        job_id,
    )

    set_amount = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/amount"),
        json={"value": 2000, "type": "Integer"},
    )
    assert set_amount.status_code == 204, set_amount.text
    retried = api.client.put(api.url(f"/job/{job_id}/retries"), json={"retries": 1})
    assert retried.status_code == 204, retried.text
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    execute(api, job_id)
    assert task_keys(api, instance_id) == ["pay"]
    assert jobs_of(db_url, instance_id) == []


def test_deleting_an_instance_held_by_a_continuation_removes_its_job(api: Api, db_url: str) -> None:
    instance_id = start(api)
    assert len(jobs_of(db_url, instance_id)) == 1
    deleted = api.client.delete(api.url(f"/process-instance/{instance_id}"))
    assert deleted.status_code == 204, deleted.text
    assert jobs_of(db_url, instance_id) == []


BRANCHES = (Path(__file__).parent.parent / "bpmn" / "async-branches.bpmn").read_bytes()


def test_continuations_on_parallel_branches_and_in_a_sub_process_each_wait_for_their_job(
    api: Api, db_url: str
) -> None:
    """A pass-through task and a user task in a sub-process, each after a fork: a job
    each, in its branch's execution (the sub-process's scope execution for the inner
    one); the branch whose job ran last takes the instance through the join."""
    deployed = api.post_parts(
        "/deployment/create", Part("data", BRANCHES, filename="async-branches.bpmn")
    )
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(api.url("/process-definition/key/asyncBranches/start"), json={})
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    jobs = {job.activity_id: job for job in jobs_of(db_url, instance_id)}
    assert set(jobs) == {"inner", "check"}
    assert jobs["inner"].execution_id != jobs["check"].execution_id
    assert instance_id not in {jobs["inner"].execution_id, jobs["check"].execution_id}
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    (sub,) = tree["childActivityInstances"]
    assert [t["activityId"] for t in sub["childTransitionInstances"]] == ["inner"]
    assert [t["activityId"] for t in tree["childTransitionInstances"]] == ["check"]

    execute(api, jobs["check"].id)
    assert [job.activity_id for job in jobs_of(db_url, instance_id)] == ["inner"]
    execute(api, jobs["inner"].id)
    assert task_keys(api, instance_id) == ["inner"]
    complete_only_task(api, instance_id, "inner")

    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"
    assert jobs_of(db_url, instance_id) == []


def start_variant(api: Api, old: str, new: str) -> str:
    """The review model with its start event changed."""
    model = MODEL.replace(old.encode(), new.encode())
    deployed = api.post_parts("/deployment/create", Part("data", model, filename="variant.bpmn"))
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(api.url("/process-definition/key/asyncReview/start"), json={})
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def test_async_before_the_start_event_holds_the_new_instance_before_it(
    api: Api, db_url: str
) -> None:
    instance_id = start_variant(
        api,
        '<bpmn:startEvent id="Received">',
        '<bpmn:startEvent id="Received" camunda:asyncBefore="true">',
    )
    (job,) = jobs_of(db_url, instance_id)
    assert (job.activity_id, job.handler_configuration, job.execution_id) == (
        "Received",
        "process-start",
        instance_id,
    )
    assert activities(api, instance_id) == []

    execute(api, job.id)

    assert activities(api, instance_id) == [("Received", True)]
    assert [job.activity_id for job in jobs_of(db_url, instance_id)] == ["review"]


def test_async_after_the_start_event_ends_it_and_holds_the_token_on_its_flow(
    api: Api, db_url: str
) -> None:
    instance_id = start_variant(
        api,
        '<bpmn:startEvent id="Received">',
        '<bpmn:startEvent id="Received" camunda:asyncAfter="true">',
    )
    (job,) = jobs_of(db_url, instance_id)
    assert (job.activity_id, job.handler_configuration) == (
        "Received",
        "transition-notify-listener-take$Flow_toReview",
    )
    assert activities(api, instance_id) == [("Received", True)]

    execute(api, job.id)

    # Recorded once, when the token stopped; the job only took the flow on.
    assert activities(api, instance_id) == [("Received", True)]
    assert [job.activity_id for job in jobs_of(db_url, instance_id)] == ["review"]


def test_suspending_an_instance_suspends_its_continuation_s_job(api: Api, db_url: str) -> None:
    instance_id = start(api)
    path = api.url(f"/process-instance/{instance_id}/suspended")
    for suspended in (True, False):
        answer = api.client.put(path, json={"suspended": suspended})
        assert answer.status_code == 204, answer.text
        assert [job.suspended for job in jobs_of(db_url, instance_id)] == [suspended]


BOUNDARIES = (Path(__file__).parent.parent / "bpmn" / "boundary-events.bpmn").read_bytes()


def test_boundary_events_of_a_task_held_before_it_are_armed_once_its_job_ran(
    api: Api, db_url: str
) -> None:
    """Camunda's boundary events belong to the activity's scope, which begins when the
    continuation's job runs it."""
    model = BOUNDARIES.replace(
        b'<bpmn:userTask id="review" />',
        b'<bpmn:userTask id="review" camunda:asyncBefore="true" />',
    )
    deployed = api.post_parts("/deployment/create", Part("data", model, filename="b.bpmn"))
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(api.url("/process-definition/key/reminders/start"), json={})
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    (job,) = jobs_of(db_url, instance_id)
    assert job.activity_id == "review"

    execute(api, job.id)

    assert task_keys(api, instance_id) == ["review"]
    assert {job.activity_id for job in jobs_of(db_url, instance_id)} == {"Late", "Remind"}
