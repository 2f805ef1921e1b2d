"""Stand-ins for the Java code a model calls, over HTTP: a delegate expression, a script,
a Java class and listeners stood in for by variables, a BPMN error caught by a boundary
event, an external task a worker completes, a failure that changes nothing, and
Camunda's errors for code without a stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskvars.engine import stand_in_runs, stand_ins
from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"
KEY = "stoodInOrder"
# Everything the order model calls, stood in for by variables.
SETTING_ALL: dict[str, Any] = {
    "class": {
        "org.example.OrderAudit": {"set": {"audited": True}},
        "org.example.AssignReviewer": {"set": {"reviewer": "erin"}},
        "org.example.Archive": {"set": {"archived": {"value": "2026-01-01", "type": "String"}}},
    },
    "expression": {
        "${paymentAdapter}": {"set": {"charged": {"value": 4200, "type": "Long"}}},
        "${reviewAudit.done(task)}": {"set": {"reviewAudited": True}},
    },
    "element": {"score": {"set": {"score": 7}}},
}

UseStandIns = Callable[[dict[str, Any]], None]


@pytest.fixture
def use_stand_ins() -> Iterator[UseStandIns]:
    """Install a stand-ins document for this test (the server's are the process's)."""

    def use(document: dict[str, Any]) -> None:
        stand_ins.install(stand_ins.parse(document))

    yield use
    stand_ins.install(stand_ins.NONE)


def with_entries(**changes: dict[str, Any]) -> dict[str, Any]:
    """SETTING_ALL with some tables' entries replaced."""
    document = {table: dict(entries) for table, entries in SETTING_ALL.items()}
    for table, entries in changes.items():
        document.setdefault(table, {}).update(entries)
    return document


def deploy(api: Api) -> None:
    name = "stood-in-order.bpmn"
    content = (MODELS / name).read_bytes()
    response = api.post_parts("/deployment/create", Part("data", content, filename=name))
    assert response.status_code == 200, response.text


def start(api: Api) -> Any:
    return api.client.post(api.url(f"/process-definition/key/{KEY}/start"), json={})


def started(api: Api) -> str:
    response = start(api)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def variables(api: Api, instance_id: str) -> dict[str, Any]:
    found = api.get(f"/process-instance/{instance_id}/variables").json()
    return {name: dto["value"] for name, dto in found.items()}


def task_keys(api: Api, instance_id: str) -> list[str]:
    tasks = api.get("/task", processInstanceId=instance_id).json()
    return sorted(task["taskDefinitionKey"] for task in tasks)


def instance_count(api: Api) -> int:
    count: int = api.get("/process-instance/count").json()["count"]
    return count


def complete(api: Api, key: str, instance_id: str) -> Any:
    (task,) = [
        t for t in api.get("/task", processInstanceId=instance_id).json()
        if t["taskDefinitionKey"] == key
    ]  # fmt: skip
    return api.client.post(api.url(f"/task/{task['id']}/complete"), json={})


