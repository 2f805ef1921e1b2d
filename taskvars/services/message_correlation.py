"""``POST /message`` (Camunda's ``MessageRestServiceImpl``, ``CorrelateMessageCmd``,
``CorrelateAllMessageCmd``, ``DefaultCorrelationHandler``): a message delivered to the
executions waiting for it, else to a message start event.

Selection first, then firing, all in one unit of work: an error (no match, several
matches without ``all``, a step that fails) writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from taskvars.engine.events import fire_wait, start_by_event
from taskvars.errors import ApiError, BadUserRequestError, InvalidRequestError, RestError
from taskvars.persistence.event_subscriptions import (
    SubscriptionCriteria,
    SubscriptionRecord,
    TenantChoice,
    WaitingCriteria,
)
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import (
    ExecutionRecord,
    NewValue,
    ProcessInstanceRecord,
    ScopeRef,
    VariableCondition,
)
from taskvars.services import variables
from taskvars.services.process_instances import execution_dto, process_instance_dto

MESSAGE = "message"
MISMATCH = "org.camunda.bpm.engine.MismatchingMessageCorrelationException: "


@dataclass(frozen=True)
class Correlation:
    """``CorrelationMessageDto`` read and checked, its values converted."""

    message_name: str
    business_key: str | None
    process_instance_id: str | None
    tenant: TenantChoice
    correlation_keys: dict[str, NewValue] | None
    local_correlation_keys: dict[str, NewValue] | None
    process_variables: dict[str, NewValue]
    local_variables: dict[str, NewValue]
    # The payload as sent, for the result of an instance the message ended.
    payload_dtos: dict[str, Any]
    all: bool
    result_enabled: bool
    variables_in_result: bool


def correlation(dto: dict[str, Any]) -> Correlation:
    """The DTO checked as ``MessageRestServiceImpl.deliverMessage`` and
    ``MessageCorrelationBuilderImpl`` check it."""
    name = dto.get("messageName")
    if name is None:
        raise InvalidRequestError("No message name supplied")
    tenant_id = dto.get("tenantId")
    if tenant_id is not None and dto.get("withoutTenantId"):
        raise InvalidRequestError(
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'."
        )
    if not dto.get("resultEnabled") and dto.get("variablesInResultEnabled"):
        raise InvalidRequestError(
            "Parameter 'variablesInResultEnabled' cannot be used without 'resultEnabled' set "
            "to true."
        )
    tenant = TenantChoice(
        given=tenant_id is not None or bool(dto.get("withoutTenantId")), tenant_id=tenant_id
    )
    if dto.get("processInstanceId") is not None and tenant.given:
        raise BadUserRequestError(
            "ENGINE-13028 Cannot specify a tenant-id when correlate a message to a single "
            "process instance."
        )
    try:
        keys = _keys(dto.get("correlationKeys"))
        local_keys = _keys(dto.get("localCorrelationKeys"))
        process_variables = variables.convert_values(dto.get("processVariables"))
        # The triggered scope is the catching event's here (no boundary or event
        # sub-process scope of its own yet): both go local to the waiting execution.
        local_variables = {
            **variables.convert_values(dto.get("processVariablesToTriggeredScope")),
            **variables.convert_values(dto.get("processVariablesLocal")),
        }
    except ApiError as error:
        # MessageRestServiceImpl wraps what the conversion raises.
        raise InvalidRequestError(f"Cannot deliver message: {error.message}") from None
    return Correlation(
        message_name=name,
        business_key=dto.get("businessKey"),
        process_instance_id=dto.get("processInstanceId"),
        tenant=tenant,
        correlation_keys=keys,
        local_correlation_keys=local_keys,
        process_variables=process_variables,
        local_variables=local_variables,
        payload_dtos=dict(dto.get("processVariables") or {}),
        all=bool(dto.get("all")),
        result_enabled=bool(dto.get("resultEnabled")),
        variables_in_result=bool(dto.get("variablesInResultEnabled")),
    )


def _keys(dtos: dict[str, Any] | None) -> dict[str, NewValue] | None:
    # MessageRestServiceImpl passes only a non-empty map on.
    return variables.convert_values(dtos) or None


@dataclass(frozen=True)
class Match:
    """A waiting execution's subscription, or a definition's start event."""

    subscription: SubscriptionRecord

    @property
    def is_execution(self) -> bool:
        return self.subscription.execution_pk is not None


def matches(uow: UnitOfWork, request: Correlation) -> list[Match]:
    """What the message reaches (``DefaultCorrelationHandler``): without ``all`` exactly
    one waiting execution, else exactly one start event; with ``all`` every waiting
    execution and every start event. Raises Camunda's mismatch otherwise."""
    waiting = uow.store.event_subscriptions.waiting_executions(_waiting_criteria(request))
    if request.all:
        # The REST API never asks for executions only (``executionsOnly()``): start
        # events are considered whatever the criteria.
        return [Match(s) for s in waiting] + [Match(s) for s in _start_events(uow, request)]
    if len(waiting) > 1:
        raise _mismatch(
            f"ENGINE-13031 Cannot correlate a message with name '{request.message_name}' to a "
            f"single execution. {len(waiting)} executions match the correlation keys: "
            f"{_correlation_set(request)}"
        )
    if waiting:
        return [Match(waiting[0])]
    starts = _start_events(uow, request)
    if len(starts) > 1:
        raise _mismatch(
            f"ENGINE-13030 Cannot correlate a message with name '{request.message_name}' to a "
            f"single process definition. {len(starts)} process definitions match the "
            f"correlations keys: {_correlation_set(request)}"
        )
    if not starts:
        raise _mismatch(
            f"Cannot correlate message '{request.message_name}': "
            "No process definition or execution matches the parameters"
        )
    return [Match(starts[0])]


