"""Signals thrown where the engine's parts meet: by a called instance while its caller's
step is still running (the caller's own waits among the receivers)."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start, subscriptions
from tests.api_client import Api


def test_a_signal_a_called_instance_throws_as_it_starts_reaches_its_callers_other_branch(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signal-from-called.bpmn")
    caller = start(api, "signalCaller")
    (prepare,) = api.get("/task", processInstanceId=caller).json()

    done = api.client.post(api.url(f"/task/{prepare['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    (go,) = api.get("/task", processInstanceId=caller).json()
    assert go["taskDefinitionKey"] == "go"
    assert subscriptions(db_url, caller) == []
    tree = api.get(f"/process-instance/{caller}/activity-instances").json()
    assert sorted(child["activityId"] for child in tree["childActivityInstances"]) == [
        "CallThrower",
        "go",
    ]
    (called,) = api.get("/process-instance", superProcessInstance=caller).json()
    (work,) = api.get("/task", processInstanceId=called["id"]).json()
    assert work["taskDefinitionKey"] == "childWork"
    # The caller goes on to its end once both branches do.
    for task in (go, work):
        ended = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
        assert ended.status_code == 204, ended.text
    assert api.get("/process-instance", processInstanceId=caller).json() == []


def test_a_signal_a_called_instance_throws_as_its_caller_starts_reaches_the_caller(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signal-from-called.bpmn")

    caller = start(api, "signalCallerAtStart")

    (go,) = api.get("/task", processInstanceId=caller).json()
    assert go["taskDefinitionKey"] == "goAtStart"
    assert subscriptions(db_url, caller) == []
    tree = api.get(f"/process-instance/{caller}/activity-instances").json()
    assert sorted(child["activityId"] for child in tree["childActivityInstances"]) == [
        "CallThrowerAtStart",
        "goAtStart",
    ]
