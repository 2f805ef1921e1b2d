"""Tasks: standalone ones (Camunda's ``createTask``), queries, updates, completion, and
Camunda's ``TaskDto``.

Functions named after an operation (``create``, ``update``, ``delete``, ``complete``)
commit; ``add_task`` is a building block that leaves committing to its caller. Claims,
delegation and identity links are in :mod:`.task_people`, forms in :mod:`.task_forms`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from taskvars.engine import runtime
from taskvars.errors import (
    ApiError,
    ConflictError,
    EngineError,
    InvalidRequestError,
    NotFoundError,
    SuspendedEntityError,
)
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import (
    IdentityLinkRecord,
    ScopeNotFoundError,
    ScopeRef,
    TaskRecord,
)
from taskvars.services import variables
from taskvars.services.dates import format_date, now_millis, parse_date
from taskvars.services.task_defaults import CANDIDATE, DEFAULT_PRIORITY, new_id
from taskvars.services.task_query import TaskQuery

_TASK_ATTRIBUTES = {
    "name": "name",
    "description": "description",
    "assignee": "assignee",
    "owner": "owner",
    "delegationState": "delegation_state",
    "taskDefinitionKey": "task_definition_key",
    "tenantId": "tenant_id",
    "caseInstanceId": "case_instance_id",
}
_TASK_DATES = {"due": "due", "followUp": "follow_up"}
PENDING = "PENDING"
RESOLVED = "RESOLVED"


def create(uow: UnitOfWork, dto: dict[str, Any]) -> str:
    task_id = add_task(uow, dto)
    uow.commit()
    return task_id


def add_task(uow: UnitOfWork, dto: dict[str, Any]) -> str:
    """A standalone task, or a subtask when ``parentTaskId`` is given."""
    store = uow.store
    task_id = dto.get("id") or new_id()
    if store.scopes.exists(IdSpace.TASK, task_id):
        raise ConflictError(f"Cannot create task: a task with id {task_id} already exists")
    parent_pk = None
    if dto.get("parentTaskId"):
        parent_pk = store.scopes.pk(IdSpace.TASK, dto["parentTaskId"])
        if parent_pk is None:
            raise NotFoundError(
                f"Cannot create task: parent task {dto['parentTaskId']} does not exist"
            )
    task_pk = store.tasks.add(task_id, parent_pk, task_attributes(dto))
    add_candidates(uow, task_pk, dto)
    return task_id


def add_candidates(uow: UnitOfWork, task_pk: int, dto: dict[str, Any]) -> None:
    """``candidateUsers`` and ``candidateGroups`` of a task being created, as links."""
    for user_id in dto.get("candidateUsers") or []:
        uow.store.tasks.add_identity_link(task_pk, IdentityLinkRecord(CANDIDATE, user_id, None))
    for group_id in dto.get("candidateGroups") or []:
        uow.store.tasks.add_identity_link(task_pk, IdentityLinkRecord(CANDIDATE, None, group_id))


def get(uow: UnitOfWork, task_id: str) -> dict[str, Any]:
    task = uow.store.tasks.get(task_id)
    if task is None:
        raise NotFoundError(f"No matching task with id {task_id}")
    return task_dto(task)


def query(
    uow: UnitOfWork,
    task_query: TaskQuery,
    *,
    first_result: int = 0,
    max_results: int | None = None,
) -> list[dict[str, Any]]:
    """Tasks matching the query as ``TaskDto``s, in one statement."""
    tasks = uow.store.tasks.query(
        task_query.criteria,
        task_query.orderings,
        first_result=first_result,
        max_results=max_results,
    )
    dtos = [task_dto(task) for task in tasks]
    if task_query.variables_in_return is not None:
        _add_variables(uow, tasks, dtos, local=task_query.variables_in_return == "local")
    if task_query.with_comment_attachment_info:
        _add_comment_attachment_info(uow, tasks, dtos)
    return dtos


def _add_comment_attachment_info(
    uow: UnitOfWork, tasks: list[TaskRecord], dtos: list[dict[str, Any]]
) -> None:
    """Camunda's ``TaskWithAttachmentAndCommentDto``: whether each task has attachments
    and comments, in two queries for the page; false for all while history is off, as
    Camunda then does not look (``TaskQueryImpl.executeList``)."""
    task_ids = [task.id for task in tasks]
    attached: set[str] = set()
    commented: set[str] = set()
    if uow.store.history.enabled:
        attached = uow.store.task_attachments.tasks_with_any(task_ids)
        commented = uow.store.task_comments.tasks_with_any(task_ids)
    for task, dto in zip(tasks, dtos, strict=True):
        dto.update(attachment=task.id in attached, comment=task.id in commented)


def _add_variables(
    uow: UnitOfWork, tasks: list[TaskRecord], dtos: list[dict[str, Any]], *, local: bool
) -> None:
    """Camunda's ``TaskWithVariablesDto``: each task's variables, deserialized, in at most
    three queries for the whole page (Camunda asks once per task). An empty map is left out,
    as Camunda's ``@JsonInclude(NON_DEFAULT)`` leaves it out."""
    own_scopes = {task.pk: ScopeRef(task.pk, ScopeKind.TASK, task.id) for task in tasks}
    if local:
        chains = {pk: [scope] for pk, scope in own_scopes.items()}
    else:
        chains = uow.store.scopes.chains(list(own_scopes))
    maps = variables.variable_maps(uow, chains, deserialize=True)
    for task, dto in zip(tasks, dtos, strict=True):
        if maps.get(task.pk):
            dto["variables"] = maps[task.pk]


