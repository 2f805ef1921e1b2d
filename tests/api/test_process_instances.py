"""Process instances as Camunda's runtime service shows them: the query (``GET`` and
``POST /process-instance`` and their counts), suspension and what it refuses, and the
activity instance tree of a running model."""

from __future__ import annotations

from typing import Any

from tests.api.test_process_runs import complete, deploy, start, tasks_of
from tests.api_client import Api


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [instance["id"] for instance in response.json()]


def _started(api: Api, key: str, business_key: str, **variables: Any) -> str:
    body = {name: {"value": value} for name, value in variables.items()}
    return str(
        start(
            api, f"/process-definition/key/{key}/start", businessKey=business_key, variables=body
        )["id"]
    )


def test_the_query_filters_by_key_business_key_and_definition(client: Any) -> None:
    api = Api(client)
    review_definition = deploy(api, "parallel-review.bpmn")
    deploy(api, "onboarding.bpmn")
    first = _started(api, "parallelReview", "PR-1")
    second = _started(api, "parallelReview", "PR-2")
    third = _started(api, "onboarding", "ON-1", employee="eve")

    assert _ids(api.get("/process-instance")) == [first, second, third]
    assert _ids(api.get("/process-instance", processDefinitionKey="parallelReview")) == [
        first,
        second,
    ]
    assert _ids(api.get("/process-instance", processDefinitionId=review_definition)) == [
        first,
        second,
    ]
    assert _ids(api.get("/process-instance", businessKeyLike="PR-%")) == [first, second]
    assert _ids(api.get("/process-instance", businessKey="ON-1")) == [third]
    assert _ids(api.get("/process-instance", processInstanceIds=f"{first},{third}")) == [
        first,
        third,
    ]
    assert _ids(api.get("/process-instance", processDefinitionKeyNotIn="parallelReview")) == [third]
    assert _ids(api.get("/process-instance", activityIdIn="uploadContract")) == [third]
    assert _ids(
        api.get(
            "/process-instance", sortBy="businessKey", sortOrder="desc", firstResult=1, maxResults=1
        )
    ) == [first]  # PR-2, PR-1, ON-1
    count = api.get("/process-instance/count", processDefinitionKey="parallelReview")
    assert count.json() == {"count": 2}

    (listed,) = api.get("/process-instance", businessKey="ON-1").json()
    assert listed == {
        "id": third,
        "definitionId": listed["definitionId"],
        "definitionKey": "onboarding",
        "businessKey": "ON-1",
        "caseInstanceId": None,
        "ended": False,
        "suspended": False,
        "tenantId": None,
        "links": [],
    }
    assert listed["definitionId"].startswith("onboarding:1:")


def test_variable_criteria_and_or_queries_in_the_json_form(client: Any) -> None:
    api = Api(client)
    deploy(api, "parallel-review.bpmn")
    small = _started(api, "parallelReview", "A", amount=50)
    large = _started(api, "parallelReview", "B", amount=5000)
    other = _started(api, "parallelReview", "C", owner="Zoe")

    def query(body: dict[str, Any]) -> list[str]:
        return _ids(api.client.post(api.url("/process-instance"), json=body))

    assert query({"variables": [{"name": "amount", "operator": "gt", "value": 100}]}) == [large]
    assert query(
        {
            "orQueries": [
                {
                    "businessKey": "A",
                    "variables": [{"name": "owner", "operator": "eq", "value": "zoe"}],
                    "variableValuesIgnoreCase": True,
                }
            ],
            "sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}],
        }
    ) == [other, small]
    # The text form: values are text, as in Camunda's GET.
    assert _ids(api.get("/process-instance", variables="owner_eq_Zoe")) == [other]
    counted = api.client.post(
        api.url("/process-instance/count"),
        json={"variables": [{"name": "amount", "operator": "lteq", "value": 5000}]},
    )
    assert counted.json() == {"count": 2}


def test_what_the_server_does_not_keep_is_refused_by_name(client: Any) -> None:
    api = Api(client)
    response = api.get("/process-instance", superCaseInstance="x")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The process instance query parameter superCaseInstance is not supported by this server"
    )
    refused = api.client.post(
        api.url("/process-instance"), json={"orQueries": [{"orQueries": [{}]}]}
    )
    assert refused.status_code == 400
    assert (
        refused.json()["message"] == "Invalid query usage: cannot set orQueries within 'or' query"
    )
    unknown_operator = api.get("/process-instance", variables="a_near_1")
    assert unknown_operator.status_code == 400
    assert unknown_operator.json()["message"] == (
        "Invalid process instance variable comparator specified: near"
    )


