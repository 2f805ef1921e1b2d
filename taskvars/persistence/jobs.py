"""Jobs as the engine makes and removes them (``store.jobs``): a timer armed when a token
reaches a timer event, an asynchronous continuation when a token reaches an
``asyncBefore``/``asyncAfter`` boundary; gone when the token leaves or the job ran.

The executor's side (acquisition, locks, retries) and the ``/job`` queries build on the
same table (:class:`~taskvars.persistence.models.Job`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from taskvars.persistence.models import Job


@dataclass(frozen=True)
class NewJob:
    """A job to insert; ``id`` is made by the caller (``task_defaults.new_id``)."""

    id: str
    type: str  # "timer" or "message" (an asynchronous continuation)
    handler_type: str
    create_time: int
    due_date: int | None = None
    handler_configuration: str | None = None
    execution_pk: int | None = None
    process_instance_pk: int | None = None
    definition_pk: int | None = None
    execution_id: str | None = None
    process_instance_id: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    deployment_id: str | None = None
    activity_id: str | None = None
    wait_key: str | None = None
    job_definition_id: str | None = None
    repeat: str | None = None
    retry_time_cycle: str | None = None
    retries: int = 3
    priority: int = 0
    tenant_id: str | None = None


class Jobs:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, job: NewJob) -> int:
        row = Job(**job.__dict__)
        self._session.add(row)
        self._session.flush()
        return row.pk

    def get(self, job_id: str) -> Job | None:
        return self._session.scalars(select(Job).where(Job.id == job_id)).one_or_none()

    def for_wait(self, instance_pk: int, wait_key: str) -> list[Job]:
        """The jobs of one wait of an instance's run (a timer event, a continuation)."""
        return list(
            self._session.scalars(
                select(Job).where(Job.process_instance_pk == instance_pk, Job.wait_key == wait_key)
            )
        )

    def delete_for_wait(self, instance_pk: int, wait_key: str) -> None:
        self._session.execute(
            delete(Job).where(Job.process_instance_pk == instance_pk, Job.wait_key == wait_key)
        )

    def delete(self, job_pk: int) -> None:
        self._session.execute(delete(Job).where(Job.pk == job_pk))

    def delete_id(self, job_id: str) -> None:
        """By id: after a step removed and inserted jobs, SQLite may have given a deleted
        job's pk to a new one."""
        self._session.execute(delete(Job).where(Job.id == job_id))

    def move_wait(
        self, instance_pk: int, wait_key: str, execution_pk: int, execution_id: str
    ) -> None:
        """The jobs of a wait follow its token into another execution."""
        self._session.execute(
            update(Job)
            .where(Job.process_instance_pk == instance_pk, Job.wait_key == wait_key)
            .values(execution_pk=execution_pk, execution_id=execution_id)
        )

    def suspend_instance(self, instance_pk: int, suspended: bool) -> None:
        """An instance's jobs follow its suspension state (Camunda's
        ``AbstractSetProcessInstanceStateCmd`` updates them with the instance's)."""
        self._session.execute(
            update(Job).where(Job.process_instance_pk == instance_pk).values(suspended=suspended)
        )

    def due_for_instance(self, instance_pk: int) -> list[Job]:
        """An instance's jobs, earliest due first."""
        return list(
            self._session.scalars(
                select(Job).where(Job.process_instance_pk == instance_pk).order_by(Job.due_date)
            )
        )

    def move_due_date(self, job_pk: int, due_date: int, repeat: str | None) -> None:
        """A timer cycle's job moved on to its next due date."""
        self._session.execute(
            update(Job).where(Job.pk == job_pk).values(due_date=due_date, repeat=repeat)
        )

    def delete_start_timers(self, definition_key: str, tenant_id: str | None) -> None:
        """The timer start event jobs of every version of a definition key (Camunda's
        ``BpmnDeployer.removeObsoleteTimers``)."""
        self._session.execute(
            delete(Job).where(
                Job.handler_type == START_TIMER_HANDLER,
                Job.process_definition_key == definition_key,
                Job.tenant_id.is_(None) if tenant_id is None else Job.tenant_id == tenant_id,
            )
        )


# Camunda's TimerStartEventJobHandler type.
START_TIMER_HANDLER = "timer-start-event"
