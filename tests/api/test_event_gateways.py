"""An event-based gateway over HTTP: the token waits at the gateway with every branch's
event armed in its execution; the first fired wins (its event runs at once), the
others' rows go; back at the gateway, they are armed again."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, execute_job, fire, jobs, start, subscriptions
from tests.api_client import Api

FOURTEEN_DAYS = 14 * 24 * 3_600_000


def history(api: Api, instance_id: str) -> list[tuple[str, str]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"]) for a in found]


def tasks(api: Api, instance_id: str) -> list[str]:
    return [t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=instance_id).json()]


def test_the_token_waits_at_the_gateway_with_every_branch_armed(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "event-gateway.bpmn")
    instance_id = start(api, "paymentOrDeadline")
    (deadline,) = jobs(db_url, instance_id)
    assert (deadline.activity_id, deadline.handler_type) == (
        "Deadline",
        "timer-intermediate-transition",
    )
    assert deadline.due_date == deadline.create_time + FOURTEEN_DAYS
    assert deadline.execution_id == instance_id
    assert sorted(
        (s.event_type, s.event_name, s.activity_id) for s in subscriptions(db_url, instance_id)
    ) == [
        ("message", "paid", "Paid"),
        ("signal", "stop", "Stopped"),
    ]
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    assert [c["activityType"] for c in tree["childActivityInstances"]] == ["eventBasedGateway"]


def test_a_message_decides_the_gateway(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "event-gateway.bpmn")
    instance_id = start(api, "paymentOrDeadline")
    (paid,) = [s for s in subscriptions(db_url, instance_id) if s.activity_id == "Paid"]
    assert paid.wait_key is not None

    fire(db_url, instance_id, paid.wait_key)

    assert tasks(api, instance_id) == ["ship"]
    assert jobs(db_url, instance_id) == []
    assert subscriptions(db_url, instance_id) == []
    assert history(api, instance_id) == [
        ("Started", "startEvent"),
        ("Which", "eventBasedGateway"),
        ("Paid", "intermediateMessageCatch"),
        ("ship", "userTask"),
    ]


def test_a_timer_decides_the_gateway_and_coming_back_arms_it_again(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "event-gateway.bpmn")
    instance_id = start(api, "paymentOrDeadline")
    (deadline,) = jobs(db_url, instance_id)

    execute_job(db_url, deadline.id)

    assert tasks(api, instance_id) == ["remind"]
    assert jobs(db_url, instance_id) == []
    assert subscriptions(db_url, instance_id) == []
    assert history(api, instance_id)[1:4] == [
        ("Which", "eventBasedGateway"),
        ("Deadline", "intermediateTimer"),
        ("remind", "userTask"),
    ]
    (remind,) = api.get("/task", processInstanceId=instance_id).json()
    done = api.client.post(api.url(f"/task/{remind['id']}/complete"), json={})
    assert done.status_code == 204, done.text
    (again,) = jobs(db_url, instance_id)
    assert again.id != deadline.id
    assert len(subscriptions(db_url, instance_id)) == 2
