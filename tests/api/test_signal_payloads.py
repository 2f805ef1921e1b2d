"""A signal throw or end event's ``camunda:in`` mappings, over HTTP: the variables and
business key it passes with its signal to the instances it starts and moves on, as
Camunda's ``ThrowSignalEventActivityBehavior`` evaluates its ``CallableElement``
payload in the throwing execution."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start
from tests.api_client import Api


def _variables(api: Api, instance_id: str) -> dict[str, Any]:
    found = api.get(f"/process-instance/{instance_id}/variables").json()
    return {name: (v["type"], v["value"]) for name, v in found.items()}


def _complete(api: Api, key: str, instance_id: str) -> None:
    (task,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey=key).json()
    answer = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
    assert answer.status_code == 204, answer.text


def test_a_thrown_signal_passes_its_mapped_variables_and_business_key(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "signal-payloads.bpmn")
    books = start(api, "books")
    announcer = start(
        api,
        "announcer",
        {"order": {"value": "A-17", "type": "String"}, "amount": {"value": 21, "type": "Integer"}},
    )

    _complete(api, "prepare", announcer)

    (started,) = api.get("/process-instance", processDefinitionKey="fulfilment").json()
    assert started["businessKey"] == "A-17"
    assert _variables(api, started["id"]) == {
        "orderId": ("String", "A-17"),
        "large": ("Boolean", True),
    }
    # The end event passes every variable to the waiting instance it moves on.
    assert _variables(api, books) == {
        "order": ("String", "A-17"),
        "amount": ("Integer", 21),
    }
    (book,) = api.get("/task", processInstanceId=books).json()
    assert book["taskDefinitionKey"] == "book"