def test_a_suspended_instance_keeps_its_tasks_but_refuses_to_move_on(client: Any) -> None:
    api = Api(client)
    deploy(api, "parallel-review.bpmn")
    instance = _started(api, "parallelReview", "S")
    legal = next(t for t in tasks_of(api, instance) if t["taskDefinitionKey"] == "legalReview")

    suspended = api.client.put(
        api.url(f"/process-instance/{instance}/suspended"), json={"suspended": True}
    )
    assert suspended.status_code == 204, suspended.text
    assert api.get(f"/process-instance/{instance}").json()["suspended"] is True
    assert _ids(api.get("/process-instance", suspended="true")) == [instance]
    assert _ids(api.get("/process-instance", active="true")) == []
    task = api.get(f"/task/{legal['id']}").json()
    assert task["suspended"] is True
    instance_tasks = {t["id"] for t in tasks_of(api, instance)}
    assert {t["id"] for t in api.get("/task", suspended="true").json()} == instance_tasks
    assert not instance_tasks & {t["id"] for t in api.get("/task", active="true").json()}
    history = api.get(f"/history/process-instance/{instance}").json()
    assert history["state"] == "SUSPENDED"

    refused = api.client.post(api.url(f"/task/{legal['id']}/complete"), json={})
    assert refused.status_code == 500
    assert refused.json()["type"] == "SuspendedEntityInteractionException"
    assert refused.json()["message"] == (
        f"Cannot complete task {legal['id']}: task with id '{legal['id']}' is suspended."
    )
    claim = api.client.post(api.url(f"/task/{legal['id']}/claim"), json={"userId": "ann"})
    assert claim.status_code == 500
    assert claim.json()["type"] == "SuspendedEntityInteractionException"
    # Its variables may still be written, as in Camunda.
    written = api.client.put(
        api.url(f"/task/{legal['id']}/variables/note"), json={"value": "later"}
    )
    assert written.status_code == 204
    assert len(tasks_of(api, instance)) == 2  # nothing moved

    activated = api.client.put(
        api.url(f"/process-instance/{instance}/suspended"), json={"suspended": False}
    )
    assert activated.status_code == 204
    assert api.get(f"/history/process-instance/{instance}").json()["state"] == "ACTIVE"
    complete(api, legal["id"])
    assert [t["taskDefinitionKey"] for t in tasks_of(api, instance)] == ["financeReview"]


def test_suspending_an_unknown_instance_is_a_404(client: Any) -> None:
    api = Api(client)
    response = api.client.put(api.url("/process-instance/nope/suspended"), json={"suspended": True})
    assert response.status_code == 404
    assert response.json()["message"] == "Process instance with id nope does not exist"


def test_the_activity_tree_shows_parallel_tasks_under_the_instance(client: Any) -> None:
    api = Api(client)
    definition_id = deploy(api, "parallel-review.bpmn")
    instance = _started(api, "parallelReview", "T")
    tree = api.get(f"/process-instance/{instance}/activity-instances").json()
    assert tree["id"] == instance
    assert tree["activityId"] == definition_id
    assert tree["activityType"] == "processDefinition"
    assert tree["parentActivityInstanceId"] is None
    assert tree["executionIds"] == [instance]
    children = sorted(tree["childActivityInstances"], key=lambda c: c["activityId"])
    assert [(c["activityId"], c["activityType"], c["activityName"]) for c in children] == [
        ("financeReview", "userTask", "Finance review"),
        ("legalReview", "userTask", "Legal review"),
    ]
    tasks = {t["taskDefinitionKey"]: t for t in tasks_of(api, instance)}
    for child in children:
        assert child["parentActivityInstanceId"] == instance
        assert child["id"].startswith(child["activityId"] + ":")
        assert child["executionIds"] == [tasks[child["activityId"]]["executionId"]]
        assert child["childActivityInstances"] == []


