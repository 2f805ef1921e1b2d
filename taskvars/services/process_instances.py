"""Process instances and executions: whole trees created at once (our extension, since
this server runs no BPMN), read back and deleted as Camunda describes them."""

from __future__ import annotations

from typing import Any

from taskvars.engine import runtime
from taskvars.engine.activity_tree import PROCESS_DEFINITION, ActivityInstance
from taskvars.errors import ConflictError, InvalidRequestError, NotFoundError
from taskvars.persistence.external_task_signals import announce
from taskvars.persistence.incidents import IncidentCriteria, IncidentRecord
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ExecutionRecord, ProcessInstanceRecord, ScopeRef
from taskvars.services.process_instance_query import ProcessInstanceQuery
from taskvars.services.query_toolkit import Page
from taskvars.services.task_defaults import new_id
from taskvars.services.tasks import add_candidates, task_attributes
from taskvars.services.typed_values import ValueConversionError, value_from_dto


def create(uow: UnitOfWork, tree: dict[str, Any]) -> dict[str, Any]:
    created = add_tree(uow, tree)
    uow.commit()
    return created


def add_tree(uow: UnitOfWork, tree: dict[str, Any]) -> dict[str, Any]:
    """Create the whole tree, or raise before the caller commits anything. Returns the
    ids created, as ``ProcessInstanceTreeCreatedDto``."""
    store = uow.store
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
        if store.scopes.exists(IdSpace.EXECUTION, execution_id):
            raise ConflictError(
                f"Cannot create process instance: execution {execution_id} already exists"
            )
    for task in tasks:
        if store.scopes.exists(IdSpace.TASK, task["id"]):
            raise ConflictError(f"Cannot create process instance: task {task['id']} already exists")

    root_pk = store.process_instances.add(
        root_id, tree.get("businessKey"), tree.get("processDefinitionKey")
    )
    execution_pks = {root_id: root_pk}
    _set_variables(uow, root_pk, tree.get("variables"))
    for execution in _parents_first(executions, root_id):
        pk = store.process_instances.add_execution(
            execution["id"], execution_pks[execution["parentId"]]
        )
        execution_pks[execution["id"]] = pk
        _set_variables(uow, pk, execution.get("variables"))
    for task in tasks:
        parent_pk = execution_pks.get(task["executionId"])
        if parent_pk is None:
            raise NotFoundError(
                f"Cannot create process instance: task {task['id']} refers to unknown "
                f"execution {task['executionId']}"
            )
        pk = store.tasks.add(task["id"], parent_pk, task_attributes(task))
        add_candidates(uow, pk, task)
        _set_variables(uow, pk, task.get("variables"))
    return {
        "id": root_id,
        "executions": [{"id": e["id"], "parentId": e["parentId"]} for e in executions],
        "tasks": [{"id": t["id"], "executionId": t["executionId"]} for t in tasks],
    }


def get(uow: UnitOfWork, process_instance_id: str) -> dict[str, Any]:
    return process_instance_dto(_found(uow, process_instance_id))


def query(
    uow: UnitOfWork, instance_query: ProcessInstanceQuery, page: Page
) -> list[dict[str, Any]]:
    found = uow.store.process_instances.query(
        instance_query.criteria,
        instance_query.orderings,
        first_result=page.first_result,
        max_results=page.max_results,
    )
    return [process_instance_dto(record) for record in found]


def count(uow: UnitOfWork, instance_query: ProcessInstanceQuery) -> int:
    return uow.store.process_instances.count(instance_query.criteria)


def set_suspended(uow: UnitOfWork, process_instance_id: str, suspended: bool) -> None:
    """Suspend or activate the instance, and so its executions and tasks (Camunda's
    ``AbstractSetProcessInstanceStateCmd``); history records the instance's state. Its
    row is locked first, so that a complete holding it (``FOR SHARE``) finishes before."""
    store = uow.store
    instance_pk = store.process_instances.lock(process_instance_id)
    if instance_pk is None:
        # Camunda answers 204 for an id it does not know; a 404 says the id is wrong.
        raise NotFoundError(f"Process instance with id {process_instance_id} does not exist")
    store.process_instances.set_suspended(instance_pk, suspended)
    store.jobs.suspend_instance(instance_pk, suspended)
    store.history.suspension_changed(process_instance_id, suspended)
    if not suspended:  # its external tasks can be fetched again
        announce(uow, store.external_tasks.topics_of_instance(instance_pk))
    uow.commit()


def activity_instances(uow: UnitOfWork, process_instance_id: str) -> dict[str, Any]:
    """``ActivityInstanceDto``: the tree of what the instance runs now. An instance our
    extension created runs no model: its tree is its root alone."""
    record = _found(uow, process_instance_id)
    instance = ScopeRef(record.pk, ScopeKind.PROCESS_INSTANCE, record.id)
    tree = runtime.activity_instances(uow, instance) or ActivityInstance(
        record.id,
        None,
        record.process_definition_id or record.id,
        None,
        PROCESS_DEFINITION,
        [record.id],
    )
    incidents = uow.store.incidents.query(IncidentCriteria(process_instance_id=record.id))
    return _activity_instance_dto(tree, record, incidents)


