"""Features of issue 24 where they meet: input/output mappings, call activities,
multi-instance and stand-ins combined in one model, run over HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, func, select

from taskvars.cli import main
from taskvars.persistence import models
from tests.api.test_call_activities import deploy, instances, variables_of
from tests.api.test_multi_instance import java_list
from tests.api.test_stand_ins import UseStandIns, use_stand_ins  # noqa: F401
from tests.api_client import Api


def start(api: Api, key: str, variables: dict[str, Any] | None = None) -> str:
    response = api.client.post(
        api.url(f"/process-definition/key/{key}/start"), json={"variables": variables or {}}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def tasks(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/task", **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def complete(api: Api, task_id: str, **variables: Any) -> None:
    body = {"variables": {name: {"value": v} for name, v in variables.items()}}
    response = api.client.post(api.url(f"/task/{task_id}/complete"), json=body)
    assert response.status_code == 204, response.text


def fetch(api: Api, topic: str, count: int = 10) -> list[dict[str, Any]]:
    body = {
        "workerId": "w",
        "maxTasks": count,
        "topics": [{"topicName": topic, "lockDuration": 60_000}],
    }
    response = api.client.post(api.url("/external-task/fetchAndLock"), json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_a_multi_instance_call_passes_each_called_instance_s_outputs_back(api: Api) -> None:
    deploy(api, "combo-worker.bpmn")
    deploy(api, "combo-mi-caller.bpmn")
    instance_id = start(api, "miCaller", {"items": java_list(["a", "b"])})
    work = fetch(api, "work")
    assert len(work) == 2
    for task in work:
        response = api.client.post(
            api.url(f"/external-task/{task['id']}/complete"),
            json={"workerId": "w", "variables": {"result": {"value": task["id"]}}},
        )
        assert response.status_code == 204, response.text
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "after"
    assert variables_of(api, instance_id)["result"] == work[1]["id"]


def test_an_error_from_a_called_instance_is_caught_on_the_multi_instance_call(api: Api) -> None:
    deploy(api, "combo-worker.bpmn")
    deploy(api, "combo-mi-caller.bpmn")
    instance_id = start(api, "miCaller", {"items": java_list(["a", "b"])})
    work = fetch(api, "work")
    response = api.client.post(
        api.url(f"/external-task/{work[0]['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "BAD"},
    )
    assert response.status_code == 204, response.text
    assert [i["id"] for i in instances(api)] == [instance_id]
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id)["why"] == "BAD"
    assert api.get("/external-task").json() == []


ROWS = ("Task", "ExternalTask", "Variable", "Scope", "ProcessRun", "ProcessInstance")


def row_counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    counts = {}
    with engine.connect() as connection:
        for name in ROWS:
            model = getattr(models, name)
            counts[name] = connection.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return counts


def test_deleting_a_caller_with_running_multi_instance_calls_leaves_no_row(
    api: Api, db_url: str
) -> None:
    deploy(api, "combo-worker.bpmn")
    deploy(api, "combo-mi-caller.bpmn")
    instance_id = start(api, "miCaller", {"items": java_list(["a", "b", "c"])})
    fetch(api, "work", 1)
    response = api.client.delete(api.url(f"/process-instance/{instance_id}"))
    assert response.status_code == 204, response.text
    assert instances(api) == []
    assert api.get("/external-task").json() == []
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)
    history = api.get("/history/process-instance").json()
    assert sorted(h["state"] for h in history) == ["EXTERNALLY_TERMINATED"] * 4
    running = api.get("/history/activity-instance", unfinished="true").json()
    assert running == []
    assert main(["check", "--database-url", db_url]) == 0  # nothing orphaned


def test_a_stood_in_error_in_a_called_process_is_caught_on_the_call_activity(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "DECLINED"}}})
    deploy(api, "combo-stood-in-called.bpmn")
    instance_id = start(api, "codedCaller")
    (first,) = tasks(api, processInstanceId=instance_id)
    complete(api, first["id"])
    assert [i["id"] for i in instances(api)] == [instance_id]
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id)["why"] == "DECLINED"
    (called,) = api.get("/history/process-instance", superProcessInstanceId=instance_id).json()
    assert called["state"] == "INTERNALLY_TERMINATED"
    (charge,) = api.get("/history/activity-instance", activityId="charge").json()
    assert charge["canceled"] is True
    (call,) = api.get("/history/activity-instance", activityId="call").json()
    assert call["canceled"] is True
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


STAND_INS_MI = {
    "class": {
        "org.example.Note": {"set": {"noted": True}},
        "org.example.Ship": {"external-topic": "ship"},
    }
}


def test_mapped_and_stood_in_tasks_run_in_each_instance_of_a_sub_process(
    api: Api,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins(STAND_INS_MI)
    deploy(api, "combo-mi-sub.bpmn")
    instance_id = start(api, "miSub", {"items": java_list(["a", "b"])})
    looks = tasks(api, processInstanceId=instance_id)
    assert sorted(t["assignee"] for t in looks) == ["a-0", "b-1"]
    for task in looks:
        complete(api, task["id"])
    shipping = fetch(api, "ship")
    assert len(shipping) == 2
    for task in shipping:
        response = api.client.post(
            api.url(f"/external-task/{task['id']}/complete"), json={"workerId": "w"}
        )
        assert response.status_code == 204, response.text
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "after"
    values = variables_of(api, instance_id)
    assert values["noted"] is True
    assert values["seen"] in ("a-0", "b-1")


def test_deleting_an_instance_inside_a_multi_instance_sub_process_leaves_no_row(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins(STAND_INS_MI)
    deploy(api, "combo-mi-sub.bpmn")
    instance_id = start(api, "miSub", {"items": java_list(["a", "b", "c"])})
    looks = tasks(api, processInstanceId=instance_id)
    complete(api, looks[0]["id"])  # one instance waits at its external task
    assert len(fetch(api, "ship")) == 1
    response = api.client.delete(api.url(f"/process-instance/{instance_id}"))
    assert response.status_code == 204, response.text
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)
    assert api.get("/history/activity-instance", unfinished="true").json() == []
    history = api.get("/history/task", processInstanceId=instance_id).json()
    assert sorted(t["deleteReason"] for t in history) == ["completed", "deleted", "deleted"]
    assert main(["check", "--database-url", db_url]) == 0  # nothing orphaned


def test_a_cardinality_and_completion_condition_may_read_the_execution(api: Api) -> None:
    """Camunda evaluates both against an execution (``getValue(execution)``)."""
    deploy(api, "combo-mi-execution.bpmn")
    instance_id = start(api, "miExec", {"n": {"value": 3}})
    each = tasks(api, processInstanceId=instance_id)
    assert len(each) == 3
    complete(api, each[0]["id"], done=True)
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "after"


def test_deleting_a_called_instance_cancels_the_scopes_left_empty_up_to_the_caller(
    api: Api,
) -> None:
    """Camunda cancels the call activity's instance as a modification does
    (``AbstractDeleteProcessInstanceCmd``): each scope left without children goes too
    (``AbstractInstanceCancellationCmd``), here the sub-process and then the caller."""
    deploy(api, "call-review.bpmn")
    deploy(api, "combo-call-in-sub-process.bpmn")
    caller_id = start(api, "callInSub", {"reviewer": {"value": "ann"}})
    (called,) = instances(api, superProcessInstance=caller_id)

    response = api.client.delete(api.url(f"/process-instance/{called['id']}"))

    assert response.status_code == 204, response.text
    assert instances(api) == []
    caller = api.get(f"/history/process-instance/{caller_id}").json()
    assert caller["state"] == "EXTERNALLY_TERMINATED"
    ended = api.get("/history/activity-instance", processInstanceId=caller_id).json()
    assert {a["activityId"]: a["canceled"] for a in ended if a["activityId"] != "s"} == {
        "wrap": True,
        "ws": False,
        "call": True,
    }


def test_a_stood_in_error_in_a_called_instance_s_own_step_is_caught_on_the_call(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    """The caller waits in a step of its own: the error goes up as a worker's would."""
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "DECLINED"}}})
    deploy(api, "combo-stood-in-called-later.bpmn")
    instance_id = start(api, "codedLaterCaller")
    (called,) = instances(api, superProcessInstance=instance_id)
    (prepare,) = tasks(api, processInstanceId=called["id"])

    complete(api, prepare["id"])

    assert [i["id"] for i in instances(api)] == [instance_id]
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id)["why"] == "DECLINED"
    ended = api.get(f"/history/process-instance/{called['id']}").json()
    assert ended["state"] == "INTERNALLY_TERMINATED"
    (prepared,) = api.get("/history/task", processInstanceId=called["id"]).json()
    assert prepared["deleteReason"] == "completed"
    assert api.get("/history/activity-instance", unfinished="true").json() == [
        api.get("/history/activity-instance", activityId="fix").json()[0]
    ]
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


