"""Timer, message and signal start events over HTTP: deployed, each is a row of the
definition's (a timer-start-event job, an event subscription), replaced when a new
version is deployed; an instance started there begins at that event; the REST start
begins at the none start event, and is refused where there is none."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import (
    definition_jobs,
    definition_subscriptions,
    deploy,
    execute_job,
    start,
    start_at_event,
)
from tests.api_client import Api

HOUR = 3_600_000


def history(api: Api, instance_id: str) -> list[tuple[str, str]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"]) for a in found]


def test_deploying_arms_the_start_events_and_a_new_version_replaces_them(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "start-events.bpmn")
    first = {d["key"]: d["id"] for d in api.get("/process-definition").json()}
    assert definition_subscriptions(db_url) == [
        ("message", "order", "ByMessage", first["orders"]),
        ("signal", "alert", "OnAlert", first["alerts"]),
    ]
    (timer,) = definition_jobs(db_url, "hourly")
    assert (timer.handler_type, timer.activity_id, timer.execution_id) == (
        "timer-start-event",
        "EveryHour",
        None,
    )
    assert timer.due_date == timer.create_time + HOUR

    deploy(api, "start-events.bpmn")  # a second version of each
    latest = {
        d["key"]: d["id"] for d in api.get("/process-definition", latestVersion="true").json()
    }
    assert definition_subscriptions(db_url) == [
        ("message", "order", "ByMessage", latest["orders"]),
        ("signal", "alert", "OnAlert", latest["alerts"]),
    ]
    (again,) = definition_jobs(db_url, "hourly")
    assert again.id != timer.id


def test_the_rest_start_begins_at_the_none_start_event_and_an_event_at_its_own(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "start-events.bpmn")
    by_hand = start(api, "orders")
    by_message = start_at_event(db_url, "orders", "ByMessage", business_key="o-1")

    assert history(api, by_hand) == [("ByHand", "startEvent"), ("handle", "userTask")]
    assert history(api, by_message) == [("ByMessage", "messageStartEvent"), ("handle", "userTask")]
    started = api.get(f"/history/process-instance/{by_message}").json()
    assert (started["startActivityId"], started["businessKey"]) == ("ByMessage", "o-1")
    assert len(api.get("/task", processInstanceId=by_message).json()) == 1


def test_a_definition_without_a_none_start_event_is_not_started_by_rest(client: Any) -> None:
    api = Api(client)
    deploy(api, "start-events.bpmn")
    refused = api.client.post(api.url("/process-definition/key/alerts/start"), json={})
    assert refused.status_code == 400, refused.text
    assert "initial activity" in refused.json()["message"]
    assert api.get("/process-instance", processDefinitionKey="alerts").json() == []


def test_a_timer_start_cycle_starts_an_instance_each_repetition(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "start-events.bpmn")
    (timer,) = definition_jobs(db_url, "hourly")

    execute_job(db_url, timer.id)

    (moved,) = definition_jobs(db_url, "hourly")
    assert moved.id == timer.id
    assert timer.due_date is not None
    assert moved.due_date == timer.due_date + HOUR
    (instance,) = api.get("/process-instance", processDefinitionKey="hourly").json()
    assert history(api, instance["id"]) == [("EveryHour", "startTimerEvent"), ("check", "userTask")]

    execute_job(db_url, timer.id)  # R2: the last repetition
    assert definition_jobs(db_url, "hourly") == []
    assert len(api.get("/process-instance", processDefinitionKey="hourly").json()) == 2


def test_deleting_the_latest_deployment_gives_the_start_events_back_to_the_previous_version(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "start-events.bpmn")
    first = {d["key"]: d["id"] for d in api.get("/process-definition").json()}
    deploy(api, "start-events.bpmn")
    (second,) = {
        d["deploymentId"]
        for d in api.get("/process-definition", latestVersion="true").json()
        if d["key"] in first
    }

    deleted = api.client.delete(api.url(f"/deployment/{second}"))

    assert deleted.status_code == 204, deleted.text
    # Camunda's DeleteProcessDefinitionsByIdsCmd: the new latest version's start events
    # are armed again (BpmnDeployer.addEventSubscriptions, addTimerDeclarations).
    assert definition_subscriptions(db_url) == [
        ("message", "order", "ByMessage", first["orders"]),
        ("signal", "alert", "OnAlert", first["alerts"]),
    ]
    (timer,) = definition_jobs(db_url, "hourly")
    assert timer.handler_type == "timer-start-event"
    correlated = api.client.post(api.url("/message"), json={"messageName": "order"})
    assert correlated.status_code == 204, correlated.text
    (started,) = api.get("/process-instance", processDefinitionKey="orders").json()
    assert started["definitionId"] == first["orders"]
