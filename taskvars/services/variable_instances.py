"""Camunda's variable instances: every variable, found by where it lives, by name or by
its id (VariableInstanceRestServiceImpl, VariableInstanceResourceImpl)."""

from __future__ import annotations

from typing import Any

from taskvars.errors import InvalidRequestError, NotFoundError
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import StoredValue, VariableInstance, VariableInstanceFilter
from taskvars.services.query_parameters import answered_criteria, require_sort_pair
from taskvars.services.typed_values import value_to_dto
from taskvars.services.variables import BINARY_TYPES

# The filters answered, by their Python names (see services/query_parameters.py for the
# others).
SUPPORTED_FILTERS = frozenset(
    {
        "variable_name",
        "variable_name_like",
        "process_instance_id_in",
        "execution_id_in",
        "task_id_in",
        "variable_scope_id_in",
    }
)
_LISTS = ("process_instance_id_in", "execution_id_in", "task_id_in", "variable_scope_id_in")


def instance_filter(criteria: dict[str, Any]) -> VariableInstanceFilter:
    return VariableInstanceFilter(
        **answered_criteria(
            criteria, SUPPORTED_FILTERS, query="variable instance", comma_lists=_LISTS
        )
    )


def query(
    uow: UnitOfWork,
    criteria: VariableInstanceFilter,
    *,
    first_result: int = 0,
    max_results: int | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
    deserialize: bool = True,
) -> list[dict[str, Any]]:
    require_sort_pair(sort_by, sort_order)
    found = uow.store.variable_instances.query(
        criteria,
        first_result=first_result,
        max_results=max_results,
        sort_by=sort_by,
        descending=sort_order == "desc",
    )
    contents = uow.store.contents.whole(i.value for i in found if i.value.type == "Bytes")
    return [_dto(instance, contents, deserialize=deserialize) for instance in found]


def count(uow: UnitOfWork, criteria: VariableInstanceFilter) -> int:
    return uow.store.variable_instances.count(criteria)


def get(uow: UnitOfWork, instance_id: str, *, deserialize: bool) -> dict[str, Any]:
    instance = _found(uow, instance_id)
    contents = uow.store.contents.whole([instance.value] if instance.value.type == "Bytes" else [])
    return _dto(instance, contents, deserialize=deserialize)


def binary(uow: UnitOfWork, instance_id: str) -> StoredValue:
    stored = _found(uow, instance_id).value
    if stored.type not in BINARY_TYPES:
        raise InvalidRequestError(f"Value of variable with id {instance_id} is not a binary value.")
    return stored


# Ids are the rows' integer keys; anything else names no variable (and must not reach
# the database, whose column would refuse a larger number with an error).
_LARGEST_ID = 2**31 - 1


def _found(uow: UnitOfWork, instance_id: str) -> VariableInstance:
    pk = int(instance_id) if instance_id.isascii() and instance_id.isdecimal() else None
    found = (
        uow.store.variable_instances.query(VariableInstanceFilter(pk=pk))
        if pk is not None and pk <= _LARGEST_ID
        else []
    )
    if not found:
        raise NotFoundError(f"Variable instance with Id '{instance_id}' does not exist.")
    return found[0]


def _dto(
    instance: VariableInstance, contents: dict[int, bytes], *, deserialize: bool
) -> dict[str, Any]:
    """Camunda's ``VariableInstanceDto``: the value's type, value and details, and where
    it lives; what this server has no notion of (definitions, cases, batches, activity
    instances, tenants) is ``null``."""
    stored = instance.value
    content = contents.get(stored.content_pk) if stored.content_pk is not None else None
    return {
        "id": str(stored.pk),
        "name": stored.name,
        **value_to_dto(stored, deserialize=deserialize, content=content),
        "processDefinitionId": None,
        "processInstanceId": instance.process_instance_id,
        "executionId": instance.execution_id,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "taskId": instance.task_id,
        "batchId": None,
        "activityInstanceId": None,
        "errorMessage": None,
        "tenantId": None,
    }
