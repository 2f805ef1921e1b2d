"""A signal with a ``camunda:in`` payload thrown by a called instance while its caller's
step runs (ThrownSignal deferred to the caller's step): the payload and business key
reach the waits, and a conditional event the delivered variables make true fires."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start
from tests.api_client import Api


def _variables(api: Api, instance_id: str) -> dict[str, Any]:
    found = api.get(f"/process-instance/{instance_id}/variables").json()
    return {name: (v["type"], v["value"]) for name, v in found.items()}


def test_a_called_instances_signal_payload_reaches_waits_and_makes_a_condition_true(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "signal-payload-from-called.bpmn")
    waiter = start(api, "payloadWaiter")
    caller = start(api, "payloadCaller", {"order": {"value": "A-17", "type": "String"}})
    (prepare,) = api.get("/task", processInstanceId=caller).json()

    done = api.client.post(api.url(f"/task/{prepare['id']}/complete"), json={})

    assert done.status_code == 204, done.text
    (started,) = api.get("/process-instance", processDefinitionKey="payloadStarted").json()
    assert started["businessKey"] == "A-17"
    assert _variables(api, started["id"]) == {"orderId": ("String", "A-17")}
    assert _variables(api, waiter) == {"orderId": ("String", "A-17")}
    keys = sorted(t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=waiter).json())
    assert keys == ["afterCondition", "afterSignal"]
