"""Camunda's executions of running models, seen over HTTP: the execution each user task
belongs to, which executions live and which ended, and where local variables put on an
execution stay visible as the tokens fork, join, enter and leave sub-processes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.api.test_process_runs import complete, deploy, start, tasks_of
from tests.api_client import Api


def by_key(api: Api, instance_id: str) -> dict[str, dict[str, Any]]:
    """The instance's tasks by their element id."""
    return {task["taskDefinitionKey"]: task for task in tasks_of(api, instance_id)}


def put_local(api: Api, execution_id: str, name: str, value: str) -> None:
    response = api.client.put(
        api.url(f"/execution/{execution_id}/localVariables/{name}"),
        json={"value": value, "type": "String"},
    )
    assert response.status_code == 204, response.text


def task_sees(api: Api, task: dict[str, Any], name: str) -> bool:
    status = api.get(f"/task/{task['id']}/variables/{name}").status_code
    assert status in (200, 404)
    return status == 200


def execution_lives(api: Api, execution_id: str, instance_id: str) -> bool:
    response = api.get(f"/execution/{execution_id}")
    assert response.status_code in (200, 404), response.text
    if response.status_code == 200:
        assert response.json()["processInstanceId"] == instance_id
    return response.status_code == 200


def instance_has(api: Api, instance_id: str, name: str) -> bool:
    status = api.get(f"/process-instance/{instance_id}/variables/{name}").status_code
    assert status in (200, 404)
    return status == 200


def boolean(value: bool) -> dict[str, Any]:
    return {"value": value, "type": "Boolean"}


