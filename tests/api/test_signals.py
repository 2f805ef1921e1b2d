"""Signals over HTTP: a signal throw event and a signal end event broadcast to every
subscription of their name (waiting instances, a definition's signal start event); a
broadcast from outside (as ``POST /signal`` will) carries its variables."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import broadcast_signal, deploy, start, subscriptions
from tests.api_client import Api


def history(api: Api, instance_id: str) -> list[tuple[str, str]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"]) for a in found]


def tasks(api: Api, key: str) -> list[str]:
    found = api.get("/task", taskDefinitionKey=key).json()
    return sorted(t["processInstanceId"] for t in found)


def test_a_thrown_signal_reaches_two_waiting_instances_and_its_end_event_starts_another(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting = sorted([start(api, "waitForGo"), start(api, "waitForGo")])
    assert [(s.event_type, s.event_name) for s in subscriptions(db_url, waiting[0])] == [
        ("signal", "go")
    ]
    sender = start(api, "sender")
    (send,) = api.get("/task", processInstanceId=sender).json()

    done = api.client.post(api.url(f"/task/{send['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert tasks(api, "afterGo") == waiting
    assert history(api, sender)[2:] == [
        ("Go", "intermediateSignalThrow"),
        ("Alerted", "signalEndEvent"),
    ]
    (alerted,) = api.get("/process-instance", processDefinitionKey="onAlert").json()
    assert history(api, alerted["id"]) == [
        ("AlertStart", "signalStartEvent"),
        ("investigate", "userTask"),
    ]
    assert subscriptions(db_url, waiting[0]) == []


def test_a_broadcast_fires_every_waiting_instance_with_its_variables(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting = sorted([start(api, "waitForGo"), start(api, "waitForGo")])

    broadcast_signal(db_url, "go", {"why": {"value": "ready", "type": "String"}})

    assert tasks(api, "afterGo") == waiting
    for instance_id in waiting:
        why = api.get(f"/process-instance/{instance_id}/variables/why").json()
        assert why["value"] == "ready"
    broadcast_signal(db_url, "nobody-listens")  # no subscription: nothing happens


def test_a_signal_thrown_on_one_branch_reaches_the_other_branch_of_the_same_instance(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signal-self.bpmn")
    instance_id = start(api, "selfSignal")
    (prepare,) = api.get("/task", processInstanceId=instance_id).json()

    done = api.client.post(api.url(f"/task/{prepare['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    assert tasks(api, "go") == [instance_id]
    assert subscriptions(db_url, instance_id) == []
    (go,) = api.get("/task", processInstanceId=instance_id).json()
    assert go["executionId"] == instance_id  # the scope's last branch, compacted


def test_a_suspended_instance_is_not_signalled(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "signals.bpmn")
    waiting, suspended = start(api, "waitForGo"), start(api, "waitForGo")
    put = api.client.put(
        api.url(f"/process-instance/{suspended}/suspended"), json={"suspended": True}
    )
    assert put.status_code == 204, put.text

    broadcast_signal(db_url, "go")

    assert tasks(api, "afterGo") == [waiting]
    assert len(subscriptions(db_url, suspended)) == 1
