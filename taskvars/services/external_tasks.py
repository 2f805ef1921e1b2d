"""External tasks, as workers and operators command them (Camunda's
``ExternalTaskService``): fetch and lock, complete, report a failure or a BPMN error,
lock, extend a lock, unlock, and set retries and priority.

A command on one task reads the task to find its process instance, claims the
instance's run when it will move the run on (a step racing it is a 409 before anything
is written), then locks the task's row and checks it again: the order a step that
removes the task takes too. Each command's checks and messages are Camunda's
(``HandleExternalTaskCmd`` and its subclasses, ``ExternalTaskEntity``, ``EnsureUtil``);
what ``ExternalTaskResourceImpl`` wraps comes as a ``RestException``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from taskvars.engine import runtime
from taskvars.errors import (
    BadUserRequestError,
    EngineInputError,
    InvalidRequestError,
    NotFoundError,
    NullArgumentError,
    RestError,
    SuspendedEntityError,
)
from taskvars.persistence.external_task_query import ExternalTaskCriteria, ExternalTaskRow
from taskvars.persistence.external_task_signals import announce
from taskvars.persistence.external_tasks import TopicCriteria
from taskvars.persistence.models import ExternalTask, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef, VariableCondition
from taskvars.services import external_task_query, process_instance_query, variables
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.external_task_dtos import external_task_dto
from taskvars.services.external_task_reads import not_found
from taskvars.services.incidents import (
    FAILED_EXTERNAL_TASK,
    IncidentSite,
    open_incident,
    resolve_incidents,
)
from taskvars.services.long_polling import (
    MAX_ASYNC_RESPONSE_TIMEOUT_MS,
    MAX_TIMEOUT_MESSAGE,
    FetchOutcome,
)

# Camunda's ExternalTaskEntity.MAX_EXCEPTION_MESSAGE_LENGTH.
MAX_ERROR_MESSAGE_LENGTH = 666


@dataclass(frozen=True)
class TopicRequest:
    """One topic of a fetch: what to lock and what to answer with."""

    criteria: TopicCriteria
    lock_duration: int
    variable_names: Sequence[str] | None  # None: all
    local_variables: bool
    deserialize_values: bool
    include_extension_properties: bool


@dataclass(frozen=True)
class FetchRequest:
    """Camunda's ``FetchExternalTasksDto``, checked."""

    worker_id: str
    max_tasks: int
    use_priority: bool
    create_time_order: str | None
    topics: Sequence[TopicRequest]
    include_extension_properties: bool
    async_response_timeout: int | None  # milliseconds; None: answer at once

    @property
    def topic_names(self) -> frozenset[str]:
        return frozenset(topic.criteria.topic_name for topic in self.topics)


def fetch_request(dto: dict[str, Any]) -> FetchRequest:
    """The request, refused as Camunda refuses it (``FetchExternalTasksCmd``,
    ``FetchAndLockHandlerImpl``, ``FetchExternalTasksDto.SortMapper``)."""
    timeout = dto.get("asyncResponseTimeout")
    if timeout is not None and timeout > MAX_ASYNC_RESPONSE_TIMEOUT_MS:
        raise InvalidRequestError(MAX_TIMEOUT_MESSAGE)
    worker_id = dto.get("workerId")
    if worker_id is None:
        raise _null("workerId")
    max_tasks = dto.get("maxTasks") or 0
    if max_tasks < 0:
        raise EngineInputError("maxResults is not greater than or equal to 0")
    order = None
    for sorting in dto.get("sorting") or []:
        sort_by, sort_order = sorting.get("sortBy"), sorting.get("sortOrder")
        if sort_by != "createTime":
            raise InvalidRequestError(f"Cannot set query sortBy parameter to value {sort_by}")
        if sort_order is not None and sort_order not in ("asc", "desc"):
            raise InvalidRequestError(f"Cannot set query sortOrder parameter to value {sort_order}")
        order = sort_order or "asc"
    return FetchRequest(
        worker_id=worker_id,
        max_tasks=max_tasks,
        use_priority=bool(dto.get("usePriority")),
        create_time_order=order,
        topics=_last_per_name([_topic_request(topic) for topic in dto.get("topics") or []]),
        include_extension_properties=bool(dto.get("includeExtensionProperties")),
        async_response_timeout=timeout,
    )


