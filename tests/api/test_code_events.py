"""Errors and escalations thrown by events, over HTTP: an error end event caught by an
error boundary event on the sub-process around it, an intermediate escalation throw
event caught by a non-interrupting escalation boundary event (the sub-process goes on),
an escalation end event caught by an interrupting one; executions, activity instances
and history as Camunda's (``ErrorEndEventActivityBehavior``,
``ThrowEscalationEventActivityBehavior``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str, model: bytes | None = None) -> None:
    deployed = api.post_parts(
        "/deployment/create",
        Part("deployment-name", file_name, content_type="text/plain"),
        Part("data", model or (MODELS / file_name).read_bytes(), filename=file_name),
    )
    assert deployed.status_code == 200, deployed.text


def start(api: Api, key: str) -> str:
    started = api.client.post(api.url(f"/process-definition/key/{key}/start"), json={})
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def complete(api: Api, instance_id: str, key: str, **values: Any) -> None:
    (task,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey=key).json()
    body = {"variables": {name: {"value": value} for name, value in values.items()}}
    done = api.client.post(api.url(f"/task/{task['id']}/complete"), json=body)
    assert done.status_code == 204, done.text


def open_tasks(api: Api, instance_id: str) -> list[str]:
    tasks = api.get("/task", processInstanceId=instance_id).json()
    return sorted(task["taskDefinitionKey"] for task in tasks)


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def variable(api: Api, instance_id: str, name: str) -> list[Any]:
    found = api.get("/variable-instance", processInstanceId=instance_id, variableName=name).json()
    return [v["value"] for v in found]


def tree(api: Api, instance_id: str) -> Any:
    """The activity instance tree as (activityId, children) pairs, children sorted."""
    root = api.get(f"/process-instance/{instance_id}/activity-instances").json()

    def shape(node: dict[str, Any]) -> Any:
        children = sorted(shape(child) for child in node["childActivityInstances"])
        return (node["activityId"], children)

    return sorted(shape(child) for child in root["childActivityInstances"])


def execution_ids(api: Api, instance_id: str) -> dict[str, list[str]]:
    """Each activity instance's executions, by activity id."""
    root = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    found: dict[str, list[str]] = {}
    pending = [root]
    while pending:
        node = pending.pop()
        found[node["activityId"]] = node["executionIds"]
        pending.extend(node["childActivityInstances"])
    return found


def state(api: Api, instance_id: str) -> str:
    ended: str = api.get(f"/history/process-instance/{instance_id}").json()["state"]
    return ended


