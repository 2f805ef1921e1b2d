"""Creating scopes: standalone tasks (Camunda's ``createTask``) and process-instance trees
(our extension), and describing a task as Camunda's ``TaskDto``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from taskvars.errors import IdTakenError, InvalidRequestError, RestError
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.store import Store
from taskvars.persistence.values import ExecutionRecord, ProcessInstanceRecord, TaskRecord
from taskvars.services.dates import format_date, parse_date
from taskvars.services.typed_values import ValueConversionError, value_from_dto

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


def new_id() -> str:
    return str(uuid.uuid4())


def create_task(store: Store, dto: dict[str, Any]) -> str:
    """A standalone task, or a subtask when ``parentTaskId`` is given."""
    task_id = dto.get("id") or new_id()
    if store.scope_exists(IdSpace.TASK, task_id):
        raise IdTakenError(f"Cannot create task: a task with id {task_id} already exists")
    parent_pk = None
    if dto.get("parentTaskId"):
        parent_pk = store.scope_pk(IdSpace.TASK, dto["parentTaskId"])
        if parent_pk is None:
            raise InvalidRequestError(
                f"Cannot create task: parent task {dto['parentTaskId']} does not exist",
                status=404,
            )
    store.add_task(task_id, parent_pk, _task_attributes(dto))
    return task_id


def _task_attributes(dto: dict[str, Any]) -> dict[str, Any]:
    attributes = {column: dto.get(key) for key, column in _TASK_ATTRIBUTES.items()}
    for key, column in _TASK_DATES.items():
        # Stored in UTC: SQLite keeps no offset, and an instant is what matters.
        attributes[column] = _parse_date(dto[key]).astimezone(UTC) if dto.get(key) else None
    attributes["priority"] = 50 if dto.get("priority") is None else dto["priority"]
    attributes["created"] = datetime.now(UTC)
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
        "due": _format_date(task.due),
        "followUp": _format_date(task.follow_up),
        "delegationState": task.delegation_state,
        "description": task.description,
        "executionId": task.execution_id,
        "parentTaskId": task.parent_task_id,
        "priority": task.priority,
        "processDefinitionId": None,
        "processInstanceId": task.process_instance_id,
        "caseDefinitionId": None,
        "caseInstanceId": task.case_instance_id,
        "caseExecutionId": None,
        "taskDefinitionKey": task.task_definition_key,
        "suspended": False,
        "formKey": None,
        "tenantId": task.tenant_id,
    }


def create_process_instance(store: Store, tree: dict[str, Any], *, chunk_bytes: int) -> dict:
    """Create the whole tree, or raise before the caller commits anything."""
    root_id = tree.get("id") or new_id()
    executions = [
        dict(e, id=e.get("id") or new_id(), parentId=e.get("parentId") or root_id)
        for e in tree.get("executions", [])
    ]
    tasks = [
        dict(t, id=t.get("id") or new_id(), executionId=t.get("executionId") or root_id)
        for t in tree.get("tasks", [])
    ]
    _require_unique([root_id, *(e["id"] for e in executions)], "execution")
    _require_unique([t["id"] for t in tasks], "task")
    for execution_id in [root_id, *(e["id"] for e in executions)]:
        if store.scope_exists(IdSpace.EXECUTION, execution_id):
            raise IdTakenError(
                f"Cannot create process instance: execution {execution_id} already exists"
            )
    for task in tasks:
        if store.scope_exists(IdSpace.TASK, task["id"]):
            raise IdTakenError(f"Cannot create process instance: task {task['id']} already exists")

    root_pk = store.add_process_instance(
        root_id, tree.get("businessKey"), tree.get("processDefinitionKey")
    )
    execution_pks = {root_id: root_pk}
    _set_variables(store, root_pk, tree.get("variables"), chunk_bytes)
    for execution in _parents_first(executions, root_id):
        pk = store.add_scope(
            ScopeKind.EXECUTION, execution["id"], execution_pks[execution["parentId"]]
        )
        execution_pks[execution["id"]] = pk
        _set_variables(store, pk, execution.get("variables"), chunk_bytes)
    for task in tasks:
        parent_pk = execution_pks.get(task["executionId"])
        if parent_pk is None:
            raise InvalidRequestError(
                f"Cannot create process instance: task {task['id']} refers to unknown "
                f"execution {task['executionId']}",
                status=404,
            )
        pk = store.add_task(task["id"], parent_pk, _task_attributes(task))
        _set_variables(store, pk, task.get("variables"), chunk_bytes)
    return {
        "id": root_id,
        "executions": [{"id": e["id"], "parentId": e["parentId"]} for e in executions],
        "tasks": [{"id": t["id"], "executionId": t["executionId"]} for t in tasks],
    }


def _require_unique(ids: list[str], noun: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise IdTakenError(f"Cannot create process instance: {noun} id {item} is given twice")
        seen.add(item)


def _parents_first(executions: list[dict[str, Any]], root_id: str) -> list[dict[str, Any]]:
    """Executions ordered so that each comes after its parent; unknown parents are refused."""
    placed = {root_id}
    ordered: list[dict[str, Any]] = []
    pending = list(executions)
    while pending:
        ready = [e for e in pending if e["parentId"] in placed]
        if not ready:
            orphan = pending[0]
            raise InvalidRequestError(
                f"Cannot create process instance: execution {orphan['id']} refers to unknown "
                f"or circular parent {orphan['parentId']}",
                status=404,
            )
        for execution in ready:
            placed.add(execution["id"])
            ordered.append(execution)
        pending = [e for e in pending if e["id"] not in placed]
    return ordered


def _set_variables(
    store: Store, scope_pk: int, variables: dict[str, Any] | None, chunk_bytes: int
) -> None:
    for name, dto in (variables or {}).items():
        try:
            value = value_from_dto(dto, chunk_bytes=chunk_bytes)
        except ValueConversionError as error:
            raise InvalidRequestError(f"Cannot put variable {name}: {error}") from None
        store.set_local_variable(scope_pk, name, value)


def update_task(store: Store, task_id: str, dto: dict[str, Any]) -> None:
    """Replace the task's attributes; ``parentTaskId`` moves a standalone task."""
    task = store.task(task_id)
    task_pk = store.scope_pk(IdSpace.TASK, task_id)
    if task is None or task_pk is None:
        raise InvalidRequestError(f"No matching task with id {task_id}", status=404)
    attributes = _task_attributes(dto)
    del attributes["created"]
    store.update_task(task_pk, attributes)
    new_parent = dto.get("parentTaskId")
    if new_parent == task.parent_task_id:
        return
    if task.execution_id is not None:
        raise RestError(
            f"Cannot update task {task_id}: a task of a process instance cannot become a subtask",
            status=409,
        )
    parent_pk = None
    if new_parent is not None:
        parent_pk = store.scope_pk(IdSpace.TASK, new_parent)
        if parent_pk is None:
            raise InvalidRequestError(
                f"Cannot update task {task_id}: parent task {new_parent} does not exist",
                status=404,
            )
        if store.is_ancestor(task_pk, parent_pk):
            raise RestError(
                f"Cannot update task {task_id}: it cannot become a subtask of itself "
                f"or of its own subtask {new_parent}",
                status=409,
            )
    store.move_task(task_pk, parent_pk)


def delete_task(store: Store, task_id: str) -> None:
    """A standalone task (or subtask) with its variables and subtasks; absent is no error."""
    task = store.task(task_id)
    task_pk = store.scope_pk(IdSpace.TASK, task_id)
    if task is None or task_pk is None:
        return
    if task.execution_id is not None:
        raise InvalidRequestError(
            "Could not delete task: The task cannot be deleted because is part of a running process"
        )
    store.delete_scope_tree(task_pk)


def process_instance_dto(record: ProcessInstanceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "definitionId": None,
        "businessKey": record.business_key,
        "caseInstanceId": None,
        "ended": False,
        "suspended": False,
        "tenantId": None,
        "links": [],
    }


def execution_dto(record: ExecutionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "processInstanceId": record.process_instance_id,
        "ended": False,
        "tenantId": None,
    }