def test_a_gateway_that_joins_and_splits_gives_each_new_branch_its_own_execution(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "join-and-split.bpmn")
    instance_id = start(api, "/process-definition/key/joinAndSplit/start")["id"]
    tasks = by_key(api, instance_id)
    assert set(tasks) == {"taskA", "taskB"}
    a, b = tasks["taskA"], tasks["taskB"]
    assert a["executionId"] != b["executionId"]
    assert instance_id not in (a["executionId"], b["executionId"])
    assert execution_lives(api, a["executionId"], instance_id)
    assert execution_lives(api, b["executionId"], instance_id)

    put_local(api, a["executionId"], "onBranchA", "a")
    assert task_sees(api, a, "onBranchA")
    assert not task_sees(api, b, "onBranchA")
    assert not instance_has(api, instance_id, "onBranchA")

    complete(api, a["id"])
    assert set(by_key(api, instance_id)) == {"taskB"}
    assert not execution_lives(api, a["executionId"], instance_id)  # waits at the join

    complete(api, b["id"])
    tasks = by_key(api, instance_id)
    assert set(tasks) == {"taskC", "taskD"}
    c, d = tasks["taskC"], tasks["taskD"]
    assert c["executionId"] != d["executionId"]
    old = {a["executionId"], b["executionId"], instance_id}
    assert c["executionId"] not in old
    assert d["executionId"] not in old
    assert execution_lives(api, c["executionId"], instance_id)
    assert execution_lives(api, d["executionId"], instance_id)
    assert not execution_lives(api, a["executionId"], instance_id)
    assert not execution_lives(api, b["executionId"], instance_id)
    # A's branch joined: its local variable went with its execution.
    assert not task_sees(api, c, "onBranchA")
    assert not task_sees(api, d, "onBranchA")
    assert not instance_has(api, instance_id, "onBranchA")

    put_local(api, c["executionId"], "onBranchC", "c")
    assert task_sees(api, c, "onBranchC")
    assert not task_sees(api, d, "onBranchC")

    complete(api, c["id"])
    complete(api, d["id"])
    (e,) = tasks_of(api, instance_id)
    assert e["taskDefinitionKey"] == "taskE"
    assert e["executionId"] == instance_id
    assert not execution_lives(api, c["executionId"], instance_id)
    assert not execution_lives(api, d["executionId"], instance_id)
    assert not task_sees(api, e, "onBranchC")
    assert not instance_has(api, instance_id, "onBranchC")

    complete(api, e["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


@pytest.mark.parametrize(
    ("file_name", "key", "first", "waiting"),
    [
        ("join-and-split.bpmn", "joinAndSplit", "taskA", "taskB"),
        ("subprocess-after-split.bpmn", "subProcessAfterSplit", "taskY", "taskX"),
    ],
)
def test_a_branch_keeps_its_execution_while_its_sibling_waits_at_the_join(
    client: Any, file_name: str, key: str, first: str, waiting: str
) -> None:
    """Camunda keeps the arrived token's concurrent execution (inactive) until the join
    fires, so the scope is not left with one token and nothing is compacted."""
    api = Api(client)
    deploy(api, file_name)
    instance_id = start(api, f"/process-definition/key/{key}/start")["id"]
    tasks = by_key(api, instance_id)
    before = tasks[waiting]
    put_local(api, before["executionId"], "onWaitingBranch", "w")
    complete(api, tasks[first]["id"])
    (after,) = tasks_of(api, instance_id)
    assert after["id"] == before["id"]
    assert after["executionId"] == before["executionId"]
    assert execution_lives(api, before["executionId"], instance_id)
    assert not instance_has(api, instance_id, "onWaitingBranch")
    complete(api, after["id"])


def test_a_sub_process_on_a_branch_runs_its_task_in_a_scope_execution_of_its_own(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "subprocess-after-split.bpmn")
    instance_id = start(api, "/process-definition/key/subProcessAfterSplit/start")["id"]
    tasks = by_key(api, instance_id)
    assert set(tasks) == {"taskX", "taskY"}
    x, y = tasks["taskX"], tasks["taskY"]
    assert x["executionId"] != y["executionId"]
    assert instance_id not in (x["executionId"], y["executionId"])
    assert execution_lives(api, x["executionId"], instance_id)
    assert execution_lives(api, y["executionId"], instance_id)

    put_local(api, y["executionId"], "inSubProcess", "y")
    put_local(api, x["executionId"], "onBranchX", "x")
    assert task_sees(api, y, "inSubProcess")
    assert not task_sees(api, x, "inSubProcess")
    assert task_sees(api, x, "onBranchX")
    assert not task_sees(api, y, "onBranchX")

    complete(api, y["id"])
    assert set(by_key(api, instance_id)) == {"taskX"}
    assert not execution_lives(api, y["executionId"], instance_id)
    assert not instance_has(api, instance_id, "inSubProcess")
    assert not task_sees(api, x, "inSubProcess")

    complete(api, x["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_nested_sub_process_is_a_scope_below_the_outer_one_and_the_outer_goes_on_after_it(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "nested-subprocesses.bpmn")
    instance_id = start(api, "/process-definition/key/nestedSubProcesses/start")["id"]
    (o1,) = tasks_of(api, instance_id)
    assert o1["taskDefinitionKey"] == "taskO1"
    outer = o1["executionId"]
    assert outer != instance_id
    assert execution_lives(api, outer, instance_id)
    put_local(api, outer, "inOuter", "o")

    complete(api, o1["id"])
    (i1,) = tasks_of(api, instance_id)
    assert i1["taskDefinitionKey"] == "taskI1"
    inner = i1["executionId"]
    assert inner not in (outer, instance_id)
    assert execution_lives(api, inner, instance_id)
    assert execution_lives(api, outer, instance_id)
    # The inner scope is below the outer one: the outer's local variable is seen.
    assert task_sees(api, i1, "inOuter")
    put_local(api, inner, "inInner", "i")
    assert task_sees(api, i1, "inInner")

    complete(api, i1["id"])
    (o2,) = tasks_of(api, instance_id)
    assert o2["taskDefinitionKey"] == "taskO2"
    assert o2["executionId"] == outer
    assert not execution_lives(api, inner, instance_id)
    assert task_sees(api, o2, "inOuter")
    assert not task_sees(api, o2, "inInner")

    complete(api, o2["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_every_pass_of_a_loop_around_a_parallel_block_gets_new_branch_executions(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "parallel-loop.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/parallelLoop/start",
        variables={"again": boolean(True), "note": {"value": "kept", "type": "String"}},
    )["id"]
    seen: set[str] = {instance_id}
    for round_number in range(3):
        tasks = by_key(api, instance_id)
        assert set(tasks) == {"taskP", "taskQ"}, round_number
        p, q = tasks["taskP"], tasks["taskQ"]
        branches = {p["executionId"], q["executionId"]}
        assert len(branches) == 2
        assert not branches & seen, round_number
        for execution_id in seen - {instance_id}:
            assert not execution_lives(api, execution_id, instance_id)
        for execution_id in branches:
            assert execution_lives(api, execution_id, instance_id)
        seen |= branches
        # The variable set on the instance survives every pass; a branch's does not.
        assert task_sees(api, p, "note")
        assert task_sees(api, q, "note")
        assert not task_sees(api, p, "onBranchP")
        put_local(api, p["executionId"], "onBranchP", str(round_number))
        assert task_sees(api, p, "onBranchP")
        assert not task_sees(api, q, "onBranchP")
        complete(api, p["id"])
        last = round_number == 2
        complete(api, q["id"], **({"again": boolean(False)} if last else {}))
    assert tasks_of(api, instance_id) == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    for execution_id in seen:
        assert not execution_lives(api, execution_id, instance_id)


def test_a_branch_left_alone_after_its_sibling_ended_moves_up_to_the_instance_with_its_variables(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "branches-end-apart.bpmn")
    instance_id = start(api, "/process-definition/key/branchesEndApart/start")["id"]
    tasks = by_key(api, instance_id)
    assert set(tasks) == {"taskT1", "taskT2"}
    t1, t2 = tasks["taskT1"], tasks["taskT2"]
    assert t1["executionId"] != t2["executionId"]
    assert instance_id not in (t1["executionId"], t2["executionId"])

    put_local(api, t2["executionId"], "onBranchT2", "t2")
    assert task_sees(api, t2, "onBranchT2")
    assert not task_sees(api, t1, "onBranchT2")
    assert not instance_has(api, instance_id, "onBranchT2")
    before = api.get(
        "/variable-instance", variableName="onBranchT2", processInstanceIdIn=instance_id
    )
    assert before.status_code == 200, before.text
    (variable,) = before.json()
    assert variable["executionId"] == t2["executionId"]

    complete(api, t1["id"])
    (still,) = tasks_of(api, instance_id)
    assert still["id"] == t2["id"]
    assert still["executionId"] == instance_id
    assert not execution_lives(api, t1["executionId"], instance_id)
    assert not execution_lives(api, t2["executionId"], instance_id)
    # Compaction moved the variable up to the instance, keeping its id.
    moved = api.get(f"/process-instance/{instance_id}/variables/onBranchT2")
    assert moved.status_code == 200, moved.text
    assert moved.json()["value"] == "t2"
    after = api.get(
        "/variable-instance", variableName="onBranchT2", processInstanceIdIn=instance_id
    )
    (moved_variable,) = after.json()
    assert moved_variable["id"] == variable["id"]
    assert moved_variable["executionId"] == instance_id
    assert task_sees(api, still, "onBranchT2")

    complete(api, still["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_loop_of_three_hundred_passes_runs_in_the_instance_and_ends(client: Any) -> None:
    api = Api(client)
    deploy(api, "long-loop.bpmn")
    instance_id = start(
        api, "/process-definition/key/longLoop/start", variables={"done": boolean(False)}
    )["id"]
    passes = 300
    for number in range(1, passes + 1):
        (work,) = tasks_of(api, instance_id)
        assert (work["taskDefinitionKey"], work["executionId"]) == ("work", instance_id)
        complete(api, work["id"], **({"done": boolean(True)} if number == passes else {}))
    assert tasks_of(api, instance_id) == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_loop_back_into_a_splitting_gateway_is_no_join_and_each_pass_forks_anew(
    client: Any,
) -> None:
    """An inclusive gateway that splits and takes the loop's flow back in has two
    incoming flows but joins nothing: one token passes it each time."""
    api = Api(client)
    deploy(api, "loop-into-split.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/loopIntoSplit/start",
        variables={"go": boolean(True), "again": boolean(True)},
    )["id"]
    seen: set[str] = set()
    for round_number in range(3):
        tasks = by_key(api, instance_id)
        assert set(tasks) == {"taskA", "taskB"}, round_number
        a, b = tasks["taskA"], tasks["taskB"]
        branches = {a["executionId"], b["executionId"]}
        assert len(branches) == 2, round_number
        assert instance_id not in branches
        assert not branches & seen, round_number
        seen |= branches
        put_local(api, a["executionId"], "onBranchA", "a")
        assert task_sees(api, a, "onBranchA")
        assert not task_sees(api, b, "onBranchA")
        complete(api, a["id"])
        last = round_number == 2
        complete(api, b["id"], **({"again": boolean(False)} if last else {}))
        if not last:
            assert not instance_has(api, instance_id, "onBranchA")
    assert tasks_of(api, instance_id) == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_an_inclusive_gateways_branches_keep_their_local_variables_until_they_join(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "inclusive-checks.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/inclusiveChecks/start",
        variables={
            "amount": {"value": 5000, "type": "Integer"},
            "customer": {"value": '{"new": true, "country": "DE"}', "type": "Json"},
        },
    )["id"]
    tasks = by_key(api, instance_id)
    assert set(tasks) == {"creditCheck", "fraudCheck"}  # the legal check's condition fails
    credit, fraud = tasks["creditCheck"], tasks["fraudCheck"]
    put_local(api, credit["executionId"], "creditScore", "AA")
    assert task_sees(api, credit, "creditScore")
    assert not task_sees(api, fraud, "creditScore")
    assert not instance_has(api, instance_id, "creditScore")

    complete(api, credit["id"])
    # The credit branch waits at the join: its execution and variable are gone, and the
    # fraud branch keeps its own execution.
    assert not execution_lives(api, credit["executionId"], instance_id)
    (still,) = tasks_of(api, instance_id)
    assert still["executionId"] == fraud["executionId"]
    assert not instance_has(api, instance_id, "creditScore")
    complete(api, fraud["id"])
    (decide,) = tasks_of(api, instance_id)
    assert decide["executionId"] == instance_id
    assert not task_sees(api, decide, "creditScore")


def test_a_task_whose_run_is_gone_is_never_removed_silently(client: Any, db_url: str) -> None:
    """A model's task without its run cannot be moved on: the complete fails and the
    task stays (before, it was deleted as if it were a standalone task)."""
    api = Api(client)
    deploy(api, "invoice.bpmn")
    instance_id = start(
        api, "/process-definition/key/invoice/start", variables={"clerk": {"value": "anna"}}
    )["id"]
    (check,) = tasks_of(api, instance_id)
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM process_run"))
    finally:
        engine.dispose()
    response = api.client.post(api.url(f"/task/{check['id']}/complete"), json={})
    assert response.status_code == 500
    assert [task["id"] for task in tasks_of(api, instance_id)] == [check["id"]]
