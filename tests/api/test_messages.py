"""POST /message and POST /signal moving real model runs on, through the REST API on
both databases: a receive task and an intermediate message catch event correlated by
business key and by correlation keys, ``all``, results with variables, a message start
event, a signal reaching two instances; each leaves its subscription behind it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.event_runs import deploy
from tests.api_client import Api


def start_payment(api: Api, business_key: str, **variables: Any) -> str:
    started = api.client.post(
        api.url("/process-definition/key/payment/start"),
        json={
            "businessKey": business_key,
            "variables": {name: {"value": value} for name, value in variables.items()},
        },
    )
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def deliver(api: Api, name: str, **dto: Any) -> Any:
    return api.client.post(api.url("/message"), json={"messageName": name, **dto})


def waits_in(api: Api, instance_id: str) -> list[tuple[str, str | None]]:
    """The instance's subscriptions, as (activity, event name)."""
    found = api.get("/event-subscription", processInstanceId=instance_id).json()
    return [(row["activityId"], row["eventName"]) for row in found]


@pytest.fixture
def payments(api: Api) -> tuple[str, str]:
    deploy(api, "message-waits.bpmn")
    return start_payment(api, "ORDER-1", order=1), start_payment(api, "ORDER-2", order=2)


def test_a_receive_task_waits_with_a_subscription(api: Api, payments: tuple[str, str]) -> None:
    first, _ = payments

    (row,) = api.get("/event-subscription", processInstanceId=first).json()
    assert (row["eventType"], row["eventName"], row["activityId"]) == (
        "message",
        "paid",
        "AwaitPayment",
    )
    assert row["executionId"] is not None


def test_a_message_by_business_key_moves_its_instance_on(
    api: Api, payments: tuple[str, str]
) -> None:
    first, second = payments

    response = deliver(
        api, "paid", businessKey="ORDER-2", processVariables={"amount": {"value": 30}}
    )

    assert response.status_code == 204, response.text
    assert waits_in(api, second) == [("Shipped", "shipped")]
    assert waits_in(api, first) == [("AwaitPayment", "paid")]
    amount = api.get(f"/process-instance/{second}/variables/amount").json()
    assert (amount["type"], amount["value"]) == ("Integer", 30)


def test_correlation_keys_pick_the_instance_whose_variable_matches(
    api: Api, payments: tuple[str, str]
) -> None:
    first, second = payments

    response = deliver(api, "paid", correlationKeys={"order": {"value": 1, "type": "Integer"}})

    assert response.status_code == 204, response.text
    assert waits_in(api, first) == [("Shipped", "shipped")]
    assert waits_in(api, second) == [("AwaitPayment", "paid")]


def test_all_moves_every_waiting_instance_and_returns_each_result_with_variables(
    api: Api, payments: tuple[str, str]
) -> None:
    first, second = payments

    response = deliver(
        api,
        "paid",
        all=True,
        resultEnabled=True,
        variablesInResultEnabled=True,
        processVariables={"paid": {"value": True}},
    )

    assert response.status_code == 200, response.text
    results = response.json()
    assert sorted(result["execution"]["processInstanceId"] for result in results) == sorted(
        [first, second]
    )
    for result in results:
        assert result["resultType"] == "Execution"
        assert result["processInstance"] is None
        assert result["variables"]["paid"] == {"type": "Boolean", "value": True, "valueInfo": {}}
        assert "order" in result["variables"]
    assert waits_in(api, first) == [("Shipped", "shipped")]
    assert waits_in(api, second) == [("Shipped", "shipped")]


def test_an_intermediate_catch_event_receives_the_next_message(
    api: Api, payments: tuple[str, str]
) -> None:
    first, _ = payments
    assert deliver(api, "paid", processInstanceId=first).status_code == 204

    response = deliver(api, "shipped", processInstanceId=first, resultEnabled=True)

    assert response.status_code == 200, response.text
    (result,) = response.json()
    assert (result["resultType"], result["execution"]["processInstanceId"]) == (
        "Execution",
        first,
    )
    assert waits_in(api, first) == [("Recall", "recall")]


def test_a_signal_reaches_every_instance_waiting_for_it(
    api: Api, payments: tuple[str, str]
) -> None:
    for instance in payments:
        assert deliver(api, "paid", processInstanceId=instance).status_code == 204
        assert deliver(api, "shipped", processInstanceId=instance).status_code == 204

    response = api.client.post(
        api.url("/signal"), json={"name": "recall", "variables": {"why": {"value": "batch"}}}
    )

    assert response.status_code == 204, response.text
    for instance in payments:
        assert waits_in(api, instance) == []
        (task,) = api.get("/task", processInstanceId=instance).json()
        assert task["taskDefinitionKey"] == "Archive"
        why = api.get(f"/process-instance/{instance}/variables/why").json()
        assert why["value"] == "batch"


def test_a_message_start_event_starts_an_instance(api: Api) -> None:
    deploy(api, "message-start.bpmn")

    response = deliver(
        api,
        "orderPlaced",
        businessKey="ORDER-9",
        resultEnabled=True,
        processVariables={"customer": {"value": "ada"}},
    )

    assert response.status_code == 200, response.text
    (result,) = response.json()
    instance = result["processInstance"]
    assert (result["resultType"], result["execution"]) == ("ProcessDefinition", None)
    assert (instance["businessKey"], instance["ended"]) == ("ORDER-9", False)
    (task,) = api.get("/task", processInstanceId=instance["id"]).json()
    assert task["taskDefinitionKey"] == "Review"
    customer = api.get(f"/process-instance/{instance['id']}/variables/customer").json()
    assert customer["value"] == "ada"


def test_local_payload_lands_on_the_receiving_execution(
    api: Api, payments: tuple[str, str]
) -> None:
    """In a process without parallel branches the receiving execution is the instance's
    own, as in Camunda: its local variables are the instance's."""
    first, _ = payments

    response = deliver(
        api, "paid", processInstanceId=first, processVariablesLocal={"note": {"value": "ok"}}
    )

    assert response.status_code == 204, response.text
    note = api.get(f"/process-instance/{first}/variables/note").json()
    assert note["value"] == "ok"


def test_a_message_boundary_event_interrupts_its_user_task(api: Api) -> None:
    deploy(api, "message-boundary.bpmn")
    started = api.client.post(
        api.url("/process-definition/key/cancellable/start"), json={"businessKey": "ORDER-3"}
    )
    instance = started.json()["id"]
    assert waits_in(api, instance) == [("Cancelled", "cancel")]

    response = deliver(api, "cancel", businessKey="ORDER-3")

    assert response.status_code == 204, response.text
    (task,) = api.get("/task", processInstanceId=instance).json()
    assert task["taskDefinitionKey"] == "Refund"
    assert waits_in(api, instance) == []
