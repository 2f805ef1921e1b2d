"""Camunda's external-task query (``ExternalTaskQueryDto``): its filter table on the
query toolkit, from ``GET /external-task`` parameters or the JSON body of
``POST /external-task``. Everything Camunda's query asks for is kept here, so no
parameter is refused by name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskvars.persistence.external_task_query import SORT_KEYS, ExternalTaskCriteria
from taskvars.services.dates import epoch_millis
from taskvars.services.query_toolkit import (
    Parameter,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    VariableParameter,
    as_date,
    as_is,
    as_list,
    as_true,
    sort_pairs,
)


def as_epoch_millis(parameter: Parameter) -> int:
    """A date parameter as the table keeps times."""
    return epoch_millis(as_date(parameter))


SHAPE = QueryShape(
    noun="external task",
    filters={
        "externalTaskId": ("external_task_id", as_is),
        "externalTaskIdIn": ("external_task_ids", as_list),
        "topicName": ("topic_name", as_is),
        "workerId": ("worker_id", as_is),
        "locked": ("locked", as_true),
        "notLocked": ("not_locked", as_true),
        "withRetriesLeft": ("with_retries_left", as_true),
        "noRetriesLeft": ("no_retries_left", as_true),
        "lockExpirationAfter": ("lock_expiration_after", as_epoch_millis),
        "lockExpirationBefore": ("lock_expiration_before", as_epoch_millis),
        "activityId": ("activity_id", as_is),
        "activityIdIn": ("activity_id_in", as_list),
        "executionId": ("execution_id", as_is),
        "processInstanceId": ("process_instance_id", as_is),
        "processInstanceIdIn": ("process_instance_id_in", as_list),
        "processDefinitionId": ("process_definition_id", as_is),
        "processDefinitionKey": ("process_definition_key", as_is),
        "processDefinitionKeyIn": ("process_definition_key_in", as_list),
        "processDefinitionName": ("process_definition_name", as_is),
        "processDefinitionNameLike": ("process_definition_name_like", as_is),
        "active": ("active", as_true),
        "suspended": ("suspended", as_true),
        "priorityHigherThanOrEquals": ("priority_higher_than_or_equals", as_is),
        "priorityLowerThanOrEquals": ("priority_lower_than_or_equals", as_is),
        "tenantIdIn": ("tenant_id_in", as_list),
    },
    # Camunda's message for an unknown operator: "Invalid process variable comparator".
    variable_parameters={"processVariables": VariableParameter("process variable")},
)


ExternalTaskQuery = StoreQuery[ExternalTaskCriteria]


def from_parameters(parameters: Mapping[str, Any]) -> ExternalTaskQuery:
    return _query(SHAPE.from_parameters(parameters))


def from_body(body: Mapping[str, Any]) -> ExternalTaskQuery:
    return _query(SHAPE.from_body(body))


def _query(parsed: ParsedQuery) -> ExternalTaskQuery:
    criteria = ExternalTaskCriteria(**parsed.fields, process_variables=parsed.variables)
    return StoreQuery(criteria, sort_pairs(parsed, frozenset(SORT_KEYS)))
