"""Intermediate timer, message and signal catch events and receive tasks, over HTTP:
a token reaching one arms it (a timer job, an event subscription), firing it moves the
token on and removes what was armed; history names each as Camunda's activityType."""

from __future__ import annotations

from typing import Any

from taskvars.services.dates import epoch_millis, now_millis
from tests.api.event_runs import deploy, execute_job, fire, jobs, start, subscriptions
from tests.api_client import Api

FIVE_MINUTES = 5 * 60_000


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def tasks(api: Api, instance_id: str) -> list[str]:
    return [t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=instance_id).json()]


def test_an_intermediate_timer_arms_a_job_due_after_its_duration_and_fires_it(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "catch-events.bpmn")
    before = epoch_millis(now_millis())
    instance_id = start(api, "waitForTimer", {"pause": {"value": "PT5M", "type": "String"}})
    (job,) = jobs(db_url, instance_id)
    assert (job.handler_type, job.activity_id) == ("timer-intermediate-transition", "Pause")
    assert job.execution_id == instance_id
    assert job.due_date is not None
    assert before + FIVE_MINUTES <= job.due_date <= job.create_time + FIVE_MINUTES
    assert tasks(api, instance_id) == []
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    assert [child["activityType"] for child in tree["childActivityInstances"]] == [
        "intermediateTimer"
    ]

    execute_job(db_url, job.id)

    assert jobs(db_url, instance_id) == []
    assert tasks(api, instance_id) == ["afterPause"]
    assert history(api, instance_id)[:3] == [
        ("Started", "startEvent", False),
        ("Pause", "intermediateTimer", False),
        ("afterPause", "userTask", False),
    ]


def test_a_timer_whose_expression_is_no_duration_fails_the_start(client: Any) -> None:
    api = Api(client)
    deploy(api, "catch-events.bpmn")
    started = api.client.post(
        api.url("/process-definition/key/waitForTimer/start"),
        json={"variables": {"pause": {"value": "soon", "type": "String"}}},
    )
    assert started.status_code == 400, started.text
    assert "Pause" in started.json()["message"]
    assert api.get("/process-instance", processDefinitionKey="waitForTimer").json() == []


def test_messages_and_a_signal_are_subscribed_in_turn_and_fired_with_variables(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "catch-events.bpmn")
    instance_id = start(api, "waitForMessages", {"orderId": {"value": "A7", "type": "String"}})
    (paid,) = subscriptions(db_url, instance_id)
    assert (paid.event_type, paid.event_name, paid.activity_id) == ("message", "paid", "Paid")
    assert paid.execution_id == instance_id
    assert paid.wait_key is not None

    fire(db_url, instance_id, paid.wait_key, variables={"amount": {"value": 12, "type": "Integer"}})

    # The receive task's message name is an expression, evaluated as it is armed.
    (shipped,) = subscriptions(db_url, instance_id)
    assert (shipped.event_name, shipped.activity_id) == ("shipped-A7", "Shipped")
    assert shipped.wait_key is not None
    amount = api.get(f"/process-instance/{instance_id}/variables/amount").json()
    assert amount["value"] == 12
    fire(db_url, instance_id, shipped.wait_key)
    (alarm,) = subscriptions(db_url, instance_id)
    assert (alarm.event_type, alarm.event_name) == ("signal", "alarm")
    assert alarm.wait_key is not None
    fire(db_url, instance_id, alarm.wait_key)

    assert subscriptions(db_url, instance_id) == []
    assert tasks(api, instance_id) == ["afterMessages"]
    assert [(a, t) for a, t, _ in history(api, instance_id)[1:4]] == [
        ("Paid", "intermediateMessageCatch"),
        ("Shipped", "receiveTask"),
        ("Alarm", "intermediateSignalCatch"),
    ]


def test_deleting_an_instance_removes_its_armed_timer(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "catch-events.bpmn")
    instance_id = start(api, "waitForTimer", {"pause": {"value": "PT1H", "type": "String"}})
    assert len(jobs(db_url, instance_id)) == 1
    deleted = api.client.delete(api.url(f"/process-instance/{instance_id}"))
    assert deleted.status_code == 204, deleted.text
    assert history(api, instance_id)[1] == ("Pause", "intermediateTimer", True)