def test_the_activity_tree_nests_a_task_in_its_sub_process(client: Any) -> None:
    api = Api(client)
    deploy(api, "onboarding.bpmn")
    instance = _started(api, "onboarding", "N", employee="eve")
    tree = api.get(f"/process-instance/{instance}/activity-instances").json()
    (paperwork,) = tree["childActivityInstances"]
    assert (paperwork["activityId"], paperwork["activityType"]) == ("Paperwork", "subProcess")
    (upload,) = paperwork["childActivityInstances"]
    assert (upload["activityId"], upload["activityType"]) == ("uploadContract", "userTask")
    assert upload["parentActivityInstanceId"] == paperwork["id"]
    (task,) = tasks_of(api, instance)
    assert upload["executionIds"] == [task["executionId"]]
    assert paperwork["executionIds"] == [task["executionId"]]
    complete(api, task["id"])
    after = api.get(f"/process-instance/{instance}/activity-instances").json()
    assert [c["activityId"] for c in after["childActivityInstances"]] == ["welcome"]


def test_the_activity_tree_of_an_unknown_instance_is_a_404(client: Any) -> None:
    api = Api(client)
    response = api.get("/process-instance/nope/activity-instances")
    assert response.status_code == 404
    assert response.json()["message"] == "Process instance with id nope does not exist"


def _shape(node: dict[str, Any]) -> Any:
    """A tree as (activityId, [children]) pairs, children sorted."""
    children = sorted((_shape(child) for child in node["childActivityInstances"]), key=str)
    return (node["activityId"], children)


def test_the_activity_tree_nests_sub_processes_in_each_other(client: Any) -> None:
    api = Api(client)
    definition_id = deploy(api, "nested-subprocesses.bpmn")
    instance = str(start(api, "/process-definition/key/nestedSubProcesses/start")["id"])
    (first,) = tasks_of(api, instance)
    complete(api, first["id"])  # taskO1: into the inner sub-process
    tree = api.get(f"/process-instance/{instance}/activity-instances").json()
    assert _shape(tree) == (definition_id, [("Outer", [("Inner", [("taskI1", [])])])])
    (outer,) = tree["childActivityInstances"]
    (inner,) = outer["childActivityInstances"]
    (task,) = inner["childActivityInstances"]
    assert inner["parentActivityInstanceId"] == outer["id"]
    assert task["parentActivityInstanceId"] == inner["id"]
    assert len({outer["id"], inner["id"], task["id"]}) == 3
    (waiting,) = tasks_of(api, instance)
    assert task["executionIds"] == [waiting["executionId"]] == inner["executionIds"]
    assert outer["executionIds"] != inner["executionIds"]

    complete(api, waiting["id"])  # taskI1: the inner sub-process ends
    after = api.get(f"/process-instance/{instance}/activity-instances").json()
    assert _shape(after) == (definition_id, [("Outer", [("taskO2", [])])])


def test_suspension_reaches_the_instances_tasks_not_their_subtasks_nor_standalone_ones(
    client: Any,
) -> None:
    api = Api(client)
    definition_id = deploy(api, "parallel-review.bpmn")
    instance = _started(api, "parallelReview", "SUB")
    legal = next(t for t in tasks_of(api, instance) if t["taskDefinitionKey"] == "legalReview")
    for task_id, parent in (("sub", legal["id"]), ("alone", None)):
        created = api.client.post(
            api.url("/task/create"), json={"id": task_id, "name": task_id, "parentTaskId": parent}
        )
        assert created.status_code == 204, created.text
    api.client.put(api.url(f"/process-instance/{instance}/suspended"), json={"suspended": True})

    assert api.get("/task/sub").json()["suspended"] is False
    assert api.get("/task/alone").json()["suspended"] is False
    active = {t["id"] for t in api.get("/task", active="true").json()}
    assert {"sub", "alone"} <= active
    assert legal["id"] not in active
    claimed = api.client.post(api.url("/task/sub/claim"), json={"userId": "ann"})
    assert claimed.status_code == 204, claimed.text
    refused = api.client.put(
        api.url(f"/task/{legal['id']}"), json={"name": "renamed", "priority": 1}
    )
    assert refused.status_code == 500
    assert refused.json()["type"] == "SuspendedEntityInteractionException"
    assert api.get(f"/task/{legal['id']}").json()["name"] == "Legal review"
    # The task query finds the instance's tasks by their definition.
    by_definition = api.get("/task", processDefinitionId=definition_id).json()
    assert {t["id"] for t in by_definition} == {t["id"] for t in tasks_of(api, instance)}
