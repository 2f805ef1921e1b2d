"""External tasks of deployed models on a real database, through the services a handler
calls: created when a token reaches a service task, fetched and locked by one worker,
completed with variables, failed and retried, and BPMN errors caught by boundary events
or ending the token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taskvars.engine import runtime
from taskvars.errors import ModelRunError, RestError, RestNotFoundError, SuspendedEntityError
from taskvars.persistence.external_task_query import ExternalTaskCriteria
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import TaskCriteria
from taskvars.services import (
    deployments,
    external_tasks,
    process_definitions,
    process_instances,
    test_clock,
    variables,
)
from taskvars.services.deployments import DeploymentFile, DeploymentRequest

MODELS = Path(__file__).parent.parent / "bpmn"


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def system_clock() -> Iterator[None]:
    yield
    test_clock.reset()


def deploy(database: Database, *names: str) -> None:
    files = [DeploymentFile(name, (MODELS / name).read_bytes()) for name in names]
    with database.unit_of_work(write=True) as uow:
        deployments.deploy(uow, DeploymentRequest(files))


def start(database: Database, key: str, **values: Any) -> str:
    body = {"variables": {name: {"value": value} for name, value in values.items()}}

    def work(uow: Any) -> dict[str, Any]:
        return runtime.start(uow, process_definitions.by_key(uow, key), body)

    started = database.write(work)
    return str(started["id"])


def fetch(database: Database, worker: str, *topics: str, **options: Any) -> list[dict[str, Any]]:
    request = external_tasks.fetch_request(
        {
            "workerId": worker,
            "maxTasks": options.pop("max_tasks", 10),
            "topics": [{"topicName": t, "lockDuration": 60_000, **options} for t in topics],
        }
    )
    return database.write(lambda uow: external_tasks.fetch_and_lock(uow, request)).tasks


def user_tasks(database: Database, instance_id: str) -> list[str]:
    criteria = TaskCriteria(process_instance_id=instance_id)
    found = database.read(lambda uow: uow.store.tasks.query(criteria))
    return sorted(task.task_definition_key or "" for task in found)


def instance_variables(database: Database, instance_id: str) -> dict[str, Any]:
    def read(uow: Any) -> dict[str, Any]:
        chain = uow.store.scopes.chain(IdSpace.EXECUTION, instance_id)
        values = variables.variable_map(uow, chain[:1], deserialize=True)
        return {name: dto["value"] for name, dto in values.items()}

    return database.read(read)


def is_running(database: Database, instance_id: str) -> bool:
    return database.read(lambda uow: uow.store.process_instances.get(instance_id) is not None)


def test_a_service_task_waits_as_an_external_task_with_its_model_attributes(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=7, amount=42)

    (task,) = fetch(database, "worker-1", "payments", includeExtensionProperties=True)

    assert task["topicName"] == "payments"  # camunda:topic="${paymentTopic}"
    assert task["priority"] == 7  # camunda:taskPriority="${urgency}"
    assert task["activityId"] == "chargeCard"
    assert task["processInstanceId"] == instance_id
    assert task["processDefinitionKey"] == "charge"
    assert task["executionId"] != instance_id  # the activity is a scope of its own
    assert task["workerId"] == "worker-1"
    assert task["lockExpirationTime"] is not None
    assert task["retries"] is None
    assert task["extensionProperties"] == {"gateway": "stripe"}
    assert task["variables"]["amount"]["value"] == 42
    assert user_tasks(database, instance_id) == []


def test_a_locked_task_is_not_fetched_again_until_it_is_unlocked(database: Database) -> None:
    deploy(database, "external-charge.bpmn")
    start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    assert fetch(database, "worker-2", "payments") == []
    database.write(lambda uow: external_tasks.unlock(uow, task["id"]))
    (again,) = fetch(database, "worker-2", "payments")
    assert (again["id"], again["workerId"]) == (task["id"], "worker-2")


def test_completing_moves_the_run_on_and_keeps_only_the_non_local_variables(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    body = {
        "workerId": "worker-1",
        "variables": {"receipt": {"value": "R-1", "type": "String"}},
        "localVariables": {"rawResponse": {"value": "{}", "type": "String"}},
    }
    database.write(lambda uow: external_tasks.complete(uow, task["id"], body))

    assert user_tasks(database, instance_id) == ["ship"]
    values = instance_variables(database, instance_id)
    assert values["receipt"] == "R-1"
    assert "rawResponse" not in values  # gone with the task's own execution
    with pytest.raises(RestNotFoundError, match=r"External task with id .* does not exist"):
        database.write(lambda uow: external_tasks.complete(uow, task["id"], body))


def test_only_the_worker_holding_the_lock_may_complete(database: Database) -> None:
    deploy(database, "external-charge.bpmn")
    start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    with pytest.raises(RestError) as refused:
        database.write(
            lambda uow: external_tasks.complete(uow, task["id"], {"workerId": "worker-2"})
        )
    assert refused.value.message == (
        f"External Task {task['id']} cannot be completed by worker 'worker-2'. "
        "It is locked by worker 'worker-1'."
    )


def test_a_bpmn_error_is_caught_by_the_boundary_event_with_its_code_and_message(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    body = {
        "workerId": "worker-1",
        "errorCode": "CARD_DECLINED",
        "errorMessage": "insufficient funds",
        "variables": {"attempts": {"value": 1, "type": "Integer"}},
    }
    database.write(lambda uow: external_tasks.handle_bpmn_error(uow, task["id"], body))

    assert user_tasks(database, instance_id) == ["callCustomer"]
    values = instance_variables(database, instance_id)
    assert values["declineCode"] == "CARD_DECLINED"
    assert values["declineReason"] == "insufficient funds"
    assert values["attempts"] == 1
    assert fetch(database, "worker-1", "payments") == []


def test_an_uncaught_bpmn_error_ends_the_token_and_so_the_instance(database: Database) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    body = {"workerId": "worker-1", "errorCode": "SOMETHING_ELSE"}
    database.write(lambda uow: external_tasks.handle_bpmn_error(uow, task["id"], body))

    assert not is_running(database, instance_id)


def test_an_error_inside_a_sub_process_is_caught_on_the_sub_process(database: Database) -> None:
    deploy(database, "external-in-subprocess.bpmn")
    instance_id = start(database, "fulfil")
    (task,) = fetch(database, "picker", "stock")

    body = {"workerId": "picker", "errorCode": "OUT_OF_STOCK"}
    database.write(lambda uow: external_tasks.handle_bpmn_error(uow, task["id"], body))

    assert user_tasks(database, instance_id) == ["backorder"]
    assert instance_variables(database, instance_id)["why"] == "OUT_OF_STOCK"


def test_completing_inside_a_sub_process_leaves_it(database: Database) -> None:
    deploy(database, "external-in-subprocess.bpmn")
    instance_id = start(database, "fulfil")
    (task,) = fetch(database, "picker", "stock")

    database.write(lambda uow: external_tasks.complete(uow, task["id"], {"workerId": "picker"}))

    assert user_tasks(database, instance_id) == ["pack"]


def test_parallel_external_tasks_run_in_concurrent_executions_and_join(
    database: Database,
) -> None:
    deploy(database, "external-parallel.bpmn")
    instance_id = start(database, "enrich")
    (company,) = fetch(database, "w", "company")
    (score,) = fetch(database, "w", "score")
    assert company["executionId"] != score["executionId"]

    database.write(lambda uow: external_tasks.complete(uow, company["id"], {"workerId": "w"}))
    assert user_tasks(database, instance_id) == []
    database.write(lambda uow: external_tasks.complete(uow, score["id"], {"workerId": "w"}))
    assert user_tasks(database, instance_id) == ["review"]


def test_a_failure_locks_the_task_until_its_retry_timeout_and_counts_retries(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    start(database, "charge", paymentTopic="payments", urgency=1)
    (task,) = fetch(database, "worker-1", "payments")

    failure = {
        "workerId": "worker-1",
        "errorMessage": "x" * 1000,
        "errorDetails": "Traceback ...",
        "retries": 2,
        "retryTimeout": 60_000,
    }
    database.write(lambda uow: external_tasks.handle_failure(uow, task["id"], failure))
    # The test clock, not a sleep: a loaded machine cannot stretch the wait past the timeout.
    test_clock.advance(59_000_000)
    assert fetch(database, "worker-1", "payments") == []
    test_clock.advance(2_000_000)
    (again,) = fetch(database, "worker-2", "payments")
    assert again["retries"] == 2
    assert again["errorMessage"] == "x" * 666
    assert again["errorDetails"] == "Traceback ..."

    last = {"workerId": "worker-2", "errorMessage": "gave up", "retries": 0}
    database.write(lambda uow: external_tasks.handle_failure(uow, task["id"], last))
    assert fetch(database, "worker-1", "payments") == []  # no retries left
    database.write(lambda uow: external_tasks.set_retries(uow, task["id"], 1))
    (revived,) = fetch(database, "worker-1", "payments")
    assert revived["retries"] == 1


def test_an_expired_lock_cannot_be_extended_but_the_task_can_still_be_completed(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    request = external_tasks.fetch_request(
        {"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "payments", "lockDuration": 1}]}
    )
    (task,) = database.write(lambda uow: external_tasks.fetch_and_lock(uow, request)).tasks
    time.sleep(0.01)

    with pytest.raises(RestError, match=r"^Cannot extend a lock that expired"):
        database.write(
            lambda uow: external_tasks.extend_lock(
                uow, task["id"], {"workerId": "w", "newDuration": 1000}
            )
        )
    database.write(lambda uow: external_tasks.complete(uow, task["id"], {"workerId": "w"}))
    assert user_tasks(database, instance_id) == ["ship"]


def test_a_suspended_instance_s_task_is_neither_fetched_nor_completed(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    database.write(lambda uow: process_instances.set_suspended(uow, instance_id, True))
    assert fetch(database, "w", "payments") == []

    database.write(lambda uow: process_instances.set_suspended(uow, instance_id, False))
    (task,) = fetch(database, "w", "payments")
    database.write(lambda uow: process_instances.set_suspended(uow, instance_id, True))
    with pytest.raises(SuspendedEntityError, match="is suspended"):
        database.write(lambda uow: external_tasks.complete(uow, task["id"], {"workerId": "w"}))


def test_deleting_the_instance_removes_its_external_tasks(database: Database) -> None:
    deploy(database, "external-charge.bpmn")
    instance_id = start(database, "charge", paymentTopic="payments", urgency=1)
    of_instance = ExternalTaskCriteria(process_instance_id_in=[instance_id])

    def tasks_left() -> int:
        return database.read(lambda uow: uow.store.external_task_query.count(of_instance, 0))

    assert tasks_left() == 1
    database.write(lambda uow: process_instances.delete(uow, instance_id, fail_if_not_exists=True))
    assert tasks_left() == 0
    assert fetch(database, "w", "payments") == []


def test_a_topic_longer_than_its_column_refuses_the_step_that_reaches_it(
    database: Database,
) -> None:
    deploy(database, "external-charge.bpmn")
    with pytest.raises(ModelRunError, match="gave a topic longer than 255 characters"):
        start(database, "charge", paymentTopic="p" * 256, urgency=1)
    assert fetch(database, "w", "p" * 256) == []
