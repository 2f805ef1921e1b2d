"""Conditional events over HTTP: an intermediate conditional catch event passed at once
when its condition holds, else waiting until a variable write makes it true (as
Camunda's ``IntermediateConditionalEventBehavior``), filtered by ``camunda:variableName``
and ``camunda:variableEvents``; conditional boundary events on a user task, interrupting
or not (``BoundaryConditionalEventActivityBehavior``), evaluated as their task starts
too; conditional start events of event sub-processes
(``EventSubProcessStartConditionalEventActivityBehavior``)."""

from __future__ import annotations

from typing import Any

from tests.api.event_runs import deploy, start, subscriptions
from tests.api_client import Api


def _int(value: int) -> dict[str, Any]:
    return {"value": value, "type": "Integer"}


def tasks(api: Api, instance_id: str) -> list[str]:
    found = api.get("/task", processInstanceId=instance_id).json()
    return sorted(t["taskDefinitionKey"] for t in found)


def task_id(api: Api, instance_id: str, key: str) -> str:
    (found,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey=key).json()
    return str(found["id"])


def put_variable(api: Api, instance_id: str, name: str, value: dict[str, Any]) -> None:
    answer = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/{name}"), json=value
    )
    assert answer.status_code == 204, answer.text


def test_a_condition_true_on_arrival_lets_the_token_pass_at_once(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(20)})
    assert tasks(api, instance_id) == ["count", "ship"]
    assert subscriptions(db_url, instance_id) == []


def test_an_instance_whose_condition_holds_at_once_is_answered_as_ended(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    opened = api.client.post(
        api.url("/process-definition/key/gate/start"),
        json={"variables": {"open": {"value": True, "type": "Boolean"}}},
    )
    closed = api.client.post(
        api.url("/process-definition/key/gate/start"),
        json={"variables": {"open": {"value": False, "type": "Boolean"}}},
    )
    assert (opened.json()["ended"], closed.json()["ended"]) == (True, False)
    assert api.get(f"/process-instance/{opened.json()['id']}").status_code == 404


def test_a_waiting_condition_is_met_by_setting_a_process_variable(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(3)})
    assert tasks(api, instance_id) == ["count"]
    assert [
        (s.event_type, s.event_name, s.activity_id) for s in subscriptions(db_url, instance_id)
    ] == [("conditional", None, "Restocked")]
    (listed,) = api.get("/event-subscription", eventType="conditional").json()
    assert (listed["eventName"], listed["activityId"], listed["processInstanceId"]) == (
        None,
        "Restocked",
        instance_id,
    )

    put_variable(api, instance_id, "stock", _int(11))

    assert tasks(api, instance_id) == ["count", "ship"]
    assert subscriptions(db_url, instance_id) == []


def test_a_condition_that_stays_false_fires_nothing(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock")  # no stock at all: false, not an error

    put_variable(api, instance_id, "stock", _int(10))

    assert tasks(api, instance_id) == ["count"]
    assert len(subscriptions(db_url, instance_id)) == 1


def test_completing_another_task_with_variables_meets_the_condition(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(0)})

    answer = api.client.post(
        api.url(f"/task/{task_id(api, instance_id, 'count')}/complete"),
        json={"variables": {"stock": _int(40)}},
    )

    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["ship"]


def test_a_variable_the_event_does_not_name_does_not_evaluate_it(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(0)})
    # The condition would hold now, but camunda:variableName="stock" listens to stock only.
    api.client.put(api.url(f"/process-instance/{instance_id}/variables/other"), json=_int(1))
    answer = api.client.post(
        api.url(f"/process-instance/{instance_id}/variables"),
        json={"modifications": {"other": _int(2)}},
    )
    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["count"]

    put_variable(api, instance_id, "stock", _int(12))
    assert tasks(api, instance_id) == ["count", "ship"]


def test_an_interrupting_conditional_boundary_cancels_its_task(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "watched", {"withdrawn": {"value": False, "type": "Boolean"}})
    assert [s.activity_id for s in subscriptions(db_url, instance_id)] == ["Withdrawn", "Urgent"]

    put_variable(api, instance_id, "withdrawn", {"value": True, "type": "Boolean"})

    assert tasks(api, instance_id) == ["archive"]
    assert subscriptions(db_url, instance_id) == []


