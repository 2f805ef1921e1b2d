"""Camunda's ``ExternalTaskDto`` (``ExternalTaskDto.fromExternalTask``), for the query and
for every command that answers with a task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from taskvars.persistence.external_task_query import ExternalTaskRow
from taskvars.services.dates import format_date

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def date_from_millis(millis: int | None) -> str | None:
    """An epoch-milliseconds time of the table in Camunda's date format."""
    if millis is None:
        return None
    return format_date(_EPOCH + timedelta(milliseconds=millis))


def external_task_dto(row: ExternalTaskRow) -> dict[str, Any]:
    return {
        "activityId": row.activity_id,
        "activityInstanceId": row.activity_instance_id,
        "errorMessage": row.error_message,
        "executionId": row.execution_id,
        "id": row.id,
        "lockExpirationTime": date_from_millis(row.lock_expiration_time),
        "createTime": date_from_millis(row.create_time),
        "processDefinitionId": row.process_definition_id,
        "processDefinitionKey": row.process_definition_key,
        "processDefinitionVersionTag": row.process_definition_version_tag,
        "processInstanceId": row.process_instance_id,
        "retries": row.retries,
        "suspended": row.suspended,
        "workerId": row.worker_id,
        "topicName": row.topic_name,
        "tenantId": row.tenant_id,
        "priority": row.priority,
        "businessKey": row.business_key,
    }