def count(uow: UnitOfWork, task_query: TaskQuery) -> int:
    return uow.store.tasks.count(task_query.criteria)


def touch(uow: UnitOfWork, task_pk: int) -> None:
    """The task changed in a way Camunda counts as an update (its ``lastUpdated``)."""
    uow.store.tasks.touch(task_pk, now_millis())


def update(uow: UnitOfWork, task_id: str, dto: dict[str, Any]) -> None:
    """Replace the task's attributes; ``parentTaskId`` moves a standalone task."""
    store = uow.store
    task = store.tasks.get(task_id)
    task_pk = store.scopes.pk(IdSpace.TASK, task_id)
    if task is None or task_pk is None:
        raise NotFoundError(f"No matching task with id {task_id}")
    require_active(uow, task_id)
    attributes = task_attributes(dto)
    del attributes["created"]
    attributes["last_updated"] = now_millis()
    store.tasks.update(task_pk, attributes)
    new_parent = dto.get("parentTaskId")
    if new_parent != task.parent_task_id:
        _move(uow, task, task_pk, new_parent)
    uow.commit()


def _move(uow: UnitOfWork, task: TaskRecord, task_pk: int, new_parent: str | None) -> None:
    store = uow.store
    if task.execution_id is not None:
        raise ConflictError(
            f"Cannot update task {task.id}: a task of a process instance cannot become a subtask"
        )
    parent_pk = None
    if new_parent is not None:
        parent_pk = store.scopes.pk(IdSpace.TASK, new_parent)
        if parent_pk is None:
            raise NotFoundError(
                f"Cannot update task {task.id}: parent task {new_parent} does not exist"
            )
        if store.scopes.is_ancestor(task_pk, parent_pk):
            raise ConflictError(
                f"Cannot update task {task.id}: it cannot become a subtask of itself "
                f"or of its own subtask {new_parent}"
            )
    store.scopes.move_task(task_pk, parent_pk)


def delete(uow: UnitOfWork, task_id: str) -> None:
    """A standalone task (or subtask) with its variables and subtasks; absent is no error."""
    store = uow.store
    task = store.tasks.get(task_id)
    task_pk = store.scopes.pk(IdSpace.TASK, task_id)
    if task is None or task_pk is None:
        return
    if task.execution_id is not None:
        raise InvalidRequestError(
            "Could not delete task: The task cannot be deleted because is part of a running process"
        )
    store.scopes.delete_tree(task_pk)
    uow.commit()