def test_a_non_interrupting_conditional_boundary_fires_beside_its_task_on_updates_only(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "watched", {"withdrawn": {"value": False, "type": "Boolean"}})

    # camunda:variableEvents="update": creating priority does not evaluate the condition.
    put_variable(api, instance_id, "priority", _int(90))
    assert tasks(api, instance_id) == ["review"]

    put_variable(api, instance_id, "priority", _int(95))
    assert tasks(api, instance_id) == ["notify", "review"]
    assert sorted(s.activity_id for s in subscriptions(db_url, instance_id)) == [
        "Urgent",
        "Withdrawn",
    ]


def test_a_condition_that_cannot_be_evaluated_answers_400_and_writes_nothing(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(0)})

    answer = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/stock"),
        json={"value": "many", "type": "String"},
    )

    assert answer.status_code == 400, answer.text
    assert answer.json()["type"] == "ProcessEngineException"
    assert "Restocked" in answer.json()["message"]
    stock = api.get(f"/process-instance/{instance_id}/variables/stock").json()
    assert stock["value"] == 0
    assert tasks(api, instance_id) == ["count"]


def test_a_conditional_boundary_true_as_its_task_starts_fires_at_once(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "watched", {"withdrawn": {"value": True, "type": "Boolean"}})
    assert tasks(api, instance_id) == ["archive"]
    assert subscriptions(db_url, instance_id) == []


def test_a_non_interrupting_conditional_event_sub_process_starts_on_each_write(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "guarded")
    assert sorted(s.activity_id for s in subscriptions(db_url, instance_id)) == [
        "Cancelled",
        "Noted",
    ]

    put_variable(api, instance_id, "note", {"value": "hi", "type": "String"})
    put_variable(api, instance_id, "note", {"value": "again", "type": "String"})

    assert tasks(api, instance_id) == ["read", "read", "work"]


def test_an_interrupting_conditional_event_sub_process_cancels_its_scope(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "guarded", {"cancel": {"value": False, "type": "Boolean"}})
    assert tasks(api, instance_id) == ["work"]

    put_variable(api, instance_id, "cancel", {"value": True, "type": "Boolean"})

    assert tasks(api, instance_id) == ["refund"]
    assert subscriptions(db_url, instance_id) == []


def test_a_tasks_own_variable_concerns_no_condition(client: Any, db_url: str) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(0)})
    count = task_id(api, instance_id, "count")

    answer = api.client.put(api.url(f"/task/{count}/localVariables/stock"), json=_int(50))
    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["count"]

    answer = api.client.delete(api.url(f"/task/{count}/localVariables/stock"))
    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["count"]

    # Set through the task but held by the instance: it does.
    answer = api.client.put(api.url(f"/task/{count}/variables/stock"), json=_int(50))
    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["count", "ship"]