def _start_events(uow: UnitOfWork, request: Correlation) -> list[SubscriptionRecord]:
    """Message start events (``correlateStartMessages`` ignores the correlation keys and
    the process instance id; the business key becomes the new instance's)."""
    return uow.store.event_subscriptions.start_events(MESSAGE, request.message_name, request.tenant)


class MismatchError(RestError):
    """``MessageRestServiceImpl``: ``RestException(BAD_REQUEST, e)``, whose message is the
    cause's ``toString()`` and whose code the cause's (an engine exception's, 0)."""

    code = 0


def _mismatch(message: str) -> RestError:
    return MismatchError(MISMATCH + message)


def _waiting_criteria(request: Correlation) -> WaitingCriteria:
    return WaitingCriteria(
        event_type=MESSAGE,
        event_name=request.message_name,
        business_key=request.business_key,
        process_instance_id=request.process_instance_id,
        tenant=request.tenant,
        instance_variables=_conditions(request.correlation_keys),
        local_variables=_conditions(request.local_correlation_keys),
    )


def _conditions(keys: dict[str, NewValue] | None) -> tuple[VariableCondition, ...]:
    """Each key as an ``eq`` criterion, compared as Camunda's variable queries compare
    typed values (numbers of any integer type alike, dates by instant)."""
    return tuple(
        VariableCondition(name, "eq", _operand(name, value), task_local=False)
        for name, value in (keys or {}).items()
    )


def _operand(name: str, value: NewValue) -> str | int | float | bool | datetime | None:
    if value.type == "Null":
        return None
    if value.type == "Boolean":
        return value.long_value == 1
    if value.type in ("Short", "Integer", "Long"):
        return value.long_value
    if value.type == "Double":
        return value.double_value
    if value.type == "Date" and value.long_value is not None:
        return datetime.fromtimestamp(value.long_value / 1000, UTC)
    if value.type == "String":
        return value.text_value
    # Camunda's QueryVariableValue refuses serialized and binary values.
    raise InvalidRequestError(
        f"Cannot deliver message: Variables of type {value.type} cannot be used to query "
        f"(correlation key '{name}')"
    )


def _correlation_set(request: Correlation) -> str:
    """``CorrelationSet.toString()``, as Camunda's mismatch messages show it."""

    def java_map(keys: dict[str, NewValue] | None) -> str:
        if keys is None:
            return "null"
        inner = ", ".join(f"{name}={value.text_value}" for name, value in keys.items())
        return "{" + inner + "}"

    return (
        f"CorrelationSet [businessKey={_text(request.business_key)}, "
        f"processInstanceId={_text(request.process_instance_id)}, processDefinitionId=null, "
        f"correlationKeys={java_map(request.correlation_keys)}, "
        f"localCorrelationKeys={java_map(request.local_correlation_keys)}, "
        f"tenantId={_text(request.tenant.tenant_id)}, isTenantIdSet={_java(request.tenant.given)}, "
        "isExecutionsOnly=false]"
    )


