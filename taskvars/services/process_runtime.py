"""Process instances of deployed models, run by SpiffWorkflow (:mod:`.bpmn_engine`):
started with their variables, moved on when a task is completed, and kept in step with
the store's scope tree (executions, tasks) in the same transaction as the variables.

After each step, the executions and tasks below the process instance are made to match
the engine's ready user tasks: new ones are created with the model's attributes, those
no longer there are removed with their local variables. A finished process instance
leaves the runtime tables, as in Camunda. A step first claims the next revision of the
instance's run (optimistic locking): a second request that moved the same instance on
meanwhile makes this one a 409 before it reads anything, and nothing of it stays.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from taskvars.errors import InvalidRequestError, ModelRunError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.history import COMPLETED
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.process_runs import RunRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import IdentityLinkRecord, ScopeRef
from taskvars.services import variables
from taskvars.services.bpmn_engine import (
    BpmnRunError,
    CompiledProcess,
    ProcessRun,
    ReadyUserTask,
    VariableLookup,
    compiled_process,
)
from taskvars.services.dates import now_millis, parse_date
from taskvars.services.expressions import ExpressionError, compile_expression
from taskvars.services.task_defaults import CANDIDATE, DEFAULT_PRIORITY, new_id

# Variable types an expression reads as plain values; binary ones are never loaded.
_BINARY_TYPES = frozenset({"Bytes", "File"})


def start_request(dto: dict[str, Any]) -> dict[str, Any]:
    """``StartProcessInstanceDto``, refused for what this server cannot do: start
    elsewhere than at the start event, or within a case."""
    if dto.get("startInstructions"):
        raise InvalidRequestError("Start instructions are not supported by this server")
    if dto.get("caseInstanceId") is not None:
        raise InvalidRequestError("Cases are not supported by this server: caseInstanceId")
    return dto


def start(
    uow: UnitOfWork, definition: ProcessDefinitionRecord, dto: dict[str, Any]
) -> dict[str, Any]:
    """Start a process instance of ``definition`` with ``StartProcessInstanceDto``'s
    variables and business key, run it to its first waits, and commit. Returns
    ``ProcessInstanceWithVariablesDto`` (``variables`` only if asked for)."""
    store = uow.store
    values = variables.convert_values(dto.get("variables"))
    instance_id = new_id()
    instance_pk = store.process_instances.add(instance_id, dto.get("businessKey"), definition.key)
    chain = [ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, instance_id)]
    variables.write_values(uow, chain, values, local=True)
    compiled = _compiled(uow, definition)
    try:
        run = ProcessRun.start(compiled, _lookup(uow, instance_pk))
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    returned = None
    if dto.get("withVariablesInReturn"):
        returned = variables.variable_map(uow, chain, deserialize=True)
    store.history.started(
        instance_id,
        dto.get("businessKey"),
        (definition.id, definition.key, definition.name, definition.version, definition.tenant_id),
        now_millis(),
    )
    if run.finished:
        _end(uow, instance_pk, instance_id)
    else:
        _sync(uow, instance_pk, definition, run)
        store.process_runs.add(instance_pk, definition.id, run.state())
    uow.commit()
    instance: dict[str, Any] = {
        "links": [],
        "id": instance_id,
        "definitionId": definition.id,
        "definitionKey": definition.key,
        "businessKey": dto.get("businessKey"),
        "caseInstanceId": None,
        "ended": run.finished,
        "suspended": False,
        "tenantId": definition.tenant_id,
    }
    if returned is not None:
        instance["variables"] = returned
    return instance


def finish_task(uow: UnitOfWork, chain: list[ScopeRef]) -> bool:
    """Complete the task at ``chain[0]`` in its process instance's run: the run moves
    on, and the tasks and executions follow. ``False`` (nothing done) for a task no
    deployed model runs; the caller removes it then."""
    instance = chain[-1]
    if instance.kind is not ScopeKind.PROCESS_INSTANCE or chain[1].kind is ScopeKind.TASK:
        return False  # not in a process instance, or a subtask someone created
    record = uow.store.process_runs.get(instance.pk)
    if record is None:
        return False
    definition = uow.store.definitions.get(record.definition_id)
    if definition is None:  # a definition is not deleted while it runs
        raise RuntimeError(f"the definition {record.definition_id} of a running instance is gone")
    uow.store.process_runs.claim(record)
    run = _restored(uow, record, definition)
    uow.store.scopes.delete_tree(chain[0].pk)
    try:
        run.complete(chain[0].external_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    if run.finished:
        _end(uow, instance.pk, instance.external_id)
        return True
    _sync(uow, instance.pk, definition, run)
    uow.store.process_runs.save_state(instance.pk, run.state())
    return True


def _end(uow: UnitOfWork, instance_pk: int, instance_id: str) -> None:
    """A process instance that ran to its end leaves the runtime, its final variables
    (binary content included) kept in history unless that is off."""
    uow.store.history.ended(instance_pk, instance_id, COMPLETED, now_millis())
    uow.store.scopes.delete_tree(instance_pk)


def _restored(
    uow: UnitOfWork, record: RunRecord, definition: ProcessDefinitionRecord
) -> ProcessRun:
    return ProcessRun.restore(
        _compiled(uow, definition), record.state, _lookup(uow, record.scope_pk)
    )


def _compiled(uow: UnitOfWork, definition: ProcessDefinitionRecord) -> CompiledProcess:
    def load() -> tuple[bytes, str]:
        xml = uow.store.definitions.xml(definition.id)
        if xml is None:
            raise RuntimeError(f"the file of {definition.id} is gone")
        return xml, definition.resource_name

    return compiled_process(definition.id, definition.key, load)


def _sync(
    uow: UnitOfWork, instance_pk: int, definition: ProcessDefinitionRecord, run: ProcessRun
) -> None:
    """Executions and tasks below the process instance as the run has them now."""
    store = uow.store
    wanted_paths = sorted(run.executions(), key=len)
    existing = store.process_runs.below(instance_pk, ScopeKind.EXECUTION)
    wanted_ids = {path[-1] for path in wanted_paths}
    for execution_id, pk in existing.items():
        if execution_id not in wanted_ids:
            store.scopes.delete_tree(pk)
    execution_pks = {k: v for k, v in existing.items() if k in wanted_ids}
    for path in wanted_paths:
        if path[-1] not in execution_pks:
            parent_pk = execution_pks[path[-2]] if len(path) > 1 else instance_pk
            execution_pks[path[-1]] = store.process_instances.add_execution(path[-1], parent_pk)
    ready = run.ready_user_tasks()
    tasks = store.process_runs.below(instance_pk, ScopeKind.TASK)
    ready_ids = {task.id for task in ready}
    for task_id, pk in tasks.items():
        if task_id not in ready_ids:
            store.scopes.delete_tree(pk)
    lookup = _lookup(uow, instance_pk)
    for task in ready:
        if task.id in tasks:
            continue
        parent_pk = execution_pks[task.executions[-1]] if task.executions else instance_pk
        attributes, candidates = _task_attributes(task, lookup)
        attributes["process_definition_id"] = definition.id
        attributes["tenant_id"] = definition.tenant_id
        task_pk = store.tasks.add(task.id, parent_pk, attributes)
        for link in candidates:
            store.tasks.add_identity_link(task_pk, link)


def _task_attributes(
    task: ReadyUserTask, lookup: VariableLookup
) -> tuple[dict[str, Any], list[IdentityLinkRecord]]:
    """The store's task columns and candidate links, from the model's attributes, with
    their expressions evaluated over the variables visible from the task's execution."""
    model = task.model
    declared = model.attributes

    def text(value: str | None) -> Any:
        if value is None:
            return None
        try:
            expression = compile_expression(value)
            return expression.evaluate(lambda name: _one(lookup, task.executions, name))
        except (ExpressionError, BpmnRunError) as error:
            raise ModelRunError(f"{model.element_id}: {error}") from None

    def names(value: str | None) -> list[str]:
        evaluated = text(value)
        items = evaluated if isinstance(evaluated, list) else str(evaluated or "").split(",")
        return [str(item).strip() for item in items if str(item).strip()]

    priority = text(declared.get("priority"))
    attributes: dict[str, Any] = {
        "name": _as_text(text(model.name)),
        "description": model.documentation,
        "assignee": _as_text(text(declared.get("assignee"))),
        "owner": None,
        "delegation_state": None,
        "task_definition_key": model.element_id,
        "case_instance_id": None,
        "due": _as_date(text(declared.get("dueDate")), model.element_id, "dueDate"),
        "follow_up": _as_date(text(declared.get("followUpDate")), model.element_id, "followUpDate"),
        "priority": DEFAULT_PRIORITY
        if priority in (None, "")
        else _as_priority(priority, model.element_id),
        "created": now_millis(),
        "form_key": declared.get("formKey"),
    }
    candidates = [
        *(
            IdentityLinkRecord(CANDIDATE, user, None)
            for user in names(declared.get("candidateUsers"))
        ),
        *(
            IdentityLinkRecord(CANDIDATE, None, group)
            for group in names(declared.get("candidateGroups"))
        ),
    ]
    return attributes, candidates


