"""Call activities over HTTP: the called process runs as a process instance of its own,
linked to its caller as Camunda links them (``superProcessInstanceId``, the caller's
``subProcessInstance``, ``calledProcessInstanceId`` in history), with the variables and
business key the ``camunda:in`` mappings pass, and the caller goes on with the
``camunda:out`` variables once it ends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str, content: bytes | None = None) -> dict[str, Any]:
    data = (MODELS / file_name).read_bytes() if content is None else content
    response = api.post_parts("/deployment/create", Part("data", data, filename=file_name))
    assert response.status_code == 200, response.text
    deployed: dict[str, Any] = response.json()
    return deployed


def deployed_id(api: Api, file_name: str, content: bytes | None = None) -> str:
    (definition_id,) = deploy(api, file_name, content)["deployedProcessDefinitions"]
    return str(definition_id)


def start(api: Api, key: str, **variables: Any) -> dict[str, Any]:
    response = api.client.post(
        api.url(f"/process-definition/key/{key}/start"),
        json={"variables": {name: {"value": v} for name, v in variables.items()}},
    )
    assert response.status_code == 200, response.text
    started: dict[str, Any] = response.json()
    return started


def instances(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get("/process-instance", **params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def called_from(api: Api, instance_id: str) -> dict[str, Any]:
    (called,) = instances(api, superProcessInstance=instance_id)
    return called


def only_task(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get("/task", processInstanceId=instance_id)
    assert response.status_code == 200, response.text
    (task,) = response.json()
    return dict(task)


def variables_of(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get(f"/process-instance/{instance_id}/variables")
    assert response.status_code == 200, response.text
    return {name: dto["value"] for name, dto in response.json().items()}


def complete(api: Api, task_id: str, **variables: Any) -> None:
    body = {"variables": {name: {"value": v} for name, v in variables.items()}}
    response = api.client.post(api.url(f"/task/{task_id}/complete"), json=body)
    assert response.status_code == 204, response.text


def historic_instance(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get(f"/history/process-instance/{instance_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_a_call_passes_its_in_variables_and_business_key_and_takes_the_out_ones_back(
    client: Any,
) -> None:
    api = Api(client)
    review_id = deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(
        api, "order", reviewProcess="review", orderId="ORD-7", amount=120, customer="carla"
    )
    assert order["ended"] is False

    review = called_from(api, order["id"])
    assert review["definitionId"] == review_id
    assert review["businessKey"] == "ORD-7"
    # camunda:in: source, sourceExpression, and a source nobody set (passed as null).
    assert variables_of(api, review["id"]) == {"total": 120, "reviewer": "carla", "missing": None}
    assert instances(api, subProcessInstance=review["id"])[0]["id"] == order["id"]
    assert only_task(api, review["id"])["assignee"] == "carla"
    # The caller waits in its call activity, with no task of its own.
    assert api.get("/task", processInstanceId=order["id"]).json() == []
    tree = api.get(f"/process-instance/{order['id']}/activity-instances").json()
    (waiting,) = tree["childActivityInstances"]
    assert (waiting["activityId"], waiting["activityType"]) == ("callReview", "callActivity")

    complete(api, only_task(api, review["id"])["id"], verdict="approved")

    assert instances(api, processInstanceIds=review["id"]) == []
    ship = only_task(api, order["id"])
    assert ship["taskDefinitionKey"] == "ship"
    values = variables_of(api, order["id"])
    # camunda:out: source and sourceExpression; local="true" stayed with the call's own
    # execution, gone with it.
    assert values["decision"] == "approved"
    assert values["reviewedTotal"] == 120
    assert "kept" not in values
    assert "verdict" not in values

    history = historic_instance(api, review["id"])
    assert history["superProcessInstanceId"] == order["id"]
    assert history["rootProcessInstanceId"] == order["id"]
    assert history["state"] == "COMPLETED"
    assert historic_instance(api, order["id"])["superProcessInstanceId"] is None
    found = api.get("/history/process-instance", superProcessInstanceId=order["id"]).json()
    assert [h["id"] for h in found] == [review["id"]]
    found = api.get("/history/process-instance", subProcessInstanceId=review["id"]).json()
    assert [h["id"] for h in found] == [order["id"]]
    (call,) = api.get(
        "/history/activity-instance", processInstanceId=order["id"], activityId="callReview"
    ).json()
    assert call["calledProcessInstanceId"] == review["id"]
    assert call["executionId"] == waiting["executionIds"][0]  # the call's own execution
    assert call["executionId"] not in (order["id"], review["id"])
    assert call["activityType"] == "callActivity"
    assert call["endTime"] is not None
    assert call["canceled"] is False

    complete(api, ship["id"])
    assert historic_instance(api, order["id"])["state"] == "COMPLETED"


def test_variables_all_passes_every_variable_both_ways(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-all-variables.bpmn")
    caller = start(api, "passAll", reviewer="dan", amount=3, flag=True)
    review = called_from(api, caller["id"])
    assert variables_of(api, review["id"]) == {"reviewer": "dan", "amount": 3, "flag": True}
    uploaded = api.upload(
        f"/process-instance/{review['id']}/variables/scan",
        b"%PDF-1.7",
        value_type="File",
        filename="scan.pdf",
    )
    assert uploaded.status_code == 204, uploaded.text

    complete(api, only_task(api, review["id"])["id"], verdict="ok")

    assert instances(api, processInstanceIds=caller["id"]) == []
    history = api.get("/history/variable-instance", processInstanceId=caller["id"]).json()
    assert {h["name"]: h["value"] for h in history} == {
        "reviewer": "dan",
        "amount": 3,
        "flag": True,
        "verdict": "ok",
        "scan": None,
    }
    (scan,) = [h for h in history if h["name"] == "scan"]
    assert scan["type"] == "File"
    assert scan["valueInfo"]["filename"] == "scan.pdf"
    content = api.get(f"/history/variable-instance/{scan['id']}/data")
    assert content.content == b"%PDF-1.7"


def test_a_called_process_that_ends_at_once_returns_within_the_callers_start(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "call-straight-through.bpmn")
    caller = start(api, "stampTwice", paper="form A")
    assert only_task(api, caller["id"])["taskDefinitionKey"] == "check"
    assert variables_of(api, caller["id"])["paper"] == "form A stamped"
    (call,) = api.get("/history/activity-instance", activityId="firstStamp").json()
    called = historic_instance(api, call["calledProcessInstanceId"])
    assert called["state"] == "COMPLETED"
    assert called["superProcessInstanceId"] == caller["id"]


def _bound(binding: str) -> bytes:
    written = b'camunda:calledElementBinding="latest"'
    return (MODELS / "call-binding.bpmn").read_bytes().replace(written, binding.encode())


def _review(tag: str) -> bytes:
    return (MODELS / "call-review.bpmn").read_bytes().replace(b'"v1"', f'"{tag}"'.encode())


def test_the_binding_picks_the_called_definition(client: Any) -> None:
    api = Api(client)
    first = deployed_id(api, "call-review.bpmn", _review("v1"))
    second = deployed_id(api, "call-review.bpmn", _review("v2"))
    third = deployed_id(api, "call-review.bpmn", _review("v3"))
    chosen = {
        "": third,  # latest, the default
        'camunda:calledElementBinding="latest"': third,
        'camunda:calledElementBinding="version" camunda:calledElementVersion="1"': first,
        'camunda:calledElementBinding="version" camunda:calledElementVersion="${v}"': second,
        'camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v2"': second,
    }
    for binding, expected in chosen.items():
        deployed_id(api, "bound.bpmn", _bound(binding))
        caller = start(api, "bound", v=2, reviewer="eve")
        assert called_from(api, caller["id"])["definitionId"] == expected, binding


def test_deployment_binding_calls_the_definition_deployed_with_the_caller(client: Any) -> None:
    api = Api(client)
    together = _bound('camunda:calledElementBinding="deployment"')
    response = api.post_parts(
        "/deployment/create",
        Part("data", together, filename="bound.bpmn"),
        Part("review", _review("together"), filename="review.bpmn"),
    )
    assert response.status_code == 200, response.text
    deployed = response.json()["deployedProcessDefinitions"]
    review_id = next(d for d in deployed.values() if d["key"] == "review")["id"]
    deployed_id(api, "call-review.bpmn", _review("later"))  # a newer version elsewhere
    caller = start(api, "bound", reviewer="eve")
    assert called_from(api, caller["id"])["definitionId"] == review_id


def test_a_call_to_a_process_nobody_deployed_is_camundas_error_and_writes_nothing(
    client: Any,
) -> None:
    api = Api(client)
    deployed_id(api, "call-order.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/order/start"),
        json={"variables": {"reviewProcess": {"value": "nowhere"}}},
    )
    assert response.status_code == 500, response.text
    assert response.json()["type"] == "NullValueException"
    assert response.json()["message"] == (
        "no processes deployed with key 'nowhere' and tenant-id 'null': processDefinition is null"
    )
    assert instances(api) == []
    assert api.get("/history/process-instance").json() == []


def test_deleting_the_caller_deletes_the_called_instance(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(api, "order", reviewProcess="review", orderId="ORD-8", customer="fay")
    review = called_from(api, order["id"])
    task_id = only_task(api, review["id"])["id"]

    response = api.client.delete(api.url(f"/process-instance/{order['id']}"))
    assert response.status_code == 204, response.text

    assert instances(api) == []
    assert api.get("/task").json() == []
    assert historic_instance(api, review["id"])["state"] == "EXTERNALLY_TERMINATED"
    (task,) = api.get("/history/task", taskId=task_id).json()
    assert task["deleteReason"] == "deleted"


def test_deleting_the_called_instance_cancels_the_call_and_its_caller(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(api, "order", reviewProcess="review", orderId="ORD-9", customer="gus")
    review = called_from(api, order["id"])

    response = api.client.delete(api.url(f"/process-instance/{review['id']}"))
    assert response.status_code == 204, response.text

    assert instances(api) == []
    assert historic_instance(api, order["id"])["state"] == "EXTERNALLY_TERMINATED"
    (call,) = api.get("/history/activity-instance", activityId="callReview").json()
    assert call["canceled"] is True


def test_root_and_leaf_instances(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(api, "order", reviewProcess="review", orderId="ORD-10", customer="hal")
    review = called_from(api, order["id"])
    assert [i["id"] for i in instances(api, rootProcessInstances="true")] == [order["id"]]
    assert [i["id"] for i in instances(api, leafProcessInstances="true")] == [review["id"]]
    found = instances(api, rootProcessInstanceId=order["id"])
    assert {i["id"] for i in found} == {order["id"], review["id"]}


def test_history_tells_root_and_leaf_instances(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(api, "order", reviewProcess="review", orderId="ORD-11", customer="ida")
    review = called_from(api, order["id"])
    roots = api.get("/history/process-instance", rootProcessInstances="true").json()
    leaves = api.get("/history/process-instance", leafProcessInstances="true").json()
    assert [h["id"] for h in roots] == [order["id"]]
    assert [h["id"] for h in leaves] == [review["id"]]


def test_parallel_calls_each_return_into_their_branch(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-two-reviews.bpmn")
    caller = start(api, "twoReviews")
    called = {
        variables_of(api, i["id"])["reviewer"]: i
        for i in instances(api, superProcessInstance=caller["id"])
    }
    assert set(called) == {"legal", "finance"}
    executions = api.get("/execution", processInstanceId=caller["id"]).json()
    assert len(executions) >= 3  # the instance, a branch each, a call activity's own each

    complete(api, only_task(api, called["legal"]["id"])["id"], verdict="fine")
    assert api.get("/task", processInstanceId=caller["id"]).json() == []
    complete(api, only_task(api, called["finance"]["id"])["id"], verdict="costly")

    decide = only_task(api, caller["id"])
    assert decide["taskDefinitionKey"] == "decide"
    values = variables_of(api, caller["id"])
    assert (values["legalVerdict"], values["financeVerdict"]) == ("fine", "costly")


def test_deleting_one_of_two_called_instances_cancels_only_its_branch(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-two-reviews.bpmn")
    caller = start(api, "twoReviews")
    legal, finance = sorted(
        instances(api, superProcessInstance=caller["id"]),
        key=lambda i: variables_of(api, i["id"])["reviewer"] != "legal",
    )

    response = api.client.delete(api.url(f"/process-instance/{legal['id']}"))
    assert response.status_code == 204, response.text

    assert {i["id"] for i in instances(api)} == {caller["id"], finance["id"]}
    tree = api.get(f"/process-instance/{caller['id']}/activity-instances").json()
    assert [a["activityId"] for a in tree["childActivityInstances"]] == ["financeReview"]
    (call,) = api.get("/history/activity-instance", activityId="legalReview").json()
    assert call["canceled"] is True


def test_a_business_key_that_is_no_string_is_camundas_class_cast_error(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/order/start"),
        json={
            "variables": {
                "reviewProcess": {"value": "review"},
                "orderId": {"value": 7, "type": "Integer"},
                "customer": {"value": "ida"},
            }
        },
    )
    assert response.status_code == 500, response.text
    assert response.json()["type"] == "ClassCastException"
    assert response.json()["message"] == "Cannot cast '7' to String"
    assert instances(api) == []


def _charge_task(api: Api) -> dict[str, Any]:
    body = {
        "workerId": "w",
        "maxTasks": 1,
        "topics": [{"topicName": "charge", "lockDuration": 60_000}],
    }
    response = api.client.post(api.url("/external-task/fetchAndLock"), json=body)
    assert response.status_code == 200, response.text
    (task,) = response.json()
    return dict(task)


def test_an_error_the_called_instance_does_not_catch_goes_to_the_call_activity(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "call-charge.bpmn")
    caller = start(api, "pay")
    charge = called_from(api, caller["id"])
    task = _charge_task(api)
    assert task["processInstanceId"] == charge["id"]

    response = api.client.post(
        api.url(f"/external-task/{task['id']}/bpmnError"),
        json={
            "workerId": "w",
            "errorCode": "CARD_DECLINED",
            "errorMessage": "insufficient funds",
            "variables": {"attempt": {"value": 1}},
        },
    )
    assert response.status_code == 204, response.text

    assert [i["id"] for i in instances(api)] == [caller["id"]]
    assert only_task(api, caller["id"])["taskDefinitionKey"] == "callCustomer"
    values = variables_of(api, caller["id"])
    # The called instance's outputs pass on the way up, then the event's variables.
    assert values == {
        "attempt": 1,
        "declineCode": "CARD_DECLINED",
        "declineReason": "insufficient funds",
    }
    history = historic_instance(api, charge["id"])
    assert history["state"] == "INTERNALLY_TERMINATED"
    found = api.get("/history/process-instance", internallyTerminated="true").json()
    assert [h["id"] for h in found] == [charge["id"]]
    (call,) = api.get("/history/activity-instance", activityId="callCharge").json()
    assert call["canceled"] is True


def test_an_error_nobody_catches_ends_the_token_in_the_called_instance(client: Any) -> None:
    api = Api(client)
    deploy(api, "call-charge.bpmn")
    caller = start(api, "pay")
    task = _charge_task(api)

    response = api.client.post(
        api.url(f"/external-task/{task['id']}/bpmnError"),
        json={"workerId": "w", "errorCode": "SOMETHING_ELSE"},
    )
    assert response.status_code == 204, response.text

    # As at the top (execution.end(true)): the called instance ends, the caller goes on.
    assert instances(api) == []
    assert historic_instance(api, caller["id"])["state"] == "COMPLETED"


def test_deleting_a_deployment_with_cascade_takes_callers_and_called_instances(
    client: Any,
) -> None:
    api = Api(client)
    deployment = deploy(api, "call-charge.bpmn")
    caller = start(api, "pay")
    charge = called_from(api, caller["id"])
    response = api.client.delete(
        api.url(f"/deployment/{deployment['id']}"), params={"cascade": "true"}
    )
    assert response.status_code == 204, response.text
    assert instances(api) == []
    assert api.get(f"/history/process-instance/{charge['id']}").status_code == 404


def test_a_called_instance_deleted_with_its_deployment_leaves_its_caller_waiting(
    client: Any,
) -> None:
    api = Api(client)
    review = deploy(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    order = start(api, "order", reviewProcess="review", orderId="ORD-12", customer="jo")
    response = api.client.delete(api.url(f"/deployment/{review['id']}"), params={"cascade": "true"})
    assert response.status_code == 204, response.text
    # Camunda's deleteCascade of the called instance does not touch its caller.
    assert [i["id"] for i in instances(api)] == [order["id"]]
    assert instances(api, superProcessInstance=order["id"]) == []
    deleted = api.client.delete(api.url(f"/process-instance/{order['id']}"))
    assert deleted.status_code == 204, deleted.text


def _deploy_for(api: Api, tenant: str | None, file_name: str, content: bytes) -> str:
    parts = [Part("data", content, filename=file_name)]
    if tenant is not None:
        parts.append(Part("tenant-id", tenant, content_type="text/plain"))
    response = api.post_parts("/deployment/create", *parts)
    assert response.status_code == 200, response.text
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    return str(definition_id)


def test_a_call_looks_in_the_callers_tenant_unless_it_names_one(client: Any) -> None:
    api = Api(client)
    review = (MODELS / "call-review.bpmn").read_bytes()
    shared = _deploy_for(api, None, "review.bpmn", review)
    acme = _deploy_for(api, "acme", "review.bpmn", review)
    in_acme = _deploy_for(api, "acme", "bound.bpmn", _bound(""))
    naming = _deploy_for(
        api, None, "bound.bpmn", _bound('camunda:calledElementTenantId="${calledTenant}"')
    )

    def called_definition(caller_id: str, **values: Any) -> str:
        body = {"variables": {name: {"value": v} for name, v in values.items()}}
        response = api.client.post(api.url(f"/process-definition/{caller_id}/start"), json=body)
        assert response.status_code == 200, response.text
        return str(called_from(api, response.json()["id"])["definitionId"])

    assert called_definition(in_acme, reviewer="kim") == acme
    assert called_definition(naming, reviewer="kim", calledTenant="acme") == acme
    assert called_definition(naming, reviewer="kim", calledTenant=None) == shared


def test_a_source_expression_naming_a_variable_passes_it_with_its_type(client: Any) -> None:
    api = Api(client)
    deployed_id(api, "call-review.bpmn")
    deployed_id(api, "call-order.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/order/start"),
        json={
            "variables": {
                "reviewProcess": {"value": "review"},
                "orderId": {"value": "ORD-13"},
                "customer": {"value": "lee"},
                "amount": {"value": 5, "type": "Long"},
            }
        },
    )
    assert response.status_code == 200, response.text
    order = response.json()
    review = called_from(api, order["id"])
    total = api.get(f"/process-instance/{review['id']}/variables/total").json()
    assert (total["type"], total["value"]) == ("Long", 5)
    complete(api, only_task(api, review["id"])["id"], verdict="ok")
    # camunda:out sourceExpression="${total}": the Long stays a Long.
    back = api.get(f"/process-instance/{order['id']}/variables/reviewedTotal").json()
    assert (back["type"], back["value"]) == ("Long", 5)
