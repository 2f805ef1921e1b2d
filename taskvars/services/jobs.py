"""Jobs through ``/job`` (Camunda's ``JobRestServiceImpl``, ``JobResourceImpl``,
``ManagementService``) and the failure of a job as the executor records it
(``FailedJobListener``, ``FoxJobRetryCmd``). Everything here works in the caller's unit
of work; the functions that say so commit."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from taskvars.engine.job_handlers import run_job
from taskvars.errors import (
    ApiError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    OptimisticLockingError,
    RestError,
)
from taskvars.persistence.failures import storage_failure
from taskvars.persistence.group_commit import SharedCommitFailedError
from taskvars.persistence.job_query import SORT_COLUMNS, JobCriteria, TimeCondition
from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import ConcurrentModificationError
from taskvars.services import incidents
from taskvars.services.dates import epoch_millis, format_date, now_epoch_millis, now_millis
from taskvars.services.iso_durations import parse_retry_cycle
from taskvars.services.query_toolkit import (
    Page,
    Parameter,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_date,
    as_is,
    as_list,
    as_true,
    sort_pairs,
    without_tenant_wins,
)

logger = logging.getLogger(__name__)

# Failures that are a race with other work, not the job's own: they cost no retry
# (Camunda's executor does not count an OptimisticLockingException against a job).
RACES = (ConcurrentModificationError, OptimisticLockingError, ConflictError)


def not_the_jobs(error: BaseException) -> bool:
    """The storage failed, not the job: the database went away or the disk is full
    (:mod:`taskvars.persistence.failures`), or the commit the job's work shared with
    other writes failed. Nothing of it was stored, and it costs the job no retry."""
    return storage_failure(error) is not None or isinstance(error, SharedCommitFailedError)


# Failure (FailedJobListener -> FoxJobRetryCmd / DefaultJobRetryCmd)


def exception_message(error: BaseException) -> str:
    """What ``JobDto.exceptionMessage`` shows: the error's message, or its type."""
    message = error.message if isinstance(error, ApiError) else str(error)
    return message or type(error).__name__


def record_failure(uow: UnitOfWork, job_id: str, error: BaseException) -> None:
    """The job failed with ``error`` (its work rolled back already): one retry less,
    the exception kept, unlocked; with a retry time cycle it waits the cycle's interval
    (and takes the cycle's retries on its first failure); at 0 retries a ``failedJob``
    incident opens. Does not commit."""
    job = uow.store.jobs.for_update(job_id)
    if job is None:  # deleted while it ran
        return
    first_failure = job.exception_message is None and job.exception_stacktrace is None
    job.exception_message = exception_message(error)
    job.exception_stacktrace = "".join(traceback.format_exception(error))
    job.failed_activity_id = job.activity_id
    job.lock_owner = None
    job.lock_expiration_time = None
    cycle = None
    if job.retry_time_cycle:
        try:
            cycle = parse_retry_cycle(job.retry_time_cycle)
        except ValueError:
            # DefaultJobRetryCmd falls back to the standard strategy.
            logger.warning("job %s: unreadable retry time cycle %r", job.id, job.retry_time_cycle)
    if cycle is not None:
        if first_failure:
            job.retries = cycle.retries
        count = len(cycle.intervals)
        index = max(0, min(count - 1, count - (job.retries - 1)))
        job.due_date = epoch_millis(cycle.intervals[index].after(now_millis()))
    _set_retries(uow, job, max(job.retries - 1, 0))


def record_failure_and_commit(uow: UnitOfWork, job_id: str, error: BaseException) -> None:
    record_failure(uow, job_id, error)
    uow.commit()


def _set_retries(uow: UnitOfWork, job: Job, retries: int) -> None:
    """``JobEntity.setRetries``: reaching 0 opens a ``failedJob`` incident, leaving 0
    resolves it."""
    before, job.retries = job.retries, retries
    uow.store.session.flush()
    if before > 0 and retries == 0:
        _open_incident(uow, job)
    elif before == 0 and retries > 0:
        incidents.resolve_incidents(uow, incidents.FAILED_JOB, job.id)
    if retries > 0 and not job.suspended:
        uow.store.jobs.announce(job.due_date if job.due_date is not None else 0)


def _open_incident(uow: UnitOfWork, job: Job) -> None:
    if job.process_instance_pk is None or job.process_instance_id is None:
        # A timer start event's job belongs to no instance; incidents here hang on one.
        return
    site = incidents.IncidentSite(
        process_instance_pk=job.process_instance_pk,
        process_instance_id=job.process_instance_id,
        execution_id=job.execution_id or job.process_instance_id,
        activity_id=job.activity_id or "",
        process_definition_id=job.process_definition_id or "",
        tenant_id=job.tenant_id,
    )
    incidents.open_incident(uow, incidents.FAILED_JOB, job.id, job.exception_message, site)


