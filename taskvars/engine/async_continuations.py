"""The job handler of asynchronous continuations (Camunda's
``AsyncContinuationJobHandler``, handler type "async-continuation"): it claims the
instance's run, lets the token the job holds go on, saves, and removes the job; the job
executor commits. What fails on the way is raised unchanged, so that the executor's
failure handling (retries, ``failedJobRetryTimeCycle``, a ``failedJob`` incident at 0)
applies."""

from __future__ import annotations

from taskvars.engine import runtime
from taskvars.engine.async_points import HANDLER_TYPE
from taskvars.engine.job_handlers import handles
from taskvars.persistence.models import IdSpace, Job, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef


class ContinuationGoneError(RuntimeError):
    """The job's instance or token is gone (a job outliving its wait is a bug)."""


@handles(HANDLER_TYPE)
def continue_token(uow: UnitOfWork, job: Job) -> None:
    instance_id, task_id = job.process_instance_id, job.wait_key
    if instance_id is None or task_id is None:
        raise ContinuationGoneError(f"the job {job.id} names no process instance or token")
    store = uow.store
    instance_pk = store.scopes.pk(IdSpace.EXECUTION, instance_id)
    claimed = None
    if instance_pk is not None:
        instance = ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, instance_id)
        claimed = runtime.claim_run(uow, instance)
    if claimed is None:
        raise ContinuationGoneError(f"the run of process instance {instance_id} is gone")
    runtime.continue_async(uow, claimed, task_id)
    # The token left its wait, which removed the job already. By id: the step may have
    # inserted the next continuation's job under this one's pk (SQLite reuses it).
    store.jobs.delete_id(job.id)
