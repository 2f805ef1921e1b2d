"""Camunda's variable instances: every variable, found by where it lives, by name or by
its id (VariableInstanceRestServiceImpl, VariableInstanceResourceImpl)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from taskvars.errors import InvalidRequestError, NotFoundError
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import StoredValue, VariableInstance, VariableInstanceFilter
from taskvars.services.query_toolkit import (
    ParsedQuery,
    QueryShape,
    VariableParameter,
    as_is,
    as_list,
)
from taskvars.services.typed_values import value_to_dto
from taskvars.services.variables import BINARY_TYPES

# Declared (clients generated from Camunda's spec send them) but asking for what this
# server does not model: refused unless empty.
NOT_MODELLED = frozenset(
    {"caseInstanceIdIn", "caseExecutionIdIn", "batchIdIn", "activityInstanceIdIn", "tenantIdIn"}
)
SHAPE = QueryShape(
    noun="variable instance",
    filters={
        "variableName": ("variable_name", as_is),
        "variableNameLike": ("variable_name_like", as_is),
        "processInstanceIdIn": ("process_instance_id_in", as_list),
        "executionIdIn": ("execution_id_in", as_list),
        "taskIdIn": ("task_id_in", as_list),
        "variableScopeIdIn": ("variable_scope_id_in", as_list),
    },
    not_modelled=NOT_MODELLED,
    # ``variableValues`` names the variable itself.
    variable_parameters={"variableValues": VariableParameter("variable")},
)


@dataclass(frozen=True)
class VariableInstanceQuery:
    criteria: VariableInstanceFilter
    # (sortBy, descending) pairs
    orderings: list[tuple[str, bool]] = field(default_factory=list)


def from_parameters(parameters: dict[str, Any]) -> VariableInstanceQuery:
    """The query from ``GET /variable-instance`` parameters (connexion's Python names)."""
    return _instance_query(SHAPE.from_parameters(parameters))


def from_body(body: dict[str, Any]) -> VariableInstanceQuery:
    """The query from a ``VariableInstanceQueryDto``; ``sorting`` is a list."""
    return _instance_query(SHAPE.from_body(body))


def _instance_query(parsed: ParsedQuery) -> VariableInstanceQuery:
    return VariableInstanceQuery(
        VariableInstanceFilter(**parsed.fields, values=parsed.variables),
        [(ordering.sort_by, ordering.descending) for ordering in parsed.orderings],
    )


def query(
    uow: UnitOfWork,
    instance_query: VariableInstanceQuery,
    *,
    first_result: int = 0,
    max_results: int | None = None,
    deserialize: bool = True,
) -> list[dict[str, Any]]:
    found = uow.store.variable_instances.query(
        instance_query.criteria,
        instance_query.orderings,
        first_result=first_result,
        max_results=max_results,
    )
    contents = uow.store.contents.whole(i.value for i in found if i.value.type == "Bytes")
    return [_dto(instance, contents, deserialize=deserialize) for instance in found]


def count(uow: UnitOfWork, instance_query: VariableInstanceQuery) -> int:
    return uow.store.variable_instances.count(instance_query.criteria)


def get(uow: UnitOfWork, instance_id: str, *, deserialize: bool) -> dict[str, Any]:
    instance = _found(uow, instance_id)
    contents = uow.store.contents.whole([instance.value] if instance.value.type == "Bytes" else [])
    return _dto(instance, contents, deserialize=deserialize)


def binary(uow: UnitOfWork, instance_id: str) -> StoredValue:
    stored = _found(uow, instance_id).value
    if stored.type not in BINARY_TYPES:
        raise InvalidRequestError(f"Value of variable with id {instance_id} is not a binary value.")
    return stored


def _found(uow: UnitOfWork, instance_id: str) -> VariableInstance:
    found = uow.store.variable_instances.query(VariableInstanceFilter(id=instance_id))
    if not found:
        raise NotFoundError(f"Variable instance with Id '{instance_id}' does not exist.")
    return found[0]


def _dto(
    instance: VariableInstance, contents: dict[int, bytes], *, deserialize: bool
) -> dict[str, Any]:
    """Camunda's ``VariableInstanceDto``: the value's type, value and details, and where
    it lives, and the definition a deployed model's instance runs; what this server has
    no notion of (cases, batches, activity instances, tenants) is ``null``."""
    stored = instance.value
    content = contents.get(stored.content_pk) if stored.content_pk is not None else None
    return {
        "id": stored.id,
        "name": stored.name,
        **value_to_dto(stored, deserialize=deserialize, content=content),
        "processDefinitionId": instance.process_definition_id,
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