def test_a_completion_condition_met_in_a_called_instance_s_step_ends_the_other_calls(
    api: Api, db_url: str
) -> None:
    deploy(api, "call-review.bpmn")
    deploy(api, "combo-mi-call-early.bpmn")
    instance_id = start(api, "miCallEarly", {"reviewers": java_list(["ann", "bob"])})
    called = instances(api, superProcessInstance=instance_id)
    assert len(called) == 2
    (first,) = tasks(api, processInstanceId=called[0]["id"])

    complete(api, first["id"])

    assert [i["id"] for i in instances(api)] == [instance_id]
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "after"
    states = {
        h["id"]: h["state"]
        for h in api.get("/history/process-instance", superProcessInstanceId=instance_id).json()
    }
    assert states == {called[0]["id"]: "COMPLETED", called[1]["id"]: "INTERNALLY_TERMINATED"}
    complete(api, after["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


def test_a_stood_in_error_in_one_instance_of_a_sub_process_interrupts_the_body(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "DECLINED"}}})
    deploy(api, "combo-mi-sub-error.bpmn")
    instance_id = start(api, "miSubError", {"items": java_list(["a", "b", "c"])})
    looks = tasks(api, processInstanceId=instance_id)

    complete(api, looks[0]["id"])

    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id) == {"items": ["a", "b", "c"], "why": "DECLINED"}
    deleted = api.get("/history/task", processInstanceId=instance_id, taskDefinitionKey="look")
    assert sorted(t["deleteReason"] for t in deleted.json()) == ["completed", "deleted", "deleted"]
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)
    assert api.get("/history/activity-instance", unfinished="true").json() == []