def test_an_event_based_gateway_takes_its_conditional_branch_when_it_holds(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    at_once = start(api, "either", {"approved": {"value": True, "type": "Boolean"}})
    waiting = start(api, "either", {"approved": {"value": False, "type": "Boolean"}})
    assert tasks(api, at_once) == ["deliver"]
    assert sorted(s.activity_id for s in subscriptions(db_url, waiting)) == [
        "Approved",
        "Reminded",
    ]

    put_variable(api, waiting, "approved", {"value": True, "type": "Boolean"})

    assert tasks(api, waiting) == ["deliver"]
    assert subscriptions(db_url, waiting) == []


def test_a_conditional_event_sub_process_of_a_called_instance_starts_as_a_direct_ones(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    deploy(api, "conditional-called.bpmn")
    note = {"note": {"value": "hi", "type": "String"}}
    direct = start(api, "guarded", note)
    caller = start(api, "callsGuarded", note)

    answer = api.client.post(api.url(f"/task/{task_id(api, caller, 'prepareCall')}/complete"))

    assert answer.status_code == 204, answer.text
    (called,) = api.get("/process-instance", superProcessInstance=caller).json()
    assert tasks(api, called["id"]) == tasks(api, direct)
    put_variable(api, called["id"], "note", {"value": "again", "type": "String"})
    put_variable(api, direct, "note", {"value": "again", "type": "String"})
    assert tasks(api, called["id"]) == tasks(api, direct)
    assert "read" in tasks(api, direct)
    put_variable(api, called["id"], "cancel", {"value": True, "type": "Boolean"})
    assert tasks(api, called["id"]) == ["refund"]


def test_a_correlated_messages_variables_make_a_waiting_condition_true(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-called.bpmn")
    instance_id = start(api, "restockWaiter", {"stock": _int(0)})

    answer = api.client.post(
        api.url("/message"),
        json={"messageName": "restock", "processVariables": {"stock": _int(50)}},
    )

    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["afterMessage", "ship"]


def test_an_execution_local_variable_makes_the_condition_waiting_there_true(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-called.bpmn")
    instance_id = start(api, "scopedWait", {"ready": {"value": False, "type": "Boolean"}})
    (waiting,) = subscriptions(db_url, instance_id)
    execution_id = api.get(
        "/event-subscription", processInstanceId=instance_id, eventType="conditional"
    ).json()[0]["executionId"]
    assert execution_id != instance_id, waiting

    answer = api.client.put(
        api.url(f"/execution/{execution_id}/localVariables/ready"),
        json={"value": True, "type": "Boolean"},
    )

    assert answer.status_code == 204, answer.text
    assert tasks(api, instance_id) == ["go"]


def _statements_of_put(db_url: str, resource: Any, scope_id: str) -> list[str]:
    from taskvars.persistence.unit_of_work import Database
    from taskvars.services import variables
    from tests.statement_counter import counting

    database = Database(db_url)
    try:
        # Counted through SQLAlchemy and raw on its connections alike.
        with counting(database) as counted:
            database.write(lambda uow: variables.put(uow, resource, scope_id, "stock", _int(50)))
    finally:
        database.dispose()
    return counted.statements


def test_a_tasks_own_variable_costs_no_look_for_conditional_events(
    client: Any, db_url: str
) -> None:
    from taskvars.services.variables import TASK_LOCAL_VARIABLES, TASK_VARIABLES

    api = Api(client)
    deploy(api, "conditional-events.bpmn")
    instance_id = start(api, "stock", {"stock": _int(0)})
    count = task_id(api, instance_id, "count")
    created = api.client.post(api.url("/task/create"), json={"id": "standalone-1"})
    assert created.status_code == 204, created.text

    for task in (count, "standalone-1"):
        statements = _statements_of_put(db_url, TASK_LOCAL_VARIABLES, task)
        assert not [s for s in statements if "event_subscription" in s], task
    # A write that can reach the instance's variables does look.
    statements = _statements_of_put(db_url, TASK_VARIABLES, count)
    assert [s for s in statements if "event_subscription" in s], statements


def test_a_called_instance_whose_condition_holds_at_once_lets_its_caller_end_in_the_answer(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-called.bpmn")

    answer = api.client.post(
        api.url("/process-definition/key/callsPassing/start"),
        json={"variables": {"go": {"value": True, "type": "Boolean"}}},
    )

    assert answer.status_code == 200, answer.text
    assert api.get("/process-instance", processDefinitionKey="passing").json() == []
    assert api.get("/process-instance", processDefinitionKey="callsPassing").json() == []
    assert answer.json()["ended"] is True


def test_an_execution_local_variable_written_over_rest_is_in_the_history(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    deploy(api, "conditional-called.bpmn")
    instance_id = start(api, "scopedWait", {"ready": {"value": False, "type": "Boolean"}})
    execution_id = api.get(
        "/event-subscription", processInstanceId=instance_id, eventType="conditional"
    ).json()[0]["executionId"]

    answer = api.client.put(
        api.url(f"/execution/{execution_id}/localVariables/note"),
        json={"value": "n", "type": "String"},
    )

    assert answer.status_code == 204, answer.text
    found = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    assert sorted(v["name"] for v in found) == ["note", "ready"]
