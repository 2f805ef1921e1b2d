"""Jobs as the engine makes and removes them (``store.jobs``): a timer armed when a token
reaches a timer event, an asynchronous continuation when a token reaches an
``asyncBefore``/``asyncAfter`` boundary; gone when the token leaves or the job ran.

The executor's side (acquisition, locks, retries) and the ``/job`` queries build on the
same table (:class:`~taskvars.persistence.models.Job`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from taskvars.persistence import job_signals
from taskvars.persistence.models import Job, ProcessInstance


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
        self._skip_locked = session.get_bind().dialect.name == "postgresql"

    def add(self, job: NewJob) -> int:
        """Insert the job; the executors hear of its due date once the transaction
        commits (:mod:`.job_signals`)."""
        row = Job(**job.__dict__)
        # A job of a suspended instance (a step a called instance's end ran in it) is
        # suspended with it, as Camunda's JobEntity.insert suspends it.
        row.suspended = job.process_instance_pk is not None and bool(
            self._session.scalar(
                select(ProcessInstance.suspended).where(
                    ProcessInstance.scope_pk == job.process_instance_pk
                )
            )
        )
        self._session.add(row)
        self._session.flush()
        if not row.suspended:
            self.announce(job.due_date if job.due_date is not None else job.create_time)
        return row.pk

    def announce(self, due: int) -> None:
        """Tell the executors a job is due at ``due`` (epoch ms) if this transaction
        commits: one added, given retries, moved, activated."""
        job_signals.announce(self._session, due)

    # The executor's side (Camunda's AcquireJobsCmd, LockedJobs, ExecuteJobsCmd).

    def acquire(self, now: int, limit: int, owner: str, lock_until: int) -> list[str]:
        """Lock at most ``limit`` due jobs for ``owner`` until ``lock_until``; their ids,
        earliest due first. On PostgreSQL rows another transaction is acquiring are
        skipped (``FOR UPDATE SKIP LOCKED``), so executors of several processes never
        take the same job; on SQLite there is one writer at a time anyway."""
        statement = (
            select(Job.pk, Job.id)
            .where(_acquirable(now))
            .order_by(Job.due_date.asc().nulls_first(), Job.pk)
            .limit(limit)
        )
        if self._skip_locked:
            statement = statement.with_for_update(skip_locked=True)
        rows = self._session.execute(statement).all()
        if rows:
            self._session.execute(
                update(Job)
                .where(Job.pk.in_([row.pk for row in rows]))
                .values(lock_owner=owner, lock_expiration_time=lock_until)
                .execution_options(synchronize_session=False)
            )
        return [row.id for row in rows]

    def next_acquirable(self, now: int) -> int | None:
        """When the earliest job not acquirable now will be (its due date, or the end of
        its lock: a crashed process's job); ``None`` if none waits. A job acquirable
        now is ``now``."""
        due = func.coalesce(Job.due_date, 0)
        ready_at = case(
            (
                and_(Job.lock_expiration_time.is_not(None), Job.lock_expiration_time > due),
                Job.lock_expiration_time,
            ),
            else_=due,
        )
        earliest = self._session.scalar(
            select(func.min(ready_at)).where(Job.retries > 0, Job.suspended.is_(False))
        )
        return None if earliest is None else max(int(earliest), 0)

    def locked(self, job_id: str, owner: str) -> Job | None:
        """The job if ``owner`` still holds its lock, its row locked for the transaction
        (a ``DELETE /job`` or a step removing it waits, or fails, meanwhile)."""
        statement = select(Job).where(Job.id == job_id, Job.lock_owner == owner)
        return self._session.scalars(
            statement.with_for_update().execution_options(populate_existing=True)
        ).one_or_none()

    def for_update(self, job_id: str) -> Job | None:
        """The job, its row locked for the transaction."""
        return self._session.scalars(
            select(Job)
            .where(Job.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()

    def unlock_all(self, owner: str) -> int:
        """Give up ``owner``'s locks (a stopping executor); how many."""
        result = self._session.execute(
            update(Job)
            .where(Job.lock_owner == owner)
            .values(lock_owner=None, lock_expiration_time=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

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
        if not suspended:  # the executors look again for what is due
            due = self._session.scalar(
                select(func.min(func.coalesce(Job.due_date, 0))).where(
                    Job.process_instance_pk == instance_pk, Job.retries > 0
                )
            )
            if due is not None:
                self.announce(due)

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
        self.announce(due_date)

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


def _acquirable(now: int) -> ColumnElement[bool]:
    """Camunda's ``selectNextJobsToExecute``: due (no due date is due at once), retries
    left, not suspended, unlocked or its lock expired."""
    return and_(
        or_(Job.due_date.is_(None), Job.due_date <= now),
        Job.retries > 0,
        Job.suspended.is_(False),
        or_(Job.lock_expiration_time.is_(None), Job.lock_expiration_time < now),
    )