def test_a_worker_s_error_in_one_instance_of_a_sub_process_interrupts_the_body(
    api: Api, db_url: str
) -> None:
    """The body's running instances are cancelled with it, their tasks and workflows."""
    deploy(api, "combo-mi-sub-error-external.bpmn")
    instance_id = start(api, "miSubErrorExt", {"items": java_list(["a", "b", "c"])})
    looks = tasks(api, processInstanceId=instance_id)
    complete(api, looks[0]["id"])
    (charge,) = fetch(api, "charge")

    response = api.client.post(
        api.url(f"/external-task/{charge['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "DECLINED"},
    )

    assert response.status_code == 204, response.text
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id)["why"] == "DECLINED"
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)
    assert api.get("/history/activity-instance", unfinished="true").json() == []


# An error raised two calls down (shopping calls ordering calls charging) goes up past
# the call that does not catch it (Camunda's BpmnExceptionHandler.propagateError walks
# every super execution).


def _states_below(api: Api, instance_id: str) -> list[str]:
    states = []
    while True:
        found = api.get("/history/process-instance", superProcessInstanceId=instance_id).json()
        if not found:
            return states
        (called,) = found
        states.append(called["state"])
        instance_id = called["id"]


def _caught_two_calls_up(api: Api, db_url: str, instance_id: str) -> None:
    assert [i["id"] for i in instances(api)] == [instance_id]
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fix"
    assert variables_of(api, instance_id)["why"] == "DECLINED"
    assert _states_below(api, instance_id) == ["INTERNALLY_TERMINATED"] * 2
    for activity_id in ("callOrdering", "callCharging", "charge"):
        (activity,) = api.get("/history/activity-instance", activityId=activity_id).json()
        assert activity["canceled"] is True, activity_id
    assert api.get("/history/activity-instance", unfinished="true").json() == [
        api.get("/history/activity-instance", activityId="fix").json()[0]
    ]
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


