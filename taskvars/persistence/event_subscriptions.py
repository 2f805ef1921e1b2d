"""Event subscriptions as the engine makes and removes them (``store.event_subscriptions``):
a message or signal a waiting event of an instance listens for, or a definition's message
or signal start event; gone when the token leaves or the definition is replaced.

Correlation (``POST /message``, ``POST /signal``) and ``GET /event-subscription`` read
the same table (:class:`~taskvars.persistence.models.EventSubscription`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from taskvars.persistence.models import (
    EventSubscription,
    ProcessDefinition,
    ProcessInstance,
    Variable,
)
from taskvars.persistence.query_statements import ConditionTable, ordered, paged
from taskvars.persistence.values import VariableCondition
from taskvars.persistence.variable_conditions import variable_matches


@dataclass(frozen=True)
class NewSubscription:
    """A subscription to insert; ``id`` is made by the caller (``task_defaults.new_id``)."""

    id: str
    event_type: str  # "message", "signal" or "conditional"
    event_name: str | None
    activity_id: str
    created: int
    execution_pk: int | None = None
    process_instance_pk: int | None = None
    definition_pk: int | None = None
    execution_id: str | None = None
    process_instance_id: str | None = None
    process_definition_id: str | None = None
    wait_key: str | None = None
    configuration: str | None = None
    tenant_id: str | None = None


class EventSubscriptions:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, subscription: NewSubscription) -> int:
        row = EventSubscription(**subscription.__dict__)
        self._session.add(row)
        self._session.flush()
        return row.pk

    def for_wait(self, instance_pk: int, wait_key: str) -> list[EventSubscription]:
        return list(
            self._session.scalars(
                select(EventSubscription).where(
                    EventSubscription.process_instance_pk == instance_pk,
                    EventSubscription.wait_key == wait_key,
                )
            )
        )

    def delete_for_wait(self, instance_pk: int, wait_key: str) -> None:
        self._session.execute(
            delete(EventSubscription).where(
                EventSubscription.process_instance_pk == instance_pk,
                EventSubscription.wait_key == wait_key,
            )
        )

    def move_wait(
        self, instance_pk: int, wait_key: str, execution_pk: int, execution_id: str
    ) -> None:
        """The subscriptions of a wait follow its token into another execution."""
        self._session.execute(
            update(EventSubscription)
            .where(
                EventSubscription.process_instance_pk == instance_pk,
                EventSubscription.wait_key == wait_key,
            )
            .values(execution_pk=execution_pk, execution_id=execution_id)
        )

    def named(self, event_type: str, event_name: str) -> list[EventSubscription]:
        """Every subscription of ``event_type`` to ``event_name`` (oldest first)."""
        return list(
            self._session.scalars(
                select(EventSubscription)
                .where(
                    EventSubscription.event_type == event_type,
                    EventSubscription.event_name == event_name,
                )
                .order_by(EventSubscription.created, EventSubscription.pk)
            )
        )

    def exists(self, pk: int) -> bool:
        found = self._session.scalar(select(EventSubscription.pk).where(EventSubscription.pk == pk))
        return found is not None

    def any_of_type(self, instance_pk: int, event_type: str) -> bool:
        """Whether the instance has a subscription of ``event_type``."""
        found = self._session.connection().execute(
            _ANY_OF_TYPE, {"instance_pk": instance_pk, "event_type": event_type}
        )
        return found.first() is not None

    def for_instance(self, instance_pk: int) -> list[EventSubscription]:
        """An instance's subscriptions, oldest first."""
        return list(
            self._session.scalars(
                select(EventSubscription)
                .where(EventSubscription.process_instance_pk == instance_pk)
                .order_by(EventSubscription.created, EventSubscription.pk)
            )
        )

    def delete_start_events(self, definition_key: str, tenant_id: str | None) -> None:
        """The start event subscriptions of every version of a definition key (Camunda's
        ``BpmnDeployer.removeObsoleteEventSubscriptions``: the previous version's)."""
        pks = select(ProcessDefinition.pk).where(
            ProcessDefinition.key == definition_key,
            ProcessDefinition.tenant_id == (tenant_id or ""),
        )
        self._session.execute(
            delete(EventSubscription).where(EventSubscription.definition_pk.in_(pks))
        )

    def start_events_named(
        self, event_type: str, event_name: str, tenant_id: str | None
    ) -> list[EventSubscription]:
        """The start event subscriptions of ``event_type`` to ``event_name`` in a tenant."""
        return list(
            self._session.scalars(
                select(EventSubscription)
                .where(
                    EventSubscription.definition_pk.is_not(None),
                    EventSubscription.event_type == event_type,
                    EventSubscription.event_name == event_name,
                    EventSubscription.tenant_id.is_(None)
                    if tenant_id is None
                    else EventSubscription.tenant_id == tenant_id,
                )
                .order_by(EventSubscription.pk)
            )
        )

    def query(
        self,
        criteria: SubscriptionCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[SubscriptionRecord]:
        keys = [(SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching(criteria), keys, _SUBSCRIPTION.pk)
        rows = self._session.scalars(paged(statement, first_result, max_results))
        return [_record(row) for row in rows]

    def count(self, criteria: SubscriptionCriteria) -> int:
        statement = _matching(criteria).with_only_columns(func.count(_SUBSCRIPTION.pk))
        return int(self._session.scalar(statement) or 0)

    def waiting_executions(self, wanted: WaitingCriteria) -> list[SubscriptionRecord]:
        """The executions of active process instances waiting for the event, one
        subscription each (Camunda's ``ExecutionQuery`` by
        ``messageEventSubscriptionName``), in creation order."""
        statement = (
            select(_SUBSCRIPTION)
            .join(ProcessInstance, ProcessInstance.scope_pk == _SUBSCRIPTION.process_instance_pk)
            .where(
                _SUBSCRIPTION.event_type == wanted.event_type,
                _SUBSCRIPTION.event_name == wanted.event_name,
                _SUBSCRIPTION.execution_pk.is_not(None),
                ProcessInstance.suspended.is_(False),
            )
            .order_by(_SUBSCRIPTION.pk)
        )
        if wanted.business_key is not None:
            statement = statement.where(ProcessInstance.business_key == wanted.business_key)
        if wanted.process_instance_id is not None:
            statement = statement.where(
                _SUBSCRIPTION.process_instance_id == wanted.process_instance_id
            )
        if wanted.execution_id is not None:
            statement = statement.where(_SUBSCRIPTION.execution_id == wanted.execution_id)
        if wanted.tenant.given:
            statement = statement.where(_tenant_is(wanted.tenant.tenant_id))
        for condition in wanted.instance_variables:
            statement = statement.where(_has_variable(_SUBSCRIPTION.process_instance_pk, condition))
        for condition in wanted.local_variables:
            statement = statement.where(_has_variable(_SUBSCRIPTION.execution_pk, condition))
        found: dict[int | None, SubscriptionRecord] = {}
        for row in self._session.scalars(statement):
            found.setdefault(row.execution_pk, _record(row))
        return list(found.values())

    def start_events(
        self, event_type: str, event_name: str, tenant: TenantChoice
    ) -> list[SubscriptionRecord]:
        """The start events of definitions listening for the event (the engine keeps
        them for the latest version of each definition only), in creation order."""
        statement = (
            select(_SUBSCRIPTION)
            .where(
                _SUBSCRIPTION.event_type == event_type,
                _SUBSCRIPTION.event_name == event_name,
                _SUBSCRIPTION.definition_pk.is_not(None),
                _SUBSCRIPTION.execution_pk.is_(None),
            )
            .order_by(_SUBSCRIPTION.pk)
        )
        if tenant.given:
            statement = statement.where(_tenant_is(tenant.tenant_id))
        return [_record(row) for row in self._session.scalars(statement)]


def definition_pk(session: Session, definition_id: str) -> int | None:
    found: int | None = session.scalar(
        select(ProcessDefinition.pk).where(ProcessDefinition.id == definition_id)
    )
    return found


@dataclass(frozen=True)
class TenantChoice:
    """A tenant asked for (``given``; ``tenant_id`` ``None``: without a tenant) or not."""

    given: bool = False
    tenant_id: str | None = None


@dataclass(frozen=True)
class WaitingCriteria:
    """What a waiting execution must match to receive an event: every criterion given
    holds; ``instance_variables`` are compared with the process instance's own
    variables, ``local_variables`` with the waiting execution's (Camunda's
    ``processVariableValueEquals`` and ``variableValueEquals``)."""

    event_type: str
    event_name: str
    business_key: str | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    tenant: TenantChoice = TenantChoice()
    instance_variables: tuple[VariableCondition, ...] = ()
    local_variables: tuple[VariableCondition, ...] = ()


@dataclass(frozen=True)
class SubscriptionCriteria:
    """``GET /event-subscription`` filters; ``None`` (or ``False``) filters nothing."""

    event_subscription_id: str | None = None
    event_name: str | None = None
    event_type: str | None = None
    execution_id: str | None = None
    process_instance_id: str | None = None
    activity_id: str | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    include_event_subscriptions_without_tenant_id: bool = False


@dataclass(frozen=True)
class SubscriptionRecord:
    id: str
    event_type: str
    event_name: str | None
    activity_id: str
    created: int  # epoch milliseconds
    tenant_id: str | None
    execution_pk: int | None
    process_instance_pk: int | None
    definition_pk: int | None
    execution_id: str | None
    process_instance_id: str | None
    process_definition_id: str | None
    wait_key: str | None


_SUBSCRIPTION = EventSubscription

# Camunda's sortBy -> column (``EventSubscriptionQueryProperty``).
SORTS: dict[str, Any] = {
    "created": _SUBSCRIPTION.created,
    "tenantId": _SUBSCRIPTION.tenant_id,
}


def _tenant_is(tenant_id: str | None) -> ColumnElement[bool]:
    if tenant_id is None:
        return _SUBSCRIPTION.tenant_id.is_(None)
    return _SUBSCRIPTION.tenant_id == tenant_id


def _has_variable(scope_pk: Any, condition: VariableCondition) -> ColumnElement[bool]:
    variable = aliased(Variable)
    return exists().where(variable.scope_pk == scope_pk, variable_matches(variable, condition))


def _tenants(criteria: SubscriptionCriteria) -> ColumnElement[bool]:
    """``tenantIdIn``, widened to subscriptions without a tenant by
    ``includeEventSubscriptionsWithoutTenantId`` (``EventSubscription.xml``)."""
    listed = _SUBSCRIPTION.tenant_id.in_(criteria.tenant_id_in or [])
    if criteria.include_event_subscriptions_without_tenant_id:
        return or_(listed, _SUBSCRIPTION.tenant_id.is_(None))
    return listed


_CONDITIONS: ConditionTable[SubscriptionCriteria] = ConditionTable(
    {
        "event_subscription_id": lambda _, v: _SUBSCRIPTION.id == v,
        "event_name": lambda _, v: _SUBSCRIPTION.event_name == v,
        "event_type": lambda _, v: _SUBSCRIPTION.event_type == v,
        "execution_id": lambda _, v: _SUBSCRIPTION.execution_id == v,
        "process_instance_id": lambda _, v: _SUBSCRIPTION.process_instance_id == v,
        "activity_id": lambda _, v: _SUBSCRIPTION.activity_id == v,
        "tenant_id_in": lambda criteria, _: _tenants(criteria),
        "without_tenant_id": lambda _, v: _SUBSCRIPTION.tenant_id.is_(None),
    }
)


def _matching(criteria: SubscriptionCriteria) -> Select[Any]:
    return select(_SUBSCRIPTION).where(*_CONDITIONS.conditions(criteria, criteria))


def _record(row: EventSubscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        event_type=row.event_type,
        event_name=row.event_name,
        activity_id=row.activity_id,
        created=row.created,
        tenant_id=row.tenant_id,
        execution_pk=row.execution_pk,
        process_instance_pk=row.process_instance_pk,
        definition_pk=row.definition_pk,
        execution_id=row.execution_id,
        process_instance_id=row.process_instance_id,
        process_definition_id=row.process_definition_id,
        wait_key=row.wait_key,
    )


_SUBSCRIPTIONS = cast(Table, EventSubscription.__table__)
# Built once: a write of an instance's variables asks it.
_ANY_OF_TYPE = (
    select(_SUBSCRIPTIONS.c.pk)
    .where(
        _SUBSCRIPTIONS.c.process_instance_pk == bindparam("instance_pk"),
        _SUBSCRIPTIONS.c.event_type == bindparam("event_type"),
    )
    .limit(1)
)