def fetch(api: Api, topic: str) -> list[dict[str, Any]]:
    body = {
        "workerId": "w",
        "maxTasks": 5,
        "topics": [{"topicName": topic, "lockDuration": 60_000}],
    }
    response = api.client.post(api.url("/external-task/fetchAndLock"), json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_an_error_end_event_is_caught_by_the_error_boundary_event_of_its_sub_process(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "error-end-event.bpmn")
    instance_id = start(api, "errorEnd")
    complete(api, instance_id, "check", ok=False)
    assert open_tasks(api, instance_id) == ["fix"]
    assert tree(api, instance_id) == [("fix", [])]
    assert history(api, instance_id)[-4:] == [
        ("decide", "exclusiveGateway", False),
        ("rejected", "errorEndEvent", False),
        ("onRejected", "boundaryError", False),
        ("fix", "userTask", False),
    ]
    assert ("checking", "subProcess", True) in history(api, instance_id)
    # The error's code, and its camunda:errorMessage (ErrorEndEventActivityBehavior).
    assert variable(api, instance_id, "why") == ["REJECTED"]
    assert variable(api, instance_id, "said") == ["the check failed"]
    complete(api, instance_id, "fix")
    assert state(api, instance_id) == "COMPLETED"


def test_an_error_end_event_nothing_catches_ends_its_path_as_a_none_end_event(
    client: Any,
) -> None:
    """Camunda's BpmnExceptionHandler, finding no catch: ``execution.end(true)``."""
    model = (MODELS / "error-end-event.bpmn").read_text()
    model = model.replace(
        'id="catchRejected" errorRef="Err_Rejected"', 'id="catchRejected" errorRef="Err_Other"'
    ).replace(
        '<bpmn:process id="errorEnd"',
        '<bpmn:error id="Err_Other" errorCode="OTHER" />\n  <bpmn:process id="errorEnd"',
    )
    api = Api(client)
    deploy(api, "error-end-uncaught.bpmn", model.encode())
    instance_id = start(api, "errorEnd")
    complete(api, instance_id, "check", ok=False)
    assert open_tasks(api, instance_id) == ["ship"]
    assert ("checking", "subProcess", False) in history(api, instance_id)
    assert variable(api, instance_id, "why") == []


def test_an_escalation_caught_by_a_non_interrupting_boundary_event_runs_beside_its_sub_process(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "escalation.bpmn")
    instance_id = start(api, "escalation")
    complete(api, instance_id, "review")
    assert open_tasks(api, instance_id) == ["decide", "remind"]
    assert tree(api, instance_id) == [("order", [("decide", [])]), ("remind", [])]
    executions = execution_ids(api, instance_id)
    assert executions["remind"] != executions["decide"]
    assert instance_id not in executions["remind"] + executions["decide"]
    assert history(api, instance_id)[-4:] == [
        ("late", "intermediateEscalationThrowEvent", False),
        ("onLate", "boundaryEscalation", False),
        ("decide", "userTask", False),
        ("remind", "userTask", False),
    ]
    assert variable(api, instance_id, "escalated") == ["LATE"]  # escalationCodeVariable


def test_an_escalation_end_event_caught_by_an_interrupting_boundary_event_cancels_the_sub_process(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "escalation.bpmn")
    instance_id = start(api, "escalation")
    complete(api, instance_id, "review")
    complete(api, instance_id, "decide", giveUp=True)
    assert open_tasks(api, instance_id) == ["remind", "takeOver"]
    assert tree(api, instance_id) == [("remind", []), ("takeOver", [])]
    passed = history(api, instance_id)
    assert ("order", "subProcess", True) in passed
    assert passed[-3:] == [
        ("giveUp", "escalationEndEvent", False),
        ("onGiveUp", "boundaryEscalation", False),
        ("takeOver", "userTask", False),
    ]
    complete(api, instance_id, "remind")
    complete(api, instance_id, "takeOver")
    assert state(api, instance_id) == "COMPLETED"


def test_an_escalation_nothing_catches_changes_nothing(client: Any) -> None:
    """ThrowEscalationEventActivityBehavior leaves the throw event when nothing catches."""
    model = (MODELS / "escalation.bpmn").read_text()
    model = model.replace(
        'id="catchLate" escalationRef="Esc_Late"', 'id="catchLate" escalationRef="Esc_Other"'
    ).replace(
        '<bpmn:process id="escalation"',
        '<bpmn:escalation id="Esc_Other" escalationCode="OTHER" />\n  '
        '<bpmn:process id="escalation"',
    )
    api = Api(client)
    deploy(api, "escalation-uncaught.bpmn", model.encode())
    instance_id = start(api, "escalation")
    complete(api, instance_id, "review")
    assert open_tasks(api, instance_id) == ["decide"]
    assert tree(api, instance_id) == [("order", [("decide", [])])]
    assert ("late", "intermediateEscalationThrowEvent", False) in history(api, instance_id)
    assert variable(api, instance_id, "escalated") == []


def test_event_sub_processes_interrupt_their_scope_or_run_beside_it(client: Any) -> None:
    api = Api(client)
    deploy(api, "event-subprocesses.bpmn")
    instance_id = start(api, "eventSubprocesses")
    # A non-interrupting escalation event sub-process of the process runs beside it.
    assert open_tasks(api, instance_id) == ["help", "prepare"]
    assert tree(api, instance_id) == [("onHelp", [("help", [])]), ("work", [("prepare", [])])]
    assert ("helpStart", "escalationStartEvent", False) in history(api, instance_id)
    assert variable(api, instance_id, "helpCode") == ["HELP"]
    # An error end event starts the interrupting error event sub-process of its sub-process.
    complete(api, instance_id, "prepare", ok=False)
    assert open_tasks(api, instance_id) == ["help", "repair"]
    assert tree(api, instance_id) == [
        ("onHelp", [("help", [])]),
        ("work", [("onBroken", [("repair", [])])]),
    ]
    assert history(api, instance_id)[-4:] == [
        ("broken", "errorEndEvent", False),
        ("brokenStart", "errorStartEvent", False),
        ("onBroken", "subProcess", False),
        ("repair", "userTask", False),
    ]
    assert variable(api, instance_id, "brokenCode") == ["BROKEN"]
    # The event sub-process's end completes the sub-process it interrupted.
    complete(api, instance_id, "repair")
    assert open_tasks(api, instance_id) == ["deliver", "help"]
    assert ("work", "subProcess", False) in history(api, instance_id)
    # The process's interrupting one cancels everything else, the other one too.
    complete(api, instance_id, "deliver", fatal=True)
    assert open_tasks(api, instance_id) == ["cleanUp"]
    assert tree(api, instance_id) == [("onFatal", [("cleanUp", [])])]
    passed = history(api, instance_id)
    assert ("onHelp", "subProcess", True) in passed
    assert ("help", "userTask", True) in passed
    complete(api, instance_id, "cleanUp")
    assert state(api, instance_id) == "COMPLETED"


def test_a_workers_bpmn_error_starts_the_error_event_sub_process_of_its_sub_process(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "event-subprocess-worker-error.bpmn")
    instance_id = start(api, "espWorkerError")
    (locked,) = fetch(api, "stock")
    raised = api.client.post(
        api.url(f"/external-task/{locked['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "OUT_OF_STOCK"},
    )
    assert raised.status_code == 204, raised.text
    assert open_tasks(api, instance_id) == ["backorder"]
    assert tree(api, instance_id) == [("picking", [("onStockError", [("backorder", [])])])]
    assert ("reserveStock", "serviceTask", True) in history(api, instance_id)
    assert variable(api, instance_id, "why") == ["OUT_OF_STOCK"]
    assert api.get("/external-task", processInstanceId=instance_id).json() == []
    complete(api, instance_id, "backorder")
    assert open_tasks(api, instance_id) == ["pack"]


def test_a_called_instances_bpmn_error_starts_the_error_event_sub_process_of_the_caller(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "event-subprocess-call-error.bpmn")
    instance_id = start(api, "payWithFallback")
    (locked,) = fetch(api, "charge")
    called_id = locked["processInstanceId"]
    raised = api.client.post(
        api.url(f"/external-task/{locked['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "CARD_DECLINED"},
    )
    assert raised.status_code == 204, raised.text
    assert open_tasks(api, instance_id) == ["callCustomer"]
    assert tree(api, instance_id) == [("onDeclined", [("callCustomer", [])])]
    assert ("callCharge", "callActivity", True) in history(api, instance_id)
    assert variable(api, instance_id, "declineCode") == ["CARD_DECLINED"]
    assert state(api, called_id) == "INTERNALLY_TERMINATED"
    complete(api, instance_id, "callCustomer")
    assert state(api, instance_id) == "COMPLETED"


def called_instance(api: Api, caller_id: str) -> str:
    (called,) = api.get("/process-instance", superProcessInstance=caller_id).json()
    called_id: str = called["id"]
    return called_id


def test_a_called_instances_escalation_reaches_a_non_interrupting_boundary_of_the_call(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "escalation-call.bpmn")
    caller_id = start(api, "escalationCaller")
    called_id = called_instance(api, caller_id)
    complete(api, called_id, "work", giveUp=False)
    assert open_tasks(api, called_id) == ["finishWork"]
    assert open_tasks(api, caller_id) == ["sendHelp"]
    assert tree(api, caller_id) == [("callWork", []), ("sendHelp", [])]
    assert ("onHelp", "boundaryEscalation", False) in history(api, caller_id)
    assert variable(api, caller_id, "asked") == ["HELP"]
    complete(api, called_id, "finishWork")
    assert state(api, called_id) == "COMPLETED"
    complete(api, caller_id, "sendHelp")
    assert state(api, caller_id) == "COMPLETED"


def test_a_called_instances_escalation_caught_by_an_interrupting_boundary_ends_the_call(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "escalation-call.bpmn")
    caller_id = start(api, "escalationCaller")
    called_id = called_instance(api, caller_id)
    complete(api, called_id, "work", giveUp=True)
    assert open_tasks(api, caller_id) == ["reassign"]
    assert ("callWork", "callActivity", True) in history(api, caller_id)
    assert state(api, called_id) == "INTERNALLY_TERMINATED"
    complete(api, caller_id, "reassign")
    assert state(api, caller_id) == "COMPLETED"


def test_a_non_interrupting_event_sub_process_starts_again_at_each_throw(client: Any) -> None:
    api = Api(client)
    deploy(api, "escalation-twice.bpmn")
    instance_id = start(api, "escalationTwice")
    assert open_tasks(api, instance_id) == ["help", "help", "wait"]
    assert tree(api, instance_id) == [
        ("onHelp", [("help", [])]),
        ("onHelp", [("help", [])]),
        ("wait", []),
    ]
    executions = execution_ids(api, instance_id)
    assert instance_id not in executions["wait"]
    for task in api.get("/task", processInstanceId=instance_id, taskDefinitionKey="help").json():
        done = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
        assert done.status_code == 204, done.text
    assert open_tasks(api, instance_id) == ["wait"]
    complete(api, instance_id, "wait")
    assert state(api, instance_id) == "COMPLETED"


def test_an_error_end_event_of_a_called_instance_reaches_the_error_boundary_of_the_call(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "error-end-call.bpmn")
    caller_id = start(api, "errorEndCaller")
    called_id = called_instance(api, caller_id)
    complete(api, called_id, "attempt", failed=True)
    assert open_tasks(api, caller_id) == ["recover"]
    assert ("callWork", "callActivity", True) in history(api, caller_id)
    assert state(api, called_id) == "INTERNALLY_TERMINATED"
    assert variable(api, caller_id, "code") == ["FAILED"]
    assert variable(api, caller_id, "said") == ["it failed"]


def test_an_error_end_event_of_an_instance_called_in_the_same_step_reaches_the_call(
    client: Any,
) -> None:
    model = (MODELS / "error-end-call.bpmn").read_text()
    model = model.replace('calledElement="failingWork"', 'calledElement="failingAtOnce"')
    api = Api(client)
    deploy(api, "error-end-call-at-once.bpmn", model.encode())
    caller_id = start(api, "errorEndCaller")
    assert open_tasks(api, caller_id) == ["recover"]
    assert ("callWork", "callActivity", True) in history(api, caller_id)
    called = api.get("/history/process-instance", superProcessInstanceId=caller_id).json()
    assert [instance["state"] for instance in called] == ["INTERNALLY_TERMINATED"]
    assert variable(api, caller_id, "code") == ["FAILED"]


def test_an_error_end_event_caught_in_its_step_leaves_nothing_of_a_parallel_branch(
    client: Any,
) -> None:
    """One branch of the sub-process throws at once; the other, taken in the same step,
    is cancelled before it reaches its user task."""
    api = Api(client)
    deploy(api, "error-end-beside-a-branch.bpmn")
    instance_id = start(api, "errorEndBeside")
    assert open_tasks(api, instance_id) == ["fix"]
    assert tree(api, instance_id) == [("fix", [])]
    assert ("check", "userTask", False) not in history(api, instance_id)
    assert ("checking", "subProcess", True) in history(api, instance_id)


def test_an_event_sub_process_does_not_catch_an_error_thrown_inside_it(client: Any) -> None:
    """Camunda's ErrorDeclarationForProcessInstanceFinder skips a handler around the
    thrower (isReThrowingErrorEventSubprocess): uncaught, the error ends its path."""
    api = Api(client)
    deploy(api, "error-rethrown.bpmn")
    instance_id = start(api, "errorRethrown")
    complete(api, instance_id, "attempt")
    assert open_tasks(api, instance_id) == ["handle"]
    complete(api, instance_id, "handle")
    assert state(api, instance_id) == "COMPLETED"
    assert [a for a, _, _ in history(api, instance_id)].count("errorStart") == 1


def test_a_non_interrupting_boundary_event_catches_each_escalation(client: Any) -> None:
    api = Api(client)
    deploy(api, "escalation-boundary-twice.bpmn")
    instance_id = start(api, "escalationTwiceBoundary")
    complete(api, instance_id, "review")
    assert open_tasks(api, instance_id) == ["decide", "remind", "remind"]
    assert [a for a, _, _ in history(api, instance_id)].count("onLate") == 2
    for task in api.get("/task", processInstanceId=instance_id, taskDefinitionKey="remind").json():
        done = api.client.post(api.url(f"/task/{task['id']}/complete"), json={})
        assert done.status_code == 204, done.text
    complete(api, instance_id, "decide", giveUp=False)
    assert open_tasks(api, instance_id) == ["close"]
    complete(api, instance_id, "close")
    assert state(api, instance_id) == "COMPLETED"


def test_an_escalation_of_an_instance_called_in_the_same_step_reaches_the_call(
    client: Any,
) -> None:
    model = (MODELS / "escalation-call.bpmn").read_text()
    model = model.replace('calledElement="escalatingWork"', 'calledElement="escalatingAtOnce"')
    api = Api(client)
    deploy(api, "escalation-call-at-once.bpmn", model.encode())
    caller_id = start(api, "escalationCaller")
    called_id = called_instance(api, caller_id)
    assert open_tasks(api, caller_id) == ["sendHelp"]
    assert open_tasks(api, called_id) == ["afterHelp"]
    assert tree(api, caller_id) == [("callWork", []), ("sendHelp", [])]
    assert variable(api, caller_id, "asked") == ["HELP"]
    complete(api, called_id, "afterHelp")
    complete(api, caller_id, "sendHelp")
    assert state(api, caller_id) == "COMPLETED"
