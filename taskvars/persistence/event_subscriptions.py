"""Event subscriptions as the engine makes and removes them (``store.event_subscriptions``):
a message or signal a waiting event of an instance listens for, or a definition's message
or signal start event; gone when the token leaves or the definition is replaced.

Correlation (``POST /message``, ``POST /signal``) and ``GET /event-subscription`` read
the same table (:class:`~taskvars.persistence.models.EventSubscription`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from taskvars.persistence.models import EventSubscription, ProcessDefinition


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


def definition_pk(session: Session, definition_id: str) -> int | None:
    found: int | None = session.scalar(
        select(ProcessDefinition.pk).where(ProcessDefinition.id == definition_id)
    )
    return found