def _lookup(uow: UnitOfWork, instance_pk: int) -> VariableLookup:
    """Variables by name as the engine's conditions and task attributes read them: from
    the deepest execution of ``executions`` that exists (a branch just started has none
    of its own yet), and never a binary value's content."""

    def lookup(executions: tuple[str, ...], names: frozenset[str]) -> dict[str, Any]:
        store = uow.store
        chain: list[ScopeRef] | None = None
        for execution_id in reversed(executions):
            if store.scopes.exists(IdSpace.EXECUTION, execution_id):
                chain = store.scopes.chain(IdSpace.EXECUTION, execution_id)
                break
        if chain is None:  # the process instance is the root of its tree
            chain = [ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, "")]
        found = {}
        for name in names:
            stored = store.variables.visible(chain, name)
            if stored is None:
                continue
            if stored.type in _BINARY_TYPES:
                raise BpmnRunError(
                    f"the {stored.type} variable '{name}' cannot be used in an expression"
                )
            found[name] = _plain(stored.type, stored.text_value)
        return found

    return lookup


def _one(lookup: VariableLookup, executions: tuple[str, ...], name: str) -> Any:
    values = lookup(executions, frozenset({name}))
    return values[name]  # KeyError: the expression's "Cannot resolve identifier"


def _plain(value_type: str, text: str | None) -> Any:
    if text is None:
        return None
    if value_type == "Boolean":
        return text == "true"
    if value_type in ("Integer", "Long", "Short"):
        return int(text)
    if value_type == "Double":
        return float(text)
    if value_type in ("Json", "Object"):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_date(value: Any, element_id: str, attribute: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    text = str(value)
    try:
        instant = parse_date(text)
    except ValueError:
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidRequestError(
                f"{element_id}: camunda:{attribute} '{text}' is not a date"
            ) from None
    return (instant if instant.tzinfo else instant.astimezone()).astimezone(UTC)


def _as_priority(value: Any, element_id: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ModelRunError(f"{element_id}: camunda:priority '{value}' is not a number") from None