# Reads


def job_dto(job: Job) -> dict[str, Any]:
    """``JobDto``."""
    return {
        "id": job.id,
        "jobDefinitionId": job.job_definition_id,
        "processInstanceId": job.process_instance_id,
        "executionId": job.execution_id,
        "processDefinitionId": job.process_definition_id,
        "processDefinitionKey": job.process_definition_key,
        "exceptionMessage": job.exception_message,
        "failedActivityId": job.failed_activity_id,
        "retries": job.retries,
        "dueDate": _date(job.due_date),
        "suspended": bool(job.suspended),
        "priority": job.priority,
        "tenantId": job.tenant_id,
        "createTime": _date(job.create_time),
        "batchId": None,
    }


def _date(millis: int | None) -> str | None:
    if millis is None:
        return None
    return format_date(datetime.fromtimestamp(millis / 1000, UTC))


def job(uow: UnitOfWork, job_id: str) -> dict[str, Any]:
    found = uow.store.jobs.get(job_id)
    if found is None:
        raise NotFoundError(f"Job with id {job_id} does not exist")
    return job_dto(found)


def stacktrace(uow: UnitOfWork, job_id: str) -> str:
    found = uow.store.jobs.get(job_id)
    if found is None:
        # GetJobExceptionStacktraceCmd; JobResourceImpl answers 404.
        raise NotFoundError(f"No job found with id {job_id}")
    return found.exception_stacktrace or ""


# The query (JobQueryDto)


def _as_time_conditions(parameter: Parameter) -> list[TimeCondition] | None:
    """``dueDates``/``createTimes``: ``gt_<date>,lt_<date>`` as a query parameter (its
    ConditionListConverter), a list of ``{operator, value}`` in a body."""
    value = parameter.value
    items: list[tuple[Any, Any]] = []
    if isinstance(value, str):
        for part in value.split(","):
            operator, _, date = part.partition("_")
            items.append((operator, date))
    else:
        items = [(entry.get("operator"), entry.get("value")) for entry in value]
    conditions = []
    for operator, date in items:
        if operator not in ("gt", "lt") or not isinstance(date, str):
            raise parameter.refused(f"Invalid {parameter.name} comparator specified: {operator}")
        instant = as_date(Parameter(parameter.name, date, parameter.now))
        conditions.append(TimeCondition(operator, epoch_millis(instant)))
    return conditions or None  # an empty list asks for nothing


def _as_int(parameter: Parameter) -> int:
    try:
        return int(parameter.value)
    except (TypeError, ValueError):
        raise parameter.refused("not a number") from None


SHAPE = QueryShape(
    noun="job",
    filters={
        "jobId": ("job_id", as_is),
        "jobIds": ("job_ids", as_list),
        "jobDefinitionId": ("job_definition_id", as_is),
        "activityId": ("activity_id", as_is),
        "failedActivityId": ("failed_activity_id", as_is),
        "executionId": ("execution_id", as_is),
        "processInstanceId": ("process_instance_id", as_is),
        "processInstanceIds": ("process_instance_ids", as_list),
        "processDefinitionId": ("process_definition_id", as_is),
        "processDefinitionKey": ("process_definition_key", as_is),
        "withRetriesLeft": ("with_retries_left", as_true),
        "noRetriesLeft": ("no_retries_left", as_true),
        "executable": ("executable", as_true),
        "timers": ("timers", as_true),
        "messages": ("messages", as_true),
        "withException": ("with_exception", as_true),
        "exceptionMessage": ("exception_message", as_is),
        "dueDates": ("due_dates", _as_time_conditions),
        "createTimes": ("create_times", _as_time_conditions),
        "active": ("active", as_true),
        "suspended": ("suspended", as_true),
        "priorityHigherThanOrEquals": ("priority_higher_than_or_equals", _as_int),
        "priorityLowerThanOrEquals": ("priority_lower_than_or_equals", _as_int),
        "tenantIdIn": ("tenant_id_in", as_list),
        "withoutTenantId": ("without_tenant_id", as_true),
        "includeJobsWithoutTenantId": ("include_jobs_without_tenant_id", as_true),
        "acquired": ("acquired", as_true),
    },
)

JobQuery = StoreQuery[JobCriteria]


def from_parameters(parameters: Mapping[str, Any]) -> JobQuery:
    return _query(SHAPE.from_parameters(parameters))


def from_body(body: Mapping[str, Any]) -> JobQuery:
    return _query(SHAPE.from_body(body))