def _found(uow: UnitOfWork, process_instance_id: str) -> ProcessInstanceRecord:
    record = uow.store.process_instances.get(process_instance_id)
    if record is None:
        raise NotFoundError(f"Process instance with id {process_instance_id} does not exist")
    return record


def _activity_instance_dto(
    node: ActivityInstance, record: ProcessInstanceRecord, incidents: list[IncidentRecord]
) -> dict[str, Any]:
    # An activity instance shows the incidents of its execution in its activity
    # (GetActivityInstanceCmd: those of the execution, when it is in that activity).
    own = [
        incident
        for incident in incidents
        if incident.execution_id in node.execution_ids and incident.activity_id == node.activity_id
    ]
    return {
        "id": node.id,
        "parentActivityInstanceId": node.parent_id,
        "activityId": node.activity_id,
        "activityName": node.activity_name,
        "name": node.activity_name,
        "activityType": node.activity_type,
        "processInstanceId": record.id,
        "processDefinitionId": record.process_definition_id,
        "childActivityInstances": [
            _activity_instance_dto(child, record, incidents) for child in node.children
        ],
        "childTransitionInstances": [
            _transition_instance_dto(held, record, incidents) for held in node.transitions
        ],
        "executionIds": node.execution_ids,
        "incidentIds": [incident.id for incident in own],
        "incidents": [{"id": incident.id, "activityId": incident.activity_id} for incident in own],
    }


def _transition_instance_dto(
    node: ActivityInstance, record: ProcessInstanceRecord, incidents: list[IncidentRecord]
) -> dict[str, Any]:
    """``TransitionInstanceDto``: a token an asynchronous continuation holds."""
    own = [
        incident
        for incident in incidents
        if incident.execution_id in node.execution_ids and incident.activity_id == node.activity_id
    ]
    return {
        "id": node.id,
        "parentActivityInstanceId": node.parent_id,
        "processInstanceId": record.id,
        "processDefinitionId": record.process_definition_id,
        "activityId": node.activity_id,
        "activityName": node.activity_name,
        "activityType": node.activity_type,
        "executionId": node.execution_ids[0],
        "incidentIds": [incident.id for incident in own],
        "incidents": [{"id": incident.id, "activityId": incident.activity_id} for incident in own],
    }


def delete(uow: UnitOfWork, process_instance_id: str, *, fail_if_not_exists: bool) -> None:
    """Everything in it goes: executions, tasks, variables, binary content."""
    store = uow.store
    if store.process_instances.get(process_instance_id) is None:
        if not fail_if_not_exists:
            return
        raise NotFoundError(
            f"No process instance found for id '{process_instance_id}': processInstance is null"
        )
    scope_pk = store.scopes.pk(IdSpace.EXECUTION, process_instance_id)
    assert scope_pk is not None
    # A model's run is claimed first (a request moving it on meanwhile makes this a 409);
    # its history records the instance as ended by someone (Camunda's state).
    runtime.terminate(uow, scope_pk, process_instance_id)
    uow.commit()


def get_execution(uow: UnitOfWork, execution_id: str) -> dict[str, Any]:
    record = uow.store.process_instances.execution(execution_id)
    if record is None:
        raise NotFoundError(f"Execution with id {execution_id} does not exist")
    return execution_dto(record)


def _require_unique(ids: list[str], noun: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ConflictError(f"Cannot create process instance: {noun} id {item} is given twice")
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
            raise NotFoundError(
                f"Cannot create process instance: execution {orphan['id']} refers to unknown "
                f"or circular parent {orphan['parentId']}"
            )
        for execution in ready:
            placed.add(execution["id"])
            ordered.append(execution)
        pending = [e for e in pending if e["id"] not in placed]
    return ordered


def _set_variables(uow: UnitOfWork, scope_pk: int, variables: dict[str, Any] | None) -> None:
    for name, dto in (variables or {}).items():
        try:
            value = value_from_dto(dto)
        except ValueConversionError as error:
            raise InvalidRequestError(f"Cannot put variable {name}: {error}") from None
        uow.store.variables.set_local(scope_pk, name, value)


def process_instance_dto(record: ProcessInstanceRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "definitionId": record.process_definition_id,
        "definitionKey": record.process_definition_key,
        "businessKey": record.business_key,
        "caseInstanceId": None,
        "ended": False,
        "suspended": record.suspended,
        "tenantId": record.tenant_id,
        "links": [],
    }


def execution_dto(record: ExecutionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "processInstanceId": record.process_instance_id,
        "ended": False,
        "tenantId": None,
    }
