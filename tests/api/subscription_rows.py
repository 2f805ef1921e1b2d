"""Event subscriptions written as the engine writes them (``store.event_subscriptions``),
on invoice instances waiting in their first task: the rows that message correlation,
signals and ``GET /event-subscription`` select from, whatever model made them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from taskvars.persistence.event_subscriptions import NewSubscription
from taskvars.persistence.models import IdSpace, ProcessDefinition
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from tests.api.incident_sites import Waiting


def subscribe(
    database: Database,
    at: Waiting,
    name: str,
    *,
    event_type: str = "message",
    created: int = 1_700_000_000_000,
    tenant_id: str | None = None,
) -> str:
    """A subscription of ``at``'s waiting execution to the event; returns its id."""

    def work(uow: UnitOfWork) -> str:
        instance_pk = uow.store.scopes.pk(IdSpace.EXECUTION, at.instance_id)
        execution_pk = uow.store.scopes.pk(IdSpace.EXECUTION, at.execution_id)
        assert instance_pk is not None
        assert execution_pk is not None
        subscription_id = str(uuid.uuid4())
        uow.store.event_subscriptions.add(
            NewSubscription(
                id=subscription_id,
                event_type=event_type,
                event_name=name,
                activity_id=at.activity_id,
                created=created,
                execution_pk=execution_pk,
                process_instance_pk=instance_pk,
                execution_id=at.execution_id,
                process_instance_id=at.instance_id,
                process_definition_id=at.definition_id,
                wait_key=str(uuid.uuid4()),
                tenant_id=tenant_id,
            )
        )
        uow.commit()
        return subscription_id

    return database.write(work)


def subscribe_start(
    database: Database, definition_id: str, name: str, activity_id: str = "Started"
) -> str:
    """A message start event subscription of the definition, as deployment makes it."""

    def work(uow: UnitOfWork) -> str:
        definition_pk = uow.store.session.scalar(
            select(ProcessDefinition.pk).where(ProcessDefinition.id == definition_id)
        )
        assert definition_pk is not None
        subscription_id = str(uuid.uuid4())
        uow.store.event_subscriptions.add(
            NewSubscription(
                id=subscription_id,
                event_type="message",
                event_name=name,
                activity_id=activity_id,
                created=1_700_000_000_000,
                definition_pk=definition_pk,
                process_definition_id=definition_id,
                configuration=definition_id,
            )
        )
        uow.commit()
        return subscription_id

    return database.write(work)
