"""``ExternalTaskDto`` from an ``external_task`` model, as the engine side holds one."""

from __future__ import annotations

from taskvars.persistence.external_task_query import ExternalTaskRow
from taskvars.persistence.models import ExternalTask
from taskvars.services.external_task_dtos import date_from_millis, external_task_dto


def test_a_model_renders_as_camundas_dto_with_its_instances_suspension() -> None:
    task = ExternalTask(
        id="et-1",
        execution_id="ex-1",
        process_instance_id="pi-1",
        business_key=None,
        activity_id="charge",
        activity_instance_id="charge:1",
        process_definition_id="invoice:1:d1",
        process_definition_key="invoice",
        process_definition_version_tag=None,
        tenant_id=None,
        topic_name="payments",
        worker_id=None,
        lock_expiration_time=None,
        retries=None,
        error_message=None,
        priority=0,
        create_time=0,
    )

    dto = external_task_dto(ExternalTaskRow.of(task, suspended=True))

    assert dto["suspended"] is True
    assert dto["createTime"] == "1970-01-01T00:00:00.000+0000"
    assert dto["lockExpirationTime"] is None
    assert dto["topicName"] == "payments"
    assert set(dto) == {
        "activityId",
        "activityInstanceId",
        "errorMessage",
        "executionId",
        "id",
        "lockExpirationTime",
        "createTime",
        "processDefinitionId",
        "processDefinitionKey",
        "processDefinitionVersionTag",
        "processInstanceId",
        "retries",
        "suspended",
        "workerId",
        "topicName",
        "tenantId",
        "priority",
        "businessKey",
    }


def test_times_keep_their_milliseconds_in_utc() -> None:
    assert date_from_millis(1_764_936_000_123) == "2025-12-05T12:00:00.123+0000"
