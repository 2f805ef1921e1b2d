"""``POST /signal`` (Camunda's ``SignalRestServiceImpl``, ``SignalEventReceivedCmd``):
the request checked as Camunda checks it, then the engine's broadcast to every
subscription of the name (or of one execution)."""

from __future__ import annotations

from typing import Any

from taskvars.engine.signals import Tenants, broadcast
from taskvars.errors import BadUserRequestError, InvalidRequestError, NullValueError, RestError
from taskvars.persistence.event_subscriptions import SubscriptionCriteria
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services import variables

SIGNAL = "signal"


class NotSubscribedError(RestError):
    """``SignalRestServiceImpl`` turns the engine's ``NotFoundException`` into a 500,
    "keeping compatibility with older versions"; the code is the cause's (0)."""

    status = 500
    code = 0


def throw(uow: UnitOfWork, dto: dict[str, Any]) -> None:
    """Deliver the signal of ``SignalDto`` and commit."""
    name = dto.get("name")
    if name is None:
        raise InvalidRequestError("No signal name given")
    execution_id = dto.get("executionId")
    without_tenant = bool(dto.get("withoutTenantId"))
    # The builder's withoutTenantId comes after tenantId: it wins.
    tenant_id = None if without_tenant else dto.get("tenantId")
    tenant_given = without_tenant or tenant_id is not None
    if execution_id is not None and tenant_given:
        raise BadUserRequestError(
            "ENGINE-13027 Cannot specify a tenant-id when deliver a signal to a single execution."
        )
    values = variables.convert_values(dto.get("variables"))
    if execution_id is not None:
        _require_subscribed(uow, name, execution_id)
    broadcast(uow, name, values, Tenants(tenant_given, tenant_id), execution_id=execution_id)
    uow.commit()


def _require_subscribed(uow: UnitOfWork, name: str, execution_id: str) -> None:
    """``sendSignalToExecution``'s checks."""
    if uow.store.process_instances.execution(execution_id) is None:
        raise NullValueError(f"Cannot find execution with id '{execution_id}': execution is null")
    found = uow.store.event_subscriptions.query(
        SubscriptionCriteria(event_type=SIGNAL, event_name=name, execution_id=execution_id)
    )
    if not found:
        raise NotSubscribedError(
            f"Execution '{execution_id}' has not subscribed to a signal event with name '{name}'."
        )