def _query(parsed: ParsedQuery) -> JobQuery:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    if fields.get("timers") and fields.get("messages"):
        # JobQueryImpl.timers/messages refuse the two together.
        raise InvalidRequestError(
            "Cannot combine onlyTimers() with onlyMessages() in the same query"
        )
    return StoreQuery(JobCriteria(**fields), sort_pairs(parsed, frozenset(SORT_COLUMNS)))


def jobs(uow: UnitOfWork, query: JobQuery, page: Page) -> list[dict[str, Any]]:
    found = uow.store.job_query.query(query.criteria, now_epoch_millis(), query.orderings, *page)
    return [job_dto(item) for item in found]


def count(uow: UnitOfWork, query: JobQuery) -> int:
    return uow.store.job_query.count(query.criteria, now_epoch_millis())


# Commands


class NoSuchJobError(NotFoundError):
    """``ExecuteJobsCmd``: "No job found with id"; JobResourceImpl answers 404."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job found with id '{job_id}'")


class JobFailedError(RestError):
    """``POST /job/{id}/execute`` ran the job and it failed (recorded already): the
    RuntimeException JobResourceImpl answers with a 500 ``RestException``."""

    status = 500


def set_retries(
    uow: UnitOfWork, job_id: str, retries: int | None, due_date: int | None, set_due: bool
) -> None:
    """``SetJobRetriesCmd``; commits."""
    if retries is None or retries < 0:
        given = "null" if retries is None else str(retries)
        raise InvalidRequestError(
            "The number of job retries must be a non-negative Integer, "
            f"but '{given}' has been provided."
        )
    job = uow.store.jobs.for_update(job_id)
    if job is None:
        # JobResourceImpl turns the engine's ProcessEngineException into a 500.
        raise _internal(f"No job found with id '{job_id}'.")
    if set_due:
        job.due_date = due_date
    _set_retries(uow, job, retries)
    uow.commit()


def set_due_date(uow: UnitOfWork, job_id: str, due_date: int | None) -> None:
    """``SetJobDuedateCmd``. ``cascade`` (moving the due dates of the timer's later
    cycles too) is not modelled: a cycle's next due date is computed from the moment it
    fires here, so there is nothing to cascade into. Commits."""
    job = uow.store.jobs.for_update(job_id)
    if job is None:
        raise _internal(f"No job found with id '{job_id}'.")
    job.due_date = due_date
    if job.retries > 0 and not job.suspended:
        uow.store.jobs.announce(due_date if due_date is not None else 0)
    uow.commit()


def set_suspended(uow: UnitOfWork, job_id: str, suspended: bool) -> None:
    """``PUT /job/{id}/suspended`` (``SetJobStateCmd``); commits."""
    job = uow.store.jobs.for_update(job_id)
    if job is None:
        # AbstractSetJobStateCmd: ensureNotNull "job" -> a 500 ProcessEngineException;
        # JobSuspensionStateDto lets it through (Camunda's RestException).
        raise _internal(f"Job with id '{job_id}' does not exist")
    job.suspended = suspended
    if not suspended and job.retries > 0:
        uow.store.jobs.announce(job.due_date if job.due_date is not None else 0)
    uow.commit()


def delete(uow: UnitOfWork, job_id: str) -> None:
    """``DeleteJobCmd``: a locked job (one an executor runs now) is refused; commits."""
    job = uow.store.jobs.for_update(job_id)
    if job is None:
        raise NotFoundError(f"No job found with id '{job_id}': job is null")
    if job.lock_owner is not None and (job.lock_expiration_time or 0) > now_epoch_millis():
        raise _internal("Cannot delete job when the job is being executed. Try again later.")
    incidents.delete_incidents(uow, incidents.FAILED_JOB, job.id)
    uow.store.jobs.delete(job.pk)
    uow.commit()


def _internal(message: str) -> InvalidRequestError:
    error = InvalidRequestError(message)
    error.status = 500
    return error


def execute_now(database: Database, job_id: str) -> None:
    """``POST /job/{id}/execute`` (``ManagementService.executeJob``): run the job now,
    whoever holds its lock; a failure is recorded as the executor records it and then
    raised (Camunda answers it with a 500 ``RestException``)."""

    def work(uow: UnitOfWork) -> None:
        job = uow.store.jobs.for_update(job_id)
        if job is None:
            raise NoSuchJobError(job_id)
        run_job(uow, job)
        uow.commit()

    try:
        database.write(work)
    except NoSuchJobError:
        raise
    except Exception as error:
        if not_the_jobs(error):
            raise  # a 503 or 507 (web.operation_errors), the job as it was
        if not isinstance(error, RACES):
            failure = error
            database.write(lambda uow: record_failure_and_commit(uow, job_id, failure))
        raise JobFailedError(exception_message(error)) from error
