"""The job handlers of timers (Camunda's ``TimerCatchIntermediateEventJobHandler``,
``TimerExecuteNestedActivityJobHandler``): a due timer fires the wait it was armed for.
The wait's behaviour removes the job as the token leaves (:mod:`.catch_waits`,
:mod:`.event_waits`)."""

from __future__ import annotations

from datetime import UTC, datetime

from taskvars.engine.catch_waits import INTERMEDIATE_TIMER_HANDLER
from taskvars.engine.event_subprocess_waits import EVENT_SUBPROCESS_TIMER_HANDLER
from taskvars.engine.event_waits import BOUNDARY_TIMER_HANDLER
from taskvars.engine.events import fire_wait, start_by_event
from taskvars.engine.job_handlers import handles
from taskvars.engine.timer_definitions import repeat_after
from taskvars.persistence.jobs import START_TIMER_HANDLER
from taskvars.persistence.models import Job, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef
from taskvars.services.dates import epoch_millis


@handles(INTERMEDIATE_TIMER_HANDLER)
def fire_intermediate_timer(uow: UnitOfWork, job: Job) -> None:
    """An intermediate timer or an event-based gateway's timer branch: fires once (a
    cycle there fires once too, as Camunda's ``TimerCatchIntermediateEventJobHandler``)."""
    job_id = job.id
    fire_wait(uow, _instance(job), _wait_key(job))
    _delete(uow, job_id)


@handles(BOUNDARY_TIMER_HANDLER)
def fire_boundary_timer(uow: UnitOfWork, job: Job) -> None:
    """A boundary event's timer. A non-interrupting one with a cycle is armed again as
    it fires (a new wait), its job due one period after this one (Camunda's
    ``TimerEntity.createNewTimerJob``) while repetitions are left; a duration or a
    date fires once, as Camunda's."""
    job_id, activity_id = job.id, job.activity_id
    following = None
    if job.repeat is not None and job.due_date is not None:
        following = repeat_after(job.repeat, _from_epoch_millis(job.due_date))
    instance = _instance(job)
    fire_wait(uow, instance, _wait_key(job), again=following is not None)
    _delete(uow, job_id)
    if following is None:
        return
    for rearmed in uow.store.jobs.due_for_instance(instance.pk):
        if rearmed.activity_id == activity_id and rearmed.handler_type == BOUNDARY_TIMER_HANDLER:
            uow.store.jobs.move_due_date(rearmed.pk, epoch_millis(following.due), following.repeat)


@handles(EVENT_SUBPROCESS_TIMER_HANDLER)
def start_event_subprocess_by_timer(uow: UnitOfWork, job: Job) -> None:
    """An event sub-process's timer start event (Camunda's
    ``TimerStartEventSubprocessJobHandler``): the event sub-process starts in the job's
    scope. An interrupting one's job goes with the interrupted scope's waits; a
    non-interrupting cycle's job stays, due one period on while repetitions are left;
    otherwise the job is gone and not armed again (``again=False``)."""
    job_id = job.id
    following = None
    if job.repeat is not None and job.due_date is not None:
        following = repeat_after(job.repeat, _from_epoch_millis(job.due_date))
    fire_wait(uow, _instance(job), _wait_key(job), again=following is not None)
    left = uow.store.jobs.get(job_id)
    if left is None:
        return
    if following is None:
        uow.store.jobs.delete(left.pk)
    else:
        uow.store.jobs.move_due_date(left.pk, epoch_millis(following.due), following.repeat)


@handles(START_TIMER_HANDLER)
def start_by_timer(uow: UnitOfWork, job: Job) -> None:
    """A timer start event (Camunda's ``TimerStartEventJobHandler``): an instance starts
    there; a cycle's job moves on to its next repetition, else it is gone."""
    definition_id, start_event_id = job.process_definition_id, job.handler_configuration
    definition = uow.store.definitions.get(definition_id or "")
    if definition is None or start_event_id is None:
        raise ValueError(f"the timer start job {job.id} has no definition to start")
    job_pk, fired_due, repeat = job.pk, job.due_date, job.repeat
    start_by_event(uow, definition, start_event_id, {}, None)
    following = None
    if repeat is not None and fired_due is not None:
        following = repeat_after(repeat, _from_epoch_millis(fired_due))
    if following is None:
        uow.store.jobs.delete(job_pk)
    else:
        uow.store.jobs.move_due_date(job_pk, epoch_millis(following.due), following.repeat)


def _delete(uow: UnitOfWork, job_id: str) -> None:
    """The job that ran, if its wait's behaviour left it (by id: a row the step made may
    have taken over its primary key, as SQLite reuses the highest one deleted)."""
    left = uow.store.jobs.get(job_id)
    if left is not None:
        uow.store.jobs.delete(left.pk)


def _instance(job: Job) -> ScopeRef:
    if job.process_instance_pk is None or job.process_instance_id is None:
        raise ValueError(f"the timer job {job.id} belongs to no process instance")
    return ScopeRef(job.process_instance_pk, ScopeKind.PROCESS_INSTANCE, job.process_instance_id)


def _wait_key(job: Job) -> str:
    if not job.wait_key:
        raise ValueError(f"the timer job {job.id} fires no wait")
    return job.wait_key


def _from_epoch_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
