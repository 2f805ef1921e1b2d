"""The job handlers of timers (Camunda's ``TimerCatchIntermediateEventJobHandler``,
``TimerExecuteNestedActivityJobHandler``): a due timer fires the wait it was armed for.
The wait's behaviour removes the job as the token leaves (:mod:`.catch_waits`)."""

from __future__ import annotations

from taskvars.engine.catch_waits import INTERMEDIATE_TIMER_HANDLER
from taskvars.engine.events import fire_wait
from taskvars.engine.job_handlers import handles
from taskvars.persistence.models import Job, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef


@handles(INTERMEDIATE_TIMER_HANDLER)
def fire_intermediate_timer(uow: UnitOfWork, job: Job) -> None:
    if job.process_instance_pk is None or job.process_instance_id is None or not job.wait_key:
        raise ValueError(f"the timer job {job.id} belongs to no waiting instance")
    instance = ScopeRef(
        job.process_instance_pk, ScopeKind.PROCESS_INSTANCE, job.process_instance_id
    )
    fire_wait(uow, instance, job.wait_key)
    uow.store.jobs.delete(job.pk)  # gone already if the wait's behaviour removed it
