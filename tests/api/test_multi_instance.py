"""Multi-instance activities over HTTP, run to their end as a client runs them: where
Camunda keeps ``nrOfInstances``/``nrOfActiveInstances``/``nrOfCompletedInstances`` (the
body's execution) and ``loopCounter`` with the element variable (each instance's), the
activity instance tree with its ``multiInstanceBody``, and history."""

from __future__ import annotations

import json
from typing import Any

from tests.api.test_process_runs import complete, deploy, start, tasks_of
from tests.api_client import Api

COUNTERS = ("nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")


def java_list(items: list[Any]) -> dict[str, Any]:
    """A collection as a Java client sends it: a JSON-serialized java.util.ArrayList."""
    return {
        "value": json.dumps(items),
        "type": "Object",
        "valueInfo": {
            "objectTypeName": "java.util.ArrayList",
            "serializationDataFormat": "application/json",
        },
    }


def values(api: Api, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return {name: variable["value"] for name, variable in response.json().items()}


def variable_names(api: Api, instance_id: str) -> list[str]:
    response = api.get("/variable-instance", processInstanceIdIn=instance_id)
    assert response.status_code == 200, response.text
    return sorted(variable["name"] for variable in response.json())


def activity_tree(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get(f"/process-instance/{instance_id}/activity-instances")
    assert response.status_code == 200, response.text
    tree: dict[str, Any] = response.json()
    return tree


def history_activities(api: Api, instance_id: str) -> list[dict[str, Any]]:
    response = api.get("/history/activity-instance", processInstanceId=instance_id)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_a_parallel_review_ends_when_two_of_three_reviewers_completed(api: Api) -> None:
    deploy(api, "mi-review.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miReview/start",
        variables={"reviewers": java_list(["anna", "ben", "cara"])},
    )["id"]
    reviews = tasks_of(api, instance_id)
    assert sorted(task["assignee"] for task in reviews) == ["anna", "ben", "cara"]
    by_assignee = {task["assignee"]: task for task in reviews}

    # Each instance in its own execution, holding its loopCounter and element variable.
    for counter, reviewer in enumerate(["anna", "ben", "cara"]):
        task = by_assignee[reviewer]
        assert task["executionId"] != instance_id
        local = values(api, f"/execution/{task['executionId']}/localVariables")
        assert local == {"loopCounter": counter, "reviewer": reviewer}
        seen = values(api, f"/task/{task['id']}/variables")
        assert {name: seen[name] for name in COUNTERS} == {
            "nrOfInstances": 3,
            "nrOfActiveInstances": 3,
            "nrOfCompletedInstances": 0,
        }
        assert seen["loopCounter"] == counter
    assert len({task["executionId"] for task in reviews}) == 3
    assert variable_names(api, instance_id) == sorted(
        [*COUNTERS, "reviewers", *["loopCounter"] * 3, *["reviewer"] * 3]
    )

    tree = activity_tree(api, instance_id)
    (body,) = tree["childActivityInstances"]
    assert (body["activityId"], body["activityType"]) == (
        "review#multiInstanceBody",
        "multiInstanceBody",
    )
    assert [child["activityType"] for child in body["childActivityInstances"]] == ["userTask"] * 3
    assert {child["parentActivityInstanceId"] for child in body["childActivityInstances"]} == {
        body["id"]
    }

    complete(api, by_assignee["anna"]["id"])
    # Anna's execution stays, inactive, with her variables until the body ends (Camunda).
    anna_execution = by_assignee["anna"]["executionId"]
    assert api.get(f"/execution/{anna_execution}").status_code == 200
    assert values(api, f"/execution/{anna_execution}/localVariables") == {
        "loopCounter": 0,
        "reviewer": "anna",
    }
    seen = values(api, f"/task/{by_assignee['ben']['id']}/variables")
    assert (seen["nrOfActiveInstances"], seen["nrOfCompletedInstances"]) == (2, 1)

    complete(api, by_assignee["cara"]["id"])
    (publish,) = tasks_of(api, instance_id)
    assert publish["taskDefinitionKey"] == "publish"
    assert publish["executionId"] == instance_id
    # The body's execution went, and its counters with it.
    assert variable_names(api, instance_id) == ["reviewers"]
    assert api.get(f"/execution/{anna_execution}").status_code == 404

    history = api.get("/history/task", processInstanceId=instance_id).json()
    reasons = {task["assignee"]: task["deleteReason"] for task in history if task["assignee"]}
    assert reasons == {"anna": "completed", "ben": "deleted", "cara": "completed"}
    activities = history_activities(api, instance_id)
    (recorded_body,) = [a for a in activities if a["activityType"] == "multiInstanceBody"]
    assert recorded_body["activityId"] == "review#multiInstanceBody"
    assert recorded_body["endTime"] is not None
    assert not recorded_body["canceled"]
    canceled = {a["canceled"] for a in activities if a["activityId"] == "review"}
    assert canceled == {True, False}
    inner = [a for a in activities if a["activityId"] == "review"]
    assert {a["parentActivityInstanceId"] for a in inner} == {recorded_body["id"]}

    complete(api, publish["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_sequential_loop_runs_one_signer_after_the_other_in_the_body_s_execution(
    api: Api,
) -> None:
    deploy(api, "mi-sequential.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miSign/start",
        variables={"signers": java_list(["cara", "anna", "ben"])},
    )["id"]
    body_execution = None
    for counter, signer in enumerate(["cara", "anna", "ben"]):
        (task,) = tasks_of(api, instance_id)
        assert task["assignee"] == signer
        body_execution = body_execution or task["executionId"]
        assert task["executionId"] == body_execution != instance_id
        local = values(api, f"/execution/{body_execution}/localVariables")
        assert local == {
            "loopCounter": counter,
            "signer": signer,
            "nrOfInstances": 3,
            "nrOfActiveInstances": 1,
            "nrOfCompletedInstances": counter,
        }
        (body,) = activity_tree(api, instance_id)["childActivityInstances"]
        assert body["executionIds"] == [body_execution]
        assert [c["executionIds"] for c in body["childActivityInstances"]] == [[body_execution]]
        complete(api, task["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    history = api.get(
        "/history/task", processInstanceId=instance_id, sortBy="startTime", sortOrder="asc"
    ).json()
    assert [task["assignee"] for task in history] == ["cara", "anna", "ben"]


def test_workers_fetch_each_instance_of_an_external_task_with_its_own_variables(
    api: Api,
) -> None:
    deploy(api, "mi-external.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miNotify/start",
        variables={"recipients": java_list(["a@example.org", "b@example.org"])},
    )["id"]
    response = api.client.post(
        api.url("/external-task/fetchAndLock"),
        json={
            "workerId": "mailer",
            "maxTasks": 5,
            "topics": [
                {
                    "topicName": "notify",
                    "lockDuration": 60_000,
                    "variables": ["recipient", "loopCounter", "nrOfInstances"],
                }
            ],
        },
    )
    assert response.status_code == 200, response.text
    fetched = response.json()
    seen = sorted(
        (
            task["variables"]["loopCounter"]["value"],
            task["variables"]["recipient"]["value"],
            task["variables"]["nrOfInstances"]["value"],
        )
        for task in fetched
    )
    assert seen == [(0, "a@example.org", 2), (1, "b@example.org", 2)]
    assert {task["activityId"] for task in fetched} == {"notify"}
    for task in fetched:
        done = api.client.post(
            api.url(f"/external-task/{task['id']}/complete"), json={"workerId": "mailer"}
        )
        assert done.status_code == 204, done.text
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    activities = history_activities(api, instance_id)
    assert sorted(
        a["activityType"] for a in activities if a["activityId"].startswith("notify")
    ) == [
        "multiInstanceBody",
        "serviceTask",
        "serviceTask",
    ]


def test_each_instance_of_a_sub_process_runs_in_a_scope_of_its_own(api: Api) -> None:
    deploy(api, "mi-subprocess.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miParcels/start",
        variables={"parcels": {"value": 2, "type": "Integer"}},
    )["id"]
    packs = tasks_of(api, instance_id)
    assert [task["taskDefinitionKey"] for task in packs] == ["pack", "pack"]
    counters = sorted(values(api, f"/task/{task['id']}/variables")["loopCounter"] for task in packs)
    assert counters == [0, 1]
    for task in packs:  # the sub-process's scope, not the instance's concurrent execution
        assert "loopCounter" not in values(api, f"/execution/{task['executionId']}/localVariables")
    (body,) = activity_tree(api, instance_id)["childActivityInstances"]
    assert body["activityId"] == "parcel#multiInstanceBody"
    parcels = body["childActivityInstances"]
    assert [p["activityType"] for p in parcels] == ["subProcess", "subProcess"]
    assert [[c["activityId"] for c in p["childActivityInstances"]] for p in parcels] == [
        ["pack"],
        ["pack"],
    ]
    complete(api, packs[0]["id"])
    (left,) = tasks_of(api, instance_id)
    assert values(api, f"/task/{left['id']}/variables")["nrOfCompletedInstances"] == 1
    complete(api, left["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_json_value_is_not_a_collection_and_nothing_starts(api: Api) -> None:
    deploy(api, "mi-review.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/miReview/start"),
        json={"variables": {"reviewers": {"value": '["anna"]', "type": "Json"}}},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"] == (
        "Cannot instantiate process definition miReview: "
        "ENGINE-02025 Variable 'reviewers' is not of the expected type 'Collection'."
    )
    assert api.get("/process-instance", processDefinitionKey="miReview").json() == []


def fetch_notify(api: Api) -> list[dict[str, Any]]:
    response = api.client.post(
        api.url("/external-task/fetchAndLock"),
        json={
            "workerId": "mailer",
            "maxTasks": 5,
            "topics": [{"topicName": "notify", "lockDuration": 60_000}],
        },
    )
    assert response.status_code == 200, response.text
    fetched: list[dict[str, Any]] = response.json()
    return fetched


def bpmn_error(api: Api, task_id: str) -> None:
    response = api.client.post(
        api.url(f"/external-task/{task_id}/bpmnError"),
        json={"workerId": "mailer", "errorCode": "bounced"},
    )
    assert response.status_code == 204, response.text


def test_an_error_from_one_instance_is_caught_on_the_multi_instance_activity(api: Api) -> None:
    deploy(api, "mi-external-error.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miNotifyOrFix/start",
        variables={"recipients": java_list(["a@example.org", "b@example.org"])},
    )["id"]
    first, second = fetch_notify(api)
    bpmn_error(api, first["id"])
    (fix,) = tasks_of(api, instance_id)
    assert fix["taskDefinitionKey"] == "fixAddress"
    assert values(api, f"/task/{fix['id']}/variables")["why"] == "bounced"
    # The other instance, the body and their variables went with the interrupted body.
    assert api.get(f"/external-task/{second['id']}").status_code == 404
    assert variable_names(api, instance_id) == ["recipients", "why"]
    complete(api, fix["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_an_uncaught_error_ends_its_instance_and_the_body_waits_for_the_others(
    api: Api,
) -> None:
    deploy(api, "mi-external.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miNotify/start",
        variables={"recipients": java_list(["a@example.org", "b@example.org"])},
    )["id"]
    first, second = fetch_notify(api)
    bpmn_error(api, first["id"])
    assert [task["id"] for task in fetch_notify(api)] == []  # the second is still locked
    tree = activity_tree(api, instance_id)
    (body,) = tree["childActivityInstances"]
    assert [child["activityId"] for child in body["childActivityInstances"]] == ["notify"]
    local = values(api, f"/execution/{body['executionIds'][0]}/localVariables")
    assert (local["nrOfCompletedInstances"], local["nrOfActiveInstances"]) == (1, 1)
    done = api.client.post(
        api.url(f"/external-task/{second['id']}/complete"), json={"workerId": "mailer"}
    )
    assert done.status_code == 204, done.text
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_deleting_an_instance_cancels_every_instance_and_the_body(api: Api) -> None:
    deploy(api, "mi-review.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miReview/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    response = api.client.delete(api.url(f"/process-instance/{instance_id}"))
    assert response.status_code == 204, response.text
    history = api.get("/history/task", processInstanceId=instance_id).json()
    assert [task["deleteReason"] for task in history] == ["deleted", "deleted"]
    activities = history_activities(api, instance_id)
    assert sorted((a["activityId"], a["canceled"]) for a in activities if a["endTime"]) == [
        ("review", True),
        ("review", True),
        ("review#multiInstanceBody", True),
        ("start", False),
    ]
    assert variable_names(api, instance_id) == []


def test_a_negative_cardinality_is_camunda_s_error_and_nothing_starts(api: Api) -> None:
    deploy(api, "mi-subprocess.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/miParcels/start"),
        json={"variables": {"parcels": {"value": -1, "type": "Integer"}}},
    )
    assert response.status_code == 400, response.text
    assert response.json()["message"].endswith(
        "ENGINE-02023 Invalid number of 'instances': must be positive integer value or zero, "
        "but was '-1'."
    )
    assert api.get("/process-instance", processDefinitionKey="miParcels").json() == []


def test_a_loop_inside_a_looped_sub_process_sees_its_own_counters_first(api: Api) -> None:
    deploy(api, "mi-nested.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miBatches/start",
        variables={"checkers": {"value": 3, "type": "Integer"}},
    )["id"]
    for batch in range(2):
        checks = tasks_of(api, instance_id)
        assert len(checks) == 3
        seen = values(api, f"/task/{checks[0]['id']}/variables")
        # The inner body's counters hide the outer body's; its loopCounter is the task's.
        assert (seen["nrOfInstances"], seen["nrOfActiveInstances"]) == (3, 3)
        assert sorted(
            values(api, f"/task/{task['id']}/variables")["loopCounter"] for task in checks
        ) == [0, 1, 2]
        (outer,) = activity_tree(api, instance_id)["childActivityInstances"]
        assert outer["activityId"] == "batch#multiInstanceBody"
        (sub_process,) = outer["childActivityInstances"]
        (inner,) = sub_process["childActivityInstances"]
        assert inner["activityId"] == "check#multiInstanceBody"
        outer_local = values(api, f"/execution/{outer['executionIds'][0]}/localVariables")
        assert (outer_local["loopCounter"], outer_local["nrOfCompletedInstances"]) == (batch, batch)
        complete(api, checks[1]["id"])  # one check is enough: the others are cancelled
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    history = api.get("/history/task", processInstanceId=instance_id).json()
    assert sorted(task["deleteReason"] for task in history) == ["completed"] * 2 + ["deleted"] * 4


def test_each_instance_of_a_call_activity_calls_a_process_instance_of_its_own(api: Api) -> None:
    deploy(api, "call-review.bpmn")
    deploy(api, "mi-call.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallReviews/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    called = api.get("/process-instance", superProcessInstance=instance_id).json()
    assert len(called) == 2
    passed = sorted(
        (values(api, f"/process-instance/{c['id']}/variables")["round"], c["id"]) for c in called
    )
    reviews = [tasks_of(api, called_id)[0] for _, called_id in passed]
    assert [task["assignee"] for task in reviews] == ["anna", "ben"]
    assert [round_ for round_, _ in passed] == [0, 1]
    (body,) = activity_tree(api, instance_id)["childActivityInstances"]
    assert body["activityId"] == "reviews#multiInstanceBody"
    assert [c["activityType"] for c in body["childActivityInstances"]] == ["callActivity"] * 2
    complete(api, reviews[0]["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 200
    complete(api, reviews[1]["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def counters(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get("/variable-instance", processInstanceIdIn=instance_id)
    assert response.status_code == 200, response.text
    return {v["name"]: v["value"] for v in response.json() if v["name"] in COUNTERS}


def called_by_reviewer(api: Api, instance_id: str) -> dict[str, str]:
    called = api.get("/process-instance", superProcessInstance=instance_id).json()
    return {
        values(api, f"/process-instance/{c['id']}/variables")["reviewer"]: c["id"] for c in called
    }


def test_deleting_one_called_instance_of_a_parallel_call_is_no_completion(api: Api) -> None:
    # ParallelMultiInstanceActivityBehavior.destroyInnerInstance: only nrOfActiveInstances
    # goes down; the completion condition (one completed is enough) is not evaluated.
    deploy(api, "call-review.bpmn")
    deploy(api, "combo-mi-call-early.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallEarly/start",
        variables={"reviewers": java_list(["anna", "ben", "cara"])},
    )["id"]
    called = called_by_reviewer(api, instance_id)

    response = api.client.delete(api.url(f"/process-instance/{called['anna']}"))
    assert response.status_code == 204, response.text

    assert tasks_of(api, instance_id) == []
    assert set(called_by_reviewer(api, instance_id)) == {"ben", "cara"}
    assert counters(api, instance_id) == {
        "nrOfInstances": 3,
        "nrOfActiveInstances": 2,
        "nrOfCompletedInstances": 0,
    }
    (body,) = activity_tree(api, instance_id)["childActivityInstances"]
    assert len(body["childActivityInstances"]) == 2

    complete(api, tasks_of(api, called["ben"])[0]["id"])
    (after,) = tasks_of(api, instance_id)
    assert after["taskDefinitionKey"] == "after"
    states = {
        h["id"]: h["state"]
        for h in api.get("/history/process-instance", superProcessInstanceId=instance_id).json()
    }
    assert states == {
        called["anna"]: "EXTERNALLY_TERMINATED",
        called["ben"]: "COMPLETED",
        called["cara"]: "INTERNALLY_TERMINATED",
    }


def test_deleting_every_called_instance_of_a_parallel_call_cancels_the_caller(api: Api) -> None:
    deploy(api, "call-review.bpmn")
    deploy(api, "combo-mi-call-early.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallEarly/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    called = called_by_reviewer(api, instance_id)
    for reviewer in ("anna", "ben"):
        response = api.client.delete(api.url(f"/process-instance/{called[reviewer]}"))
        assert response.status_code == 204, response.text

    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    (historic,) = api.get("/history/process-instance", processInstanceId=instance_id).json()
    assert historic["state"] == "EXTERNALLY_TERMINATED"
    assert [
        a["activityId"] for a in history_activities(api, instance_id) if a["activityId"] == "after"
    ] == []


def test_deleting_the_called_instance_of_a_sequential_call_cancels_the_body(api: Api) -> None:
    # Sequential: the inner call runs in the body's own execution, so cancelling its
    # activity instance cancels the body (AbstractInstanceCancellationCmd); no completion.
    deploy(api, "call-review.bpmn")
    deploy(api, "mi-call-sequential-early.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallSequentialEarly/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    called = called_by_reviewer(api, instance_id)
    assert set(called) == {"anna"}

    response = api.client.delete(api.url(f"/process-instance/{called['anna']}"))
    assert response.status_code == 204, response.text

    assert [t["taskDefinitionKey"] for t in tasks_of(api, instance_id)] == ["other"]
    assert api.get("/process-instance", superProcessInstance=instance_id).json() == []
    assert counters(api, instance_id) == {}
    ended = sorted(
        (a["activityId"], a["canceled"])
        for a in history_activities(api, instance_id)
        if a["activityId"].startswith("reviews")
    )
    assert ended == [("reviews", True), ("reviews#multiInstanceBody", True)]


def test_deleting_the_last_running_called_instance_cancels_the_parallel_body(api: Api) -> None:
    # The body's scope execution left without children is cancelled, not completed
    # (AbstractInstanceCancellationCmd); the branch beside it goes on.
    deploy(api, "call-review.bpmn")
    deploy(api, "mi-call-beside.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallBeside/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    called = called_by_reviewer(api, instance_id)
    response = api.client.delete(api.url(f"/process-instance/{called['anna']}"))
    assert response.status_code == 204, response.text
    assert counters(api, instance_id)["nrOfActiveInstances"] == 1

    response = api.client.delete(api.url(f"/process-instance/{called['ben']}"))
    assert response.status_code == 204, response.text

    assert [t["taskDefinitionKey"] for t in tasks_of(api, instance_id)] == ["other"]
    assert counters(api, instance_id) == {}
    (body,) = [
        a
        for a in history_activities(api, instance_id)
        if a["activityId"] == "reviews#multiInstanceBody"
    ]
    assert body["canceled"] is True


def test_deleting_the_last_running_call_after_a_completed_one_terminates_the_caller(
    api: Api,
) -> None:
    deploy(api, "call-review.bpmn")
    deploy(api, "mi-call.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/miCallReviews/start",
        variables={"reviewers": java_list(["anna", "ben"])},
    )["id"]
    called = called_by_reviewer(api, instance_id)
    complete(api, tasks_of(api, called["anna"])[0]["id"])
    assert counters(api, instance_id)["nrOfCompletedInstances"] == 1

    response = api.client.delete(api.url(f"/process-instance/{called['ben']}"))
    assert response.status_code == 204, response.text

    (historic,) = api.get("/history/process-instance", processInstanceId=instance_id).json()
    assert historic["state"] == "EXTERNALLY_TERMINATED"
    ended = [a for a in history_activities(api, instance_id) if a["activityId"] == "end"]
    assert ended == []