def _text(value: str | None) -> str:
    return "null" if value is None else value


def _java(flag: bool) -> str:
    return "true" if flag else "false"


def correlate(uow: UnitOfWork, request: Correlation) -> list[dict[str, Any]] | None:
    """Deliver the message and commit; ``MessageCorrelationResultWithVariableDto``s when
    ``resultEnabled``. A wait an earlier delivery removed (an interrupting boundary event
    the activity's others, with ``all``) is passed over, as Camunda passes over the
    executions deleted meanwhile."""
    results = [
        _deliver(uow, request, match)
        for match in matches(uow, request)
        if not match.is_execution or _still_waiting(uow, match.subscription)
    ]
    uow.commit()
    return results if request.result_enabled else None


def _still_waiting(uow: UnitOfWork, subscription: SubscriptionRecord) -> bool:
    criteria = SubscriptionCriteria(event_subscription_id=subscription.id)
    return uow.store.event_subscriptions.count(criteria) > 0


def _deliver(uow: UnitOfWork, request: Correlation, match: Match) -> dict[str, Any]:
    if match.is_execution:
        return _trigger(uow, request, match.subscription)
    return _instantiate(uow, request, match.subscription)


def _trigger(
    uow: UnitOfWork, request: Correlation, subscription: SubscriptionRecord
) -> dict[str, Any]:
    """``MessageEventReceivedCmd``: the waiting execution receives the message."""
    assert subscription.process_instance_pk is not None
    assert subscription.process_instance_id is not None
    assert subscription.execution_id is not None
    assert subscription.wait_key is not None
    instance = ScopeRef(
        subscription.process_instance_pk,
        ScopeKind.PROCESS_INSTANCE,
        subscription.process_instance_id,
    )
    before = _instance_variables(uow, instance) if request.variables_in_result else None
    fire_wait(
        uow,
        instance,
        subscription.wait_key,
        variables=request.process_variables,
        local_variables=request.local_variables,
    )
    result: dict[str, Any] = {
        "resultType": "Execution",
        "execution": {
            **execution_dto(
                ExecutionRecord(subscription.execution_id, subscription.process_instance_id)
            ),
            "tenantId": subscription.tenant_id,
        },
        "processInstance": None,
    }
    if before is not None:
        result["variables"] = _variables_after(uow, instance, before, request)
    return result


def _instantiate(
    uow: UnitOfWork, request: Correlation, subscription: SubscriptionRecord
) -> dict[str, Any]:
    """``instantiateProcess``: a new instance from the message start event, the payload
    (instance, local and triggered-scope variables alike) its start variables."""
    definition = None
    if subscription.process_definition_id is not None:
        definition = uow.store.definitions.get(subscription.process_definition_id)
    if definition is None:
        raise _mismatch(
            f"Cannot correlate message '{request.message_name}': "
            "No process definition or execution matches the parameters"
        )
    payload = {**request.process_variables, **request.local_variables}
    started = start_by_event(
        uow, definition, subscription.activity_id, payload, request.business_key
    )
    instance = process_instance_dto(
        ProcessInstanceRecord(
            id=started.instance_id,
            business_key=request.business_key,
            process_definition_key=definition.key,
            process_definition_id=definition.id,
            tenant_id=definition.tenant_id,
        )
    )
    instance["ended"] = started.finished
    result: dict[str, Any] = {
        "resultType": "ProcessDefinition",
        "execution": None,
        "processInstance": instance,
    }
    if request.variables_in_result:
        scope = ScopeRef(0, ScopeKind.PROCESS_INSTANCE, started.instance_id)
        result["variables"] = _variables_after(uow, scope, {}, request)
    return result


def _instance_variables(uow: UnitOfWork, instance: ScopeRef) -> dict[str, Any]:
    return variables.variable_map(uow, [instance], deserialize=False)


def _variables_after(
    uow: UnitOfWork, instance: ScopeRef, before: dict[str, Any], request: Correlation
) -> dict[str, Any]:
    """The process instance's variables after the message (Camunda's
    ``ExecutionVariableSnapshotObserver``); an instance the message ended has none left
    to read: what it had, and the payload, then."""
    pk = uow.store.scopes.pk(IdSpace.EXECUTION, instance.external_id)
    if pk is not None:
        scope = ScopeRef(pk, ScopeKind.PROCESS_INSTANCE, instance.external_id)
        return _instance_variables(uow, scope)
    return {**before, **request.payload_dtos}