def test_set_stand_ins_run_the_code_tasks_and_listeners_of_a_model_to_its_end(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(SETTING_ALL)
    deploy(api)
    instance_id = started(api)

    assert task_keys(api, instance_id) == ["review"]
    assert variables(api, instance_id) == {
        "audited": True,
        "charged": 4200,
        "score": 7,
        "reviewer": "erin",
    }
    activities = api.get("/history/activity-instance", processInstanceId=instance_id).json()
    ended = {a["activityId"]: a["activityType"] for a in activities if a["endTime"]}
    assert ended == {
        "start": "startEvent",
        "charge": "serviceTask",
        "score": "scriptTask",
        "risky": "exclusiveGateway",
    }

    assert complete(api, "review", instance_id).status_code == 204
    history = api.get(f"/history/process-instance/{instance_id}").json()
    assert history["state"] == "COMPLETED"
    values = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    assert {v["name"]: v["value"] for v in values}["archived"] == "2026-01-01"
    assert {v["name"]: v["value"] for v in values}["reviewAudited"] is True


def test_an_element_s_stand_in_wins_over_its_expression_s(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(with_entries(element={"charge": {"set": {"charged": 1}}}))
    deploy(api)
    instance_id = started(api)

    assert variables(api, instance_id)["charged"] == 1


def test_a_bpmn_error_stand_in_is_caught_by_the_error_boundary_event(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(
        with_entries(
            expression={
                "${paymentAdapter}": {
                    "bpmn-error": {"code": "CARD_DECLINED", "message": "insufficient funds"}
                }
            }
        )
    )
    deploy(api)
    instance_id = started(api)

    assert task_keys(api, instance_id) == ["fixPayment"]
    found = variables(api, instance_id)
    assert (found["declineCode"], found["declineReason"]) == (
        "CARD_DECLINED",
        "insufficient funds",
    )
    assert "score" not in found


def test_a_fail_stand_in_fails_the_request_with_its_message_and_changes_nothing(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(
        with_entries(
            expression={
                "${paymentAdapter}": {
                    "fail": {"message": "gateway unreachable", "type": "IllegalStateException"}
                }
            }
        )
    )
    deploy(api)

    response = start(api)

    assert response.status_code == 500
    # A Java exception of the delegate's: as it is, no operation's prefix, no code.
    assert response.json() == {
        "type": "IllegalStateException",
        "message": "gateway unreachable",
        "code": None,
    }
    assert instance_count(api) == 0
    assert api.get("/history/process-instance/count").json()["count"] == 0


def test_completing_a_task_into_a_failing_stand_in_leaves_the_task_as_it_was(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(SETTING_ALL)
    deploy(api)
    instance_id = started(api)
    use_stand_ins(with_entries(**{"class": {"org.example.Archive": {"fail": "archive is down"}}}))

    response = complete(api, "review", instance_id)

    assert response.status_code == 500, response.text
    task_id = api.get("/task", processInstanceId=instance_id).json()[0]["id"]
    assert response.json() == {
        "type": "ProcessEngineException",
        "message": f"Cannot complete task {task_id}: archive is down",
        "code": 0,
    }
    assert task_keys(api, instance_id) == ["review"]
    assert "reviewAudited" not in variables(api, instance_id)
    # The server is healthy: the same task completes once the code works.
    use_stand_ins(SETTING_ALL)
    assert complete(api, "review", instance_id).status_code == 204


def test_a_delegate_expression_without_a_stand_in_fails_as_camunda_without_the_bean(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    document = with_entries()
    del document["expression"]["${paymentAdapter}"]
    use_stand_ins(document)
    deploy(api)

    response = start(api)

    assert response.status_code == 500
    body = response.json()
    assert (body["type"], body["code"]) == ("ProcessEngineException", 0)
    assert body["message"].endswith(
        "Unknown property used in expression: ${paymentAdapter}. Cause: Cannot resolve "
        "identifier 'paymentAdapter'"
    )
    assert instance_count(api) == 0


def test_a_java_class_without_a_stand_in_fails_as_camunda_without_the_class(api: Api) -> None:
    deploy(api)

    response = start(api)

    assert response.status_code == 500
    body = response.json()
    assert body["type"] == "ClassLoadingException"
    assert body["message"].endswith(
        "ENGINE-09017 Cannot load class 'org.example.OrderAudit': org.example.OrderAudit"
    )
    assert instance_count(api) == 0


def test_a_script_without_a_stand_in_fails_as_camunda_without_its_script_engine(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    document = with_entries()
    del document["element"]["score"]
    use_stand_ins(document)
    deploy(api)

    response = start(api)

    assert response.status_code == 500
    assert response.json()["type"] == "NullValueException"
    assert response.json()["message"].endswith(
        "Can't find scripting engine for 'groovy': scriptEngine is null"
    )


def test_an_external_topic_stand_in_makes_the_task_an_external_task_a_worker_completes(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(with_entries(expression={"${paymentAdapter}": {"external-topic": "payments"}}))
    deploy(api)
    instance_id = started(api)
    body = {
        "workerId": "python-worker",
        "maxTasks": 5,
        "topics": [
            {"topicName": "payments", "lockDuration": 60_000, "includeExtensionProperties": True}
        ],
    }

    fetched = api.client.post(api.url("/external-task/fetchAndLock"), json=body).json()

    (task,) = fetched
    assert (task["activityId"], task["topicName"], task["processInstanceId"]) == (
        "charge",
        "payments",
        instance_id,
    )
    assert task["extensionProperties"] == {"gateway": "stripe"}  # the element's
    assert task_keys(api, instance_id) == []
    completion = {"workerId": "python-worker", "variables": {"charged": {"value": 99}}}
    response = api.client.post(api.url(f"/external-task/{task['id']}/complete"), json=completion)
    assert response.status_code == 204, response.text
    assert task_keys(api, instance_id) == ["review"]
    assert variables(api, instance_id)["charged"] == 99


# Camunda's invoice example as Camunda ships it (tests/bpmn/camunda/SOURCES.md): its Java
# classes, its DMN decision and its JavaScript task listeners stood in for.
INVOICE_STAND_INS: dict[str, Any] = {
    "decision": {"invoice-assign-approver": {"set": {"approverGroups": "management"}}},
    "class": {
        "org.camunda.bpm.example.invoice.service.NotifyCreditorService": {
            "set": {"creditorNotified": True}
        },
        "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService": {
            "set": {"archived": True}
        },
    },
    "element": {
        "approveInvoice:create": {"set": {"approverSeen": True}},
        "approveInvoice:assignment": {"set": {"approver": "demo"}},
    },
}


def test_camunda_s_invoice_example_runs_to_its_end_with_stand_ins(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(INVOICE_STAND_INS)
    for name in ("reviewInvoice.bpmn", "invoice.v1.bpmn"):
        content = (MODELS / "camunda" / name).read_bytes()
        response = api.post_parts("/deployment/create", Part("data", content, filename=name))
        assert response.status_code == 200, response.text
    body = {
        "variables": {
            "creditor": {"value": "Great Pizza for Everyone Inc."},
            "amount": {"value": 30.0, "type": "Double"},
            "invoiceCategory": {"value": "Travel Expenses"},
            "invoiceNumber": {"value": "GPFE-23232323"},
        }
    }
    response = api.client.post(api.url("/process-definition/key/invoice/start"), json=body)
    assert response.status_code == 200, response.text
    instance_id = str(response.json()["id"])
    assert task_keys(api, instance_id) == ["approveInvoice"]
    assert variables(api, instance_id)["approverGroups"] == "management"

    (task,) = api.get("/task", processInstanceId=instance_id).json()
    approve = {"variables": {"approved": {"value": True}}}
    response = api.client.post(api.url(f"/task/{task['id']}/complete"), json=approve)
    assert response.status_code == 204, response.text
    assert task_keys(api, instance_id) == ["prepareBankTransfer"]
    assert complete(api, "prepareBankTransfer", instance_id).status_code == 204
    # "Archive invoice" is camunda:async: the instance waits for its job.
    (job,) = api.get("/job", processInstanceId=instance_id, activityId="ServiceTask_1").json()
    executed = api.client.post(api.url(f"/job/{job['id']}/execute"))
    assert executed.status_code == 204, executed.text
    assert api.get(f"/history/process-instance/{instance_id}").json()["state"] == "COMPLETED"
    archived = api.get(
        "/history/activity-instance", processInstanceId=instance_id, activityId="ServiceTask_1"
    ).json()
    assert [activity["activityType"] for activity in archived] == ["serviceTask"]
    # HistoricProcessInstanceDto has no endActivityId: the end event is an activity.
    ended = api.get(
        "/history/activity-instance", processInstanceId=instance_id, activityType="noneEndEvent"
    ).json()
    assert [activity["activityId"] for activity in ended] == ["invoiceProcessed"]


LISTENERS = "listenedApproval"
LISTENER_STAND_INS: dict[str, Any] = {
    "class": {
        "org.example.PickApprover": {"set": {"approver": "anna"}},
        "org.example.ProcessEnd": {"set": {"ended": True}},
        "org.example.FlowAudit": {"set": {"leftApproval": True}},
    },
    "expression": {
        "${audit.log(execution)}": {"set": {"audited": True}},
        "${flowLog.entered()}": {"set": {"entered": True}},
    },
    "element": {"done:start": {"set": {"notified": True}}},
}


def start_listened(api: Api) -> str:
    content = (MODELS / "stood-in-listeners.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-listeners.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200
    response = api.client.post(api.url(f"/process-definition/key/{LISTENERS}/start"), json={})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_an_activity_s_start_listener_sets_what_the_task_it_starts_reads(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(LISTENER_STAND_INS)
    instance_id = start_listened(api)

    (task,) = api.get("/task", processInstanceId=instance_id).json()
    assert task["assignee"] == "anna"  # camunda:assignee="${approver}"
    assert variables(api, instance_id) == {"approver": "anna", "entered": True}


def test_listeners_of_the_activity_s_end_the_flow_the_end_event_and_the_process_run(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(LISTENER_STAND_INS)
    instance_id = start_listened(api)

    assert complete(api, "approve", instance_id).status_code == 204

    values = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    assert {v["name"]: v["value"] for v in values} == {
        "approver": "anna",
        "entered": True,
        "audited": True,
        "leftApproval": True,
        "notified": True,
        "ended": True,
    }
    assert api.get(f"/history/process-instance/{instance_id}").json()["state"] == "COMPLETED"


def test_a_failing_listener_fails_the_completion_and_leaves_the_task_as_it_was(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(LISTENER_STAND_INS)
    instance_id = start_listened(api)
    failing = dict(LISTENER_STAND_INS)
    failing["expression"] = {"${audit.log(execution)}": {"fail": "audit log is full"}}
    use_stand_ins(failing)

    response = complete(api, "approve", instance_id)

    assert response.status_code == 500
    assert response.json()["message"].endswith("audit log is full")
    assert task_keys(api, instance_id) == ["approve"]
    assert variables(api, instance_id) == {"approver": "anna", "entered": True}


def test_a_listener_without_a_stand_in_fails_as_camunda_without_the_class(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    # The flow into the task is taken, then the task's start listener has no stand-in.
    use_stand_ins({"expression": {"${flowLog.entered()}": {"set": {"entered": True}}}})

    content = (MODELS / "stood-in-listeners.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-listeners.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200
    response = api.client.post(api.url(f"/process-definition/key/{LISTENERS}/start"), json={})

    assert response.status_code == 500
    assert response.json()["type"] == "ClassLoadingException"
    assert "Cannot load class 'org.example.PickApprover'" in response.json()["message"]
    assert instance_count(api) == 0


def test_a_listener_s_stand_in_that_names_a_topic_fails_saying_why(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    document = dict(LISTENER_STAND_INS)
    document["class"] = {
        **LISTENER_STAND_INS["class"],
        "org.example.PickApprover": {"external-topic": "approvers"},
    }
    use_stand_ins(document)
    content = (MODELS / "stood-in-listeners.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-listeners.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200

    response = api.client.post(api.url(f"/process-definition/key/{LISTENERS}/start"), json={})

    assert response.status_code == 500
    assert response.json()["message"].endswith("a listener's stand-in can only set or fail")


def test_deleting_an_instance_runs_no_listener(api: Api, use_stand_ins: UseStandIns) -> None:
    use_stand_ins(SETTING_ALL)
    deploy(api)
    instance_id = started(api)
    # The review task's delete listener (org.example.ReviewWithdrawn) has no stand-in.

    response = api.client.delete(api.url(f"/process-instance/{instance_id}"))

    assert response.status_code == 204, response.text
    assert instance_count(api) == 0


def start_checks(api: Api) -> str:
    content = (MODELS / "stood-in-parallel.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-parallel.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200
    response = api.client.post(api.url("/process-definition/key/stoodInChecks/start"), json={})
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def test_parallel_stood_in_tasks_in_a_sub_process_both_run_and_the_run_goes_on(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(
        {
            "class": {
                "org.example.CreditCheck": {"set": {"creditOk": True}},
                "org.example.FraudCheck": {"set": {"fraudOk": True}},
            }
        }
    )
    instance_id = start_checks(api)

    assert task_keys(api, instance_id) == ["approve"]
    assert variables(api, instance_id) == {"creditOk": True, "fraudOk": True}
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    assert task["executionId"] == instance_id  # the branches and the scope are gone


def test_an_error_from_one_parallel_task_cancels_its_sibling_before_it_runs(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins(
        {
            "class": {
                "org.example.CreditCheck": {
                    "bpmn-error": {"code": "CHECK_FAILED", "message": "no credit"}
                },
                "org.example.FraudCheck": {"set": {"fraudOk": True}},
            }
        }
    )
    instance_id = start_checks(api)

    assert task_keys(api, instance_id) == ["investigate"]
    assert variables(api, instance_id) == {"failure": "no credit"}
    activities = api.get("/history/activity-instance", processInstanceId=instance_id).json()
    fraud = [a for a in activities if a["activityId"] == "fraud"]
    assert [(a["canceled"], a["endTime"] is not None) for a in fraud] == [(True, True)]


def test_a_loop_of_stood_in_tasks_that_never_rests_fails_and_changes_nothing(
    api: Api, use_stand_ins: UseStandIns, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stand_in_runs, "MAX_FOLLOW_UPS", 30)
    use_stand_ins({"expression": {"${poller.poll()}": {"set": {"ready": False}}}})
    content = (MODELS / "stood-in-loop.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-loop.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200

    response = api.client.post(api.url("/process-definition/key/stoodInLoop/start"), json={})

    assert response.status_code == 500
    assert response.json()["message"].endswith(
        "more than 30 stood-in tasks run in one request: a loop that never rests"
    )
    assert instance_count(api) == 0


def test_a_loop_of_stood_in_tasks_runs_until_its_condition_holds(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins({"expression": {"${poller.poll()}": {"set": {"ready": True}}}})
    content = (MODELS / "stood-in-loop.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-loop.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200

    response = api.client.post(api.url("/process-definition/key/stoodInLoop/start"), json={})

    assert response.status_code == 200, response.text
    assert task_keys(api, response.json()["id"]) == ["use"]


def test_a_called_process_s_stood_in_task_runs_and_its_caller_goes_on_in_one_request(
    api: Api, use_stand_ins: UseStandIns
) -> None:
    use_stand_ins({"class": {"org.example.LookUp": {"set": {"found": "ACME"}}}})
    content = (MODELS / "stood-in-called.bpmn").read_bytes()
    part = Part("data", content, filename="stood-in-called.bpmn")
    assert api.post_parts("/deployment/create", part).status_code == 200

    response = api.client.post(api.url("/process-definition/key/stoodInCaller/start"), json={})

    assert response.status_code == 200, response.text
    instance_id = response.json()["id"]
    assert task_keys(api, instance_id) == ["after"]
    assert variables(api, instance_id) == {"found": "ACME"}  # camunda:out variables="all"