def _last_per_name(topics: list[TopicRequest]) -> list[TopicRequest]:
    """A topic named twice is the last one named (Camunda keeps its instructions in a map
    by topic name: ``ExternalTaskQueryTopicBuilderImpl``)."""
    by_name = {topic.criteria.topic_name: topic for topic in topics}
    return list(by_name.values())


def _shown(value: Any) -> str:
    return "null" if value is None else str(value)


def _topic_request(dto: dict[str, Any]) -> TopicRequest:
    name = dto.get("topicName")
    if name is None:
        raise _null("topicName")
    lock_duration = dto.get("lockDuration") or 0
    if lock_duration <= 0:
        raise EngineInputError("lockTime is not greater than 0")
    ids = list(dto.get("processDefinitionIdIn") or [])
    if dto.get("processDefinitionId") is not None:
        ids.append(dto["processDefinitionId"])
    keys = list(dto.get("processDefinitionKeyIn") or [])
    if dto.get("processDefinitionKey") is not None:
        keys.append(dto["processDefinitionKey"])
    return TopicRequest(
        criteria=TopicCriteria(
            topic_name=name,
            business_key=dto.get("businessKey"),
            process_definition_ids=ids or None,
            process_definition_keys=keys or None,
            process_definition_version_tag=dto.get("processDefinitionVersionTag"),
            tenant_ids=dto.get("tenantIdIn"),
            without_tenant_id=bool(dto.get("withoutTenantId")),
            process_variables=[
                VariableCondition(name, "eq", _condition_value(value), task_local=False)
                for name, value in (dto.get("processVariables") or {}).items()
            ],
        ),
        lock_duration=lock_duration,
        variable_names=dto.get("variables"),
        local_variables=bool(dto.get("localVariables")),
        deserialize_values=bool(dto.get("deserializeValues")),
        include_extension_properties=bool(dto.get("includeExtensionProperties")),
    )