def complete(
    uow: UnitOfWork,
    task_id: str,
    variable_dtos: dict[str, Any] | None,
    *,
    with_variables_in_return: bool,
) -> dict[str, Any] | None:
    """Write the variables from the task (as non-local writes do), then remove it; a
    task of a deployed model moves its process instance on (:mod:`.process_runtime`).
    Returns the variables visible from it, if asked for."""
    values = variables.convert_values(variable_dtos)
    try:
        chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    except ScopeNotFoundError:
        raise EngineError(f"Cannot find task with id {task_id}: task is null") from None
    # A model's run is claimed before anything is written: a race is a 409 at once.
    claimed = runtime.claim_for_task(uow, chain)
    require_active(uow, task_id, None if claimed is None else claimed.record.suspended)
    variables.write_values(uow, chain, values, local=False)
    returned = None
    if with_variables_in_return:
        returned = variables.variable_map(uow, chain, deserialize=True)
    if claimed is None:
        uow.store.scopes.delete_tree(chain[0].pk)
    else:
        runtime.finish_task(uow, claimed, task_id)
    uow.commit()
    return returned


def locked_task(
    uow: UnitOfWork, task_id: str, *, missing: type[ApiError]
) -> tuple[TaskRecord, int]:
    """The task and its pk, its row locked for this transaction; else ``missing``. A
    task of a suspended process instance is refused (``require_active``)."""
    require_active(uow, task_id)
    task_pk = uow.store.tasks.lock(task_id)
    task = uow.store.tasks.get(task_id) if task_pk is not None else None
    if task is None or task_pk is None:
        raise missing(f"Cannot find task with id {task_id}: task is null")
    return task, task_pk


def require_active(uow: UnitOfWork, task_id: str, suspended: bool | None = None) -> None:
    """Camunda's ``TaskEntity.ensureTaskActive``: the commands that change a task (its
    end, its people, its identity links, its attributes) refuse one of a suspended
    process instance; its variables may still be written, as in Camunda. The instance
    stays as checked until the command commits. Called before the task's own row is
    locked, and after a run is claimed: the order a deletion of the instance takes too.
    ``suspended``: as the claim of the task's run read it (``None``: not read)."""
    if suspended is None:
        suspended = uow.store.process_instances.task_suspended(task_id)
    if suspended:
        raise SuspendedEntityError("task", task_id)


def task_attributes(dto: dict[str, Any]) -> dict[str, Any]:
    """A ``TaskDto``'s attributes as the store keeps them."""
    attributes = {column: dto.get(key) for key, column in _TASK_ATTRIBUTES.items()}
    for key, column in _TASK_DATES.items():
        # Stored in UTC: SQLite keeps no offset, and an instant is what matters.
        attributes[column] = _parse_date(dto[key]).astimezone(UTC) if dto.get(key) else None
    attributes["priority"] = DEFAULT_PRIORITY if dto.get("priority") is None else dto["priority"]
    attributes["created"] = now_millis()
    return attributes


def _parse_date(text: str) -> datetime:
    try:
        return parse_date(text)
    except ValueError as error:
        raise InvalidRequestError(f"Cannot parse date: {error}") from None


def _format_date(value: datetime | None) -> str | None:
    return None if value is None else format_date(value)


def task_dto(task: TaskRecord) -> dict[str, Any]:
    """Camunda's ``TaskDto`` for a task."""
    return {
        "id": task.id,
        "name": task.name,
        "assignee": task.assignee,
        "owner": task.owner,
        "created": _format_date(task.created),
        "lastUpdated": _format_date(task.last_updated),
        "due": _format_date(task.due),
        "followUp": _format_date(task.follow_up),
        "delegationState": task.delegation_state,
        "description": task.description,
        "executionId": task.execution_id,
        "parentTaskId": task.parent_task_id,
        "priority": task.priority,
        "processDefinitionId": task.process_definition_id,
        "processInstanceId": task.process_instance_id,
        "caseDefinitionId": None,
        "caseInstanceId": task.case_instance_id,
        "caseExecutionId": None,
        "taskDefinitionKey": task.task_definition_key,
        "suspended": task.suspended,
        "formKey": task.form_key,
        "tenantId": task.tenant_id,
    }