def test_an_error_raised_two_calls_down_in_the_starting_step_is_caught_two_calls_up(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "DECLINED"}}})
    deploy(api, "combo-error-through-calls.bpmn")
    instance_id = start(api, "shopping")
    _caught_two_calls_up(api, db_url, instance_id)


def test_a_workers_error_two_calls_down_is_caught_two_calls_up(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"external-topic": "charge"}}})
    deploy(api, "combo-error-through-calls.bpmn")
    instance_id = start(api, "shopping")
    (charge,) = fetch(api, "charge")
    response = api.client.post(
        api.url(f"/external-task/{charge['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "DECLINED"},
    )
    assert response.status_code == 204, response.text
    _caught_two_calls_up(api, db_url, instance_id)


def test_an_error_nobody_up_the_calls_catches_ends_the_token_where_it_was_raised(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "OTHER"}}})
    deploy(api, "combo-error-through-calls.bpmn")
    instance_id = start(api, "shopping")
    # execution.end(true) in the called instance: each call then ends as usual.
    assert [i["id"] for i in instances(api)] == [instance_id]
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "after"
    assert _states_below(api, instance_id) == ["COMPLETED"] * 2
    complete(api, after["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


def test_an_error_raised_at_once_by_a_call_in_a_later_step_is_caught_two_calls_up(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    """The middle instance's step starts the call (its caller waits in a step of its
    own) and the called instance raises the error at once."""
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "DECLINED"}}})
    deploy(api, "combo-error-through-calls.bpmn")
    instance_id = start(api, "shoppingLater")
    (ordering,) = instances(api, superProcessInstance=instance_id)
    (prepare,) = tasks(api, processInstanceId=ordering["id"])

    complete(api, prepare["id"])

    assert [i["id"] for i in instances(api)] == [instance_id]
    (fix,) = tasks(api, processInstanceId=instance_id)
    assert fix["taskDefinitionKey"] == "fixLater"
    assert variables_of(api, instance_id)["why"] == "DECLINED"
    assert _states_below(api, instance_id) == ["INTERNALLY_TERMINATED"] * 2
    assert api.get("/history/activity-instance", unfinished="true").json() == [
        api.get("/history/activity-instance", activityId="fixLater").json()[0]
    ]
    complete(api, fix["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)


def test_an_error_raised_at_once_by_a_call_in_a_later_step_that_nobody_catches_ends_there(
    api: Api,
    db_url: str,
    use_stand_ins: UseStandIns,  # noqa: F811
) -> None:
    use_stand_ins({"class": {"org.example.Charge": {"bpmn-error": "OTHER"}}})
    deploy(api, "combo-error-through-calls.bpmn")
    instance_id = start(api, "shoppingLater")
    (ordering,) = instances(api, superProcessInstance=instance_id)
    (prepare,) = tasks(api, processInstanceId=ordering["id"])

    complete(api, prepare["id"])

    assert [i["id"] for i in instances(api)] == [instance_id]
    (after,) = tasks(api, processInstanceId=instance_id)
    assert after["taskDefinitionKey"] == "afterLater"
    assert _states_below(api, instance_id) == ["COMPLETED"] * 2
    complete(api, after["id"])
    assert row_counts(db_url) == dict.fromkeys(ROWS, 0)