def _condition_value(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InvalidRequestError(
        f"processVariables: {json.dumps(value)} is not a string, number, boolean or null"
    )


def fetch_and_lock(uow: UnitOfWork, request: FetchRequest) -> FetchOutcome:
    """Lock up to ``max_tasks`` tasks of the request's topics for its worker and commit;
    a task another fetch locked first is left out, never an error. With none found, the
    outcome says when a lock on a task of these topics ends (a parked request looks
    again then)."""
    store = uow.store
    now = epoch_millis(now_millis())
    tasks = store.external_tasks.fetchable(
        [topic.criteria for topic in request.topics],
        now,
        request.max_tasks,
        use_priority=request.use_priority,
        create_time_order=request.create_time_order,
    )
    by_topic = {topic.criteria.topic_name: topic for topic in request.topics}
    for task in tasks:
        duration = by_topic[task.topic_name].lock_duration
        store.external_tasks.set_lock(task, request.worker_id, now + duration)
    answered = _locked_dtos(uow, tasks, by_topic, request.include_extension_properties)
    next_expiry = None
    if not tasks:
        next_expiry = store.external_tasks.next_lock_expiry(request.topic_names, now)
    uow.commit()
    return FetchOutcome(answered, None if next_expiry is None else next_expiry / 1000)


def _locked_dtos(
    uow: UnitOfWork,
    tasks: list[ExternalTask],
    by_topic: dict[str, TopicRequest],
    include_all_properties: bool,
) -> list[dict[str, Any]]:
    """``LockedExternalTaskDto`` of each task, variables read in a few queries whatever
    the number of tasks (one batch per kind of read the topics ask for)."""
    values: dict[int, dict[str, Any]] = {}
    for local in (False, True):
        for deserialize in (False, True):
            wanted = [
                task
                for task in tasks
                if by_topic[task.topic_name].local_variables == local
                and by_topic[task.topic_name].deserialize_values == deserialize
            ]
            if not wanted:
                continue
            chains = uow.store.scopes.chains([task.execution_pk for task in wanted])
            if local:
                chains = {pk: chain[:1] for pk, chain in chains.items()}
            values.update(variables.variable_maps(uow, chains, deserialize=deserialize))
    dtos = []
    for task in tasks:
        topic = by_topic[task.topic_name]
        found = values.get(task.execution_pk, {})
        if topic.variable_names is not None:
            found = {name: found[name] for name in topic.variable_names if name in found}
        with_properties = include_all_properties or topic.include_extension_properties
        dtos.append(locked_task_dto(task, found, with_properties=with_properties))
    return dtos


def locked_task_dto(
    task: ExternalTask, variable_dtos: dict[str, Any], *, with_properties: bool
) -> dict[str, Any]:
    """``LockedExternalTaskDto``: the task's ``ExternalTaskDto`` (a fetched task's instance
    is active) with its error details, variables and, if asked, extension properties."""
    properties = json.loads(task.extension_properties or "{}") if with_properties else {}
    return {
        **external_task_dto(ExternalTaskRow.of(task, suspended=False)),
        "errorDetails": task.error_details,
        "variables": variable_dtos,
        "extensionProperties": properties,
    }


# Commands on one task


def complete(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Camunda's ``CompleteExternalTaskCmd``: the worker holding the task (its lock may
    have expired) sets ``variables`` from the task's execution up and ``localVariables``
    on it, and the run moves on, in one transaction."""
    values = variables.convert_values(dto.get("variables"))
    local_values = variables.convert_values(dto.get("localVariables"))
    worker_id = _worker(dto)
    claimed, task = _claimed(uow, task_id)
    _check_worker(task, worker_id, "complete")
    _ensure_active(uow, task)
    chain = _execution_chain(uow, task)
    variables.write_values(uow, chain, values, local=False)
    variables.write_values(uow, chain, local_values, local=True)
    runtime.finish_task(uow, claimed, task_id)
    uow.commit()


def handle_bpmn_error(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Camunda's ``HandleExternalTaskBpmnErrorCmd``: ``variables`` set from the task's
    execution up, then the error propagated (:func:`.runtime.throw_error`)."""
    worker_id = _worker(dto)
    error_code = dto.get("errorCode")
    if error_code is None:
        raise _null("errorCode")
    values = variables.convert_values(dto.get("variables"))
    claimed, task = _claimed(uow, task_id)
    _check_worker(task, worker_id, "bpmnError")
    _ensure_active(uow, task)
    chain = _execution_chain(uow, task)
    variables.write_values(uow, chain, values, local=False)
    runtime.throw_error(uow, claimed, task_id, error_code, dto.get("errorMessage"), chain[1:])
    uow.commit()


def handle_failure(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Camunda's ``HandleExternalTaskFailureCmd``: the error kept (its message cut to
    666 characters), the task locked for its worker until ``retryTimeout`` has passed,
    and ``retries`` set: reaching 0 opens an incident."""
    worker_id = _worker(dto)
    retries = dto.get("retries") or 0  # primitives in Camunda's DTO: absent is 0
    retry_timeout = dto.get("retryTimeout") or 0
    if retries < 0:
        raise EngineInputError("retries is not greater than or equal to 0")
    if retry_timeout < 0:
        raise EngineInputError("retryDuration is not greater than or equal to 0")
    values = variables.convert_values(dto.get("variables"))
    local_values = variables.convert_values(dto.get("localVariables"))
    task = _locked(uow, task_id)
    _check_worker(task, worker_id, "failure")
    _ensure_active(uow, task)
    chain = _execution_chain(uow, task)
    variables.write_values(uow, chain, values, local=False)
    variables.write_values(uow, chain, local_values, local=True)
    message = dto.get("errorMessage")
    task.error_message = None if message is None else message[:MAX_ERROR_MESSAGE_LENGTH]
    if dto.get("errorDetails") is not None:
        task.error_details = dto["errorDetails"]
    task.lock_expiration_time = epoch_millis(now_millis()) + retry_timeout
    _set_retries(uow, task, retries)
    uow.commit()


def extend_lock(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Camunda's ``ExtendLockOnExternalTaskCmd``: the holder's lock, not expired, runs
    ``newDuration`` from now."""
    worker_id = _worker(dto)
    duration = dto.get("newDuration") or 0
    if duration <= 0:
        raise RestError("lockTime is not greater than 0")
    task = _locked(uow, task_id)
    _check_worker(task, worker_id, "extendLock")
    now = epoch_millis(now_millis())
    if (task.lock_expiration_time or 0) < now:
        raise RestError(
            "Cannot extend a lock that expired: lockExpirationTime is not greater than or "
            f"equal to {now}"
        )
    _ensure_active(uow, task)
    uow.store.external_tasks.set_lock(task, worker_id, now + duration)
    uow.commit()


def lock(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Camunda's ``LockExternalTaskCmd``: lock the task for ``lockDuration``, refused
    only while another worker's lock holds."""
    worker_id = _worker(dto)
    duration = dto.get("lockDuration") or 0
    if duration <= 0:
        raise RestError("lockDuration is not greater than 0")
    task = _locked(uow, task_id)
    now = epoch_millis(now_millis())
    held = task.lock_expiration_time is not None and task.lock_expiration_time >= now
    if task.worker_id is not None and task.worker_id != worker_id and held:
        raise RestError(
            f"External Task {task_id} cannot be locked by worker '{worker_id}'. "
            f"It is locked by worker '{_shown(task.worker_id)}'."
        )
    uow.store.external_tasks.set_lock(task, worker_id, now + duration)
    uow.commit()


def unlock(uow: UnitOfWork, task_id: str) -> None:
    """Camunda's ``UnlockExternalTaskCmd``: whoever holds it, the task is free again."""
    task = _locked(uow, task_id)
    uow.store.external_tasks.set_lock(task, None, None)
    announce(uow, [task.topic_name])
    uow.commit()


def set_retries(uow: UnitOfWork, task_id: str, retries: int | None) -> None:
    """Camunda's ``SetExternalTaskRetriesCmd``: reaching 0 opens an incident, leaving 0
    resolves it."""
    _check_retries(retries)
    assert retries is not None
    task = _locked(uow, task_id)
    _set_retries(uow, task, retries)
    uow.commit()


def set_retries_of_many(uow: UnitOfWork, dto: dict[str, Any]) -> None:
    """``PUT /external-task/retries``, synchronous (Camunda's
    ``SetExternalTasksRetriesCmd``): the tasks named, those of the process instances
    named, and those the queries find, each as :func:`set_retries` sets it, in one
    transaction."""
    if dto.get("historicProcessInstanceQuery"):
        raise InvalidRequestError(
            "historicProcessInstanceQuery is not supported by this server: name the "
            "instances in processInstanceIds or find them with processInstanceQuery"
        )
    retries = dto.get("retries")
    _check_retries(retries)
    assert retries is not None
    ids = _tasks_to_retry(uow, dto)
    if not ids:
        raise InvalidRequestError("externalTaskIds is empty")
    for task_id in ids:
        task = uow.store.external_tasks.lock(task_id)
        if task is None:
            raise NotFoundError(f"Cannot find external task with id {task_id}")
        _set_retries(uow, task, retries)
    uow.commit()


def _tasks_to_retry(uow: UnitOfWork, dto: dict[str, Any]) -> list[str]:
    store = uow.store
    now = epoch_millis(now_millis())
    named = dto.get("externalTaskIds") or []
    if None in named:
        raise InvalidRequestError(
            "External task id cannot be null: externalTaskIds contains null value"
        )
    ids = set(named)
    instance_ids = set(dto.get("processInstanceIds") or [])
    if dto.get("processInstanceQuery") is not None:
        instances = process_instance_query.from_body(dto["processInstanceQuery"])
        instance_ids |= {r.id for r in store.process_instances.query(instances.criteria)}
    if dto.get("externalTaskQuery") is not None:
        tasks = external_task_query.from_body(dto["externalTaskQuery"])
        ids |= {row.id for row in store.external_task_query.query(tasks.criteria, now)}
    if instance_ids:
        of_instances = ExternalTaskCriteria(process_instance_id_in=sorted(instance_ids))
        ids |= {row.id for row in store.external_task_query.query(of_instances, now)}
    return sorted(ids)  # one lock order for every writer


def set_priority(uow: UnitOfWork, task_id: str, priority: int | None) -> None:
    task = _locked(uow, task_id)
    task.priority = priority or 0
    uow.store.external_tasks.save(task)
    uow.commit()


def _check_retries(retries: int | None) -> None:
    if retries is None:
        raise InvalidRequestError("The number of retries cannot be null.")
    if retries < 0:
        raise BadUserRequestError(
            "The number of retries cannot be negative: retries is not greater than or equal to 0"
        )


def _set_retries(uow: UnitOfWork, task: ExternalTask, retries: int) -> None:
    """``ExternalTaskEntity.setRetriesAndManageIncidents``."""
    had_retries = task.retries is None or task.retries > 0
    if had_retries and retries <= 0:
        site = IncidentSite(
            process_instance_pk=task.process_instance_pk,
            process_instance_id=task.process_instance_id,
            execution_id=task.execution_id,
            activity_id=task.activity_id,
            process_definition_id=task.process_definition_id,
            tenant_id=task.tenant_id,
        )
        open_incident(uow, FAILED_EXTERNAL_TASK, task.id, task.error_message, site)
    elif not had_retries and retries > 0:
        resolve_incidents(uow, FAILED_EXTERNAL_TASK, task.id)
    task.retries = retries
    uow.store.external_tasks.save(task)
    if retries > 0:
        announce(uow, [task.topic_name])


def _claimed(uow: UnitOfWork, task_id: str) -> tuple[runtime.ClaimedRun, ExternalTask]:
    """The task's run claimed, then the task's row locked: a task the claim's wait saw
    removed is missing."""
    found = uow.store.external_tasks.get(task_id)
    if found is None:
        raise not_found(task_id)
    instance = ScopeRef(
        found.process_instance_pk, ScopeKind.PROCESS_INSTANCE, found.process_instance_id
    )
    try:
        claimed = runtime.claim_run(uow, instance)
    except runtime.RunGoneError:
        # The step that ended the instance committed after the task was read.
        if uow.store.external_tasks.get(task_id) is None:
            raise not_found(task_id) from None
        raise
    if claimed is None:
        raise RuntimeError(f"the external task {task_id} has no run")
    return claimed, _locked(uow, task_id)


def _locked(uow: UnitOfWork, task_id: str) -> ExternalTask:
    task = uow.store.external_tasks.lock(task_id)
    if task is None:
        raise not_found(task_id)
    return task


def _execution_chain(uow: UnitOfWork, task: ExternalTask) -> list[ScopeRef]:
    """The task's own execution, then the scopes above it."""
    return uow.store.scopes.chains([task.execution_pk])[task.execution_pk]


def _worker(dto: dict[str, Any]) -> str:
    worker_id = dto.get("workerId")
    if worker_id is None:
        raise _null("workerId")
    return str(worker_id)


# Each command's getErrorMessageOnWrongWorkerAccess (extendLock's closes its quote
# itself, and so has two in a row once the common ending follows: Camunda's text).
_WRONG_WORKER = {
    "complete": "External Task {task} cannot be completed by worker '{worker}",
    "failure": "Failure of External Task {task} cannot be reported by worker '{worker}",
    "bpmnError": "Bpmn error of External Task {task} cannot be reported by worker '{worker}",
    "extendLock": "The lock of the External Task {task} cannot be extended by worker '{worker}'",
}


def _check_worker(task: ExternalTask, worker_id: str, command: str) -> None:
    """``HandleExternalTaskCmd.validateWorkerViolation``: only the worker that holds the
    task (expired or not) may act on it."""
    if task.worker_id != worker_id:
        refusal = _WRONG_WORKER[command].format(task=task.id, worker=worker_id)
        holder = _shown(task.worker_id)  # Java writes a missing worker as "null"
        raise RestError(f"{refusal}'. It is locked by worker '{holder}'.")


def _ensure_active(uow: UnitOfWork, task: ExternalTask) -> None:
    if uow.store.process_instances.is_suspended(task.process_instance_pk):
        raise SuspendedEntityError("ExternalTask", task.id)


def _null(name: str) -> NullArgumentError:
    return NullArgumentError(f"{name} is null")
