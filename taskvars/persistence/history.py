"""History: the process instances deployed models run, their activity instances, user
tasks and variables, recorded as they start, change and end, and kept after the runtime
rows are gone (Camunda's ``Historic*`` entities at its default level, as far as clients
read them).

A binary value's content is shared, not copied: the historic variable holds the same
content row (and file) as the runtime variable; the runtime lets go of content history
still holds, and history's content goes with history.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.history_incidents import end_open_of_instance
from taskvars.persistence.incident_conditions import historic_incident
from taskvars.persistence.models import (
    BinaryContent,
    HistoricActivityInstance,
    HistoricIncident,
    HistoricProcessInstance,
    HistoricTaskInstance,
    HistoricVariable,
    Scope,
    ScopeKind,
)
from taskvars.persistence.query_statements import (
    ConditionTable,
    duration,
    like,
    ordered,
    paged,
    where_any,
)
from taskvars.persistence.values import CallerLink, StoredValue
from taskvars.persistence.variable_statements import VALUE_COLUMNS

if TYPE_CHECKING:
    from taskvars.engine.executions import Activity

ACTIVE = "ACTIVE"
SUSPENDED = "SUSPENDED"
COMPLETED = "COMPLETED"
EXTERNALLY_TERMINATED = "EXTERNALLY_TERMINATED"
# Ended by the engine, not by someone: a called instance whose call was interrupted.
INTERNALLY_TERMINATED = "INTERNALLY_TERMINATED"
# A historic variable's states.
CREATED = "CREATED"
DELETED = "DELETED"


def _place_statement() -> Select[int, ScopeKind, str]:
    """A scope's historic process instance (a model's instance, history on) and the
    scope's kind and id: built once, asked on every variable write."""
    scopes = cast(Table, Scope.__table__)
    scope, instance = scopes.alias("scope"), scopes.alias("instance")
    historic = cast(Table, HistoricProcessInstance.__table__)
    return (
        select(historic.c.pk, scope.c.kind, scope.c.external_id)
        .select_from(scope)
        .join(instance, instance.c.pk == func.coalesce(scope.c.process_instance_pk, scope.c.pk))
        .join(historic, historic.c.id == instance.c.external_id)
        .where(scope.c.pk == bindparam("scope_pk"), instance.c.kind == ScopeKind.PROCESS_INSTANCE)
    )


@dataclass(frozen=True)
class HistoricInstanceRecord:
    id: str
    business_key: str | None
    process_definition_id: str
    process_definition_key: str
    process_definition_name: str | None
    process_definition_version: int
    tenant_id: str | None
    start_time: datetime
    end_time: datetime | None
    state: str
    start_activity_id: str | None = None
    delete_reason: str | None = None
    super_process_instance_id: str | None = None
    root_process_instance_id: str | None = None


@dataclass(frozen=True)
class HistoricVariableRecord:
    """A historic variable: its value as the runtime's readers and downloads take it,
    and where it lived."""

    id: str
    value: StoredValue
    process_instance_id: str
    process_definition_id: str
    process_definition_key: str
    tenant_id: str | None
    execution_id: str | None
    task_id: str | None
    create_time: datetime
    state: str = CREATED


@dataclass(frozen=True)
class ForgottenInstances:
    """The ids of historic process instances deleted, and of their tasks."""

    instance_ids: list[str]
    task_ids: list[str]


@dataclass(frozen=True)
class InstanceCriteria:
    """``GET /history/process-instance`` filters; ``None`` filters nothing."""

    ids: list[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_id: str | None = None
    definition_key: str | None = None
    definition_keys: list[str] | None = None
    states: frozenset[str] | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    finished_after: datetime | None = None
    finished_before: datetime | None = None
    tenant_ids: list[str] | None = None
    without_tenant: bool = False
    # An incident of the instance matches (HistoricProcessInstance.xml).
    with_incident: bool = False
    incident_status: str | None = None
    incident_type: str | None = None
    incident_message: str | None = None
    incident_message_like: str | None = None
    # Call activities: instances called from this one / the one that called this one.
    super_process_instance_id: str | None = None
    sub_process_instance_id: str | None = None
    root_instances: bool = False
    leaf_instances: bool = False
    # Each holds if one of its criteria does (Camunda's ``orQueries``).
    or_queries: tuple[InstanceCriteria, ...] = ()


@dataclass(frozen=True)
class VariableCriteria:
    """``GET /history/variable-instance`` filters; ``None`` filters nothing."""

    name: str | None = None
    name_like: str | None = None
    names: list[str] | None = None
    process_instance_ids: list[str] | None = None
    definition_id: str | None = None
    definition_key: str | None = None
    execution_ids: list[str] | None = None
    task_ids: list[str] | None = None
    types: list[str] | None = None
    tenant_ids: list[str] | None = None
    without_tenant: bool = False
    ids: list[str] | None = None
    # Removed variables (DELETED) are left out unless asked for, as in Camunda's
    # HistoricVariableInstance.xml; their single reads too.
    include_deleted: bool = False


INSTANCE_SORTS: dict[str, Any] = {
    "instanceId": HistoricProcessInstance.id,
    "definitionId": HistoricProcessInstance.process_definition_id,
    "definitionKey": HistoricProcessInstance.process_definition_key,
    "definitionName": HistoricProcessInstance.process_definition_name,
    "definitionVersion": HistoricProcessInstance.process_definition_version,
    "businessKey": HistoricProcessInstance.business_key,
    "startTime": HistoricProcessInstance.start_time,
    "endTime": HistoricProcessInstance.end_time,
    "duration": duration(HistoricProcessInstance.start_time, HistoricProcessInstance.end_time),
    "tenantId": HistoricProcessInstance.tenant_id,
}
VARIABLE_SORTS = {
    "instanceId": HistoricProcessInstance.id,
    "variableName": HistoricVariable.name,
    "tenantId": HistoricProcessInstance.tenant_id,
}


class History:
    def __init__(self, session: Session, contents: BinaryContents, *, enabled: bool) -> None:
        self.session = session
        self._contents = contents
        # Off (a setting): nothing is recorded, and what was recorded stays readable.
        self.enabled = enabled
        # Looked up once per unit of work: a step writes many rows of one instance.
        self._instance_pks: dict[str, int | None] = {}
        self._places: dict[int, tuple[int, str | None, str | None] | None] = {}

    def started(
        self,
        instance_id: str,
        business_key: str | None,
        definition: ProcessDefinitionRecord,
        start_time: datetime,
        start_activity_id: str | None,
        caller: CallerLink | None = None,
        *,
        scope_pk: int | None = None,
    ) -> int | None:
        """Record the start; returns the historic row's key (``None``: history is off).
        ``scope_pk``: the instance's scope, whose variables then need no lookup of their
        place in history."""
        if not self.enabled:
            return None
        pk: int = raw_statements.run(
            self.session.connection(),
            _STARTED,
            {
                "id": instance_id,
                "business_key": business_key,
                "process_definition_id": definition.id,
                "process_definition_key": definition.key,
                "process_definition_name": definition.name,
                "process_definition_version": definition.version,
                "tenant_id": definition.tenant_id,
                "start_time": start_time,
                "start_activity_id": start_activity_id,
                "state": ACTIVE,
                "super_process_instance_id": caller.super_process_instance_id if caller else None,
                "root_process_instance_id": caller.root_process_instance_id if caller else None,
            },
        ).scalar_one()
        self._instance_pks[instance_id] = pk
        if scope_pk is not None:
            self._places[scope_pk] = (pk, instance_id, None)
        return pk

    def knows(
        self, instance_id: str, historic_pk: int | None, *, scope_pk: int | None = None
    ) -> None:
        """The instance's historic row, as its run remembers it (saves a lookup; of the
        place of the variables of its scope ``scope_pk`` too)."""
        known = historic_pk if self.enabled else None
        self._instance_pks[instance_id] = known
        if scope_pk is not None and known is not None:
            self._places[scope_pk] = (known, instance_id, None)

    def instance_pk(self, instance_id: str) -> int | None:
        """The historic row of an instance, if history records it."""
        return self._instance_pk(instance_id)

    def is_model_instance(self, instance_id: str) -> bool:
        """Whether a deployed model started the instance (as far as history knows)."""
        return self.instance_pk(instance_id) is not None

    def ended(
        self,
        instance_id: str,
        state: str,
        end_time: datetime,
        *,
        delete_reason: str | None = None,
    ) -> None:
        """Record the end, unless another request ended it first. The variables were
        recorded as they were written: nothing else is copied; incidents still open
        are closed as deleted (their runtime rows go with the instance)."""
        historic_pk = self._instance_pk(instance_id)
        if historic_pk is None:  # history is off, or was when it started
            return
        raw_statements.run(
            self.session.connection(),
            _ENDED,
            {
                "historic_pk": historic_pk,
                "state": state,
                "end_time": end_time,
                "delete_reason": delete_reason,
            },
        )
        end_open_of_instance(self.session, historic_pk, end_time)

    def suspension_changed(self, instance_id: str, suspended: bool) -> None:
        """A running instance's state follows its suspension (Camunda's
        ``PROCESS_INSTANCE_UPDATE`` event)."""
        historic_pk = self._instance_pk(instance_id)
        if historic_pk is None:
            return
        self.session.execute(
            update(HistoricProcessInstance)
            .where(
                HistoricProcessInstance.pk == historic_pk,
                HistoricProcessInstance.state.in_([ACTIVE, SUSPENDED]),
            )
            .values(state=SUSPENDED if suspended else ACTIVE)
            .execution_options(synchronize_session=False)
        )

    def activities_started(
        self,
        instance_id: str,
        activities: Sequence[Activity],
        start_time: datetime,
        ended: Mapping[str, bool],
    ) -> None:
        """The activity instances a step started, in one statement; those of ``ended``
        (activity instance id: cancelled?) ended in the same step and are written whole."""
        historic_pk = self._instance_pk(instance_id)
        if historic_pk is None or not activities:
            return
        raw_statements.insert_rows(
            # The table, not the entity: the ORM would split the rows by their NULLs.
            self.session.connection(),
            _ACTIVITIES,
            [
                {
                    "id": activity.instance_id,
                    "process_instance_pk": historic_pk,
                    "parent_activity_instance_id": activity.parent_activity_instance_id,
                    "execution_id": activity.execution_id,
                    "activity_id": activity.element_id,
                    "activity_name": activity.name,
                    "activity_type": activity.kind.value,
                    "task_id": activity.task_id if activity.kind.value == "userTask" else None,
                    "start_time": start_time,
                    "end_time": start_time if activity.instance_id in ended else None,
                    "canceled": ended.get(activity.instance_id, False),
                }
                for activity in activities
            ],
        )

    def activity_called(
        self, activity_instance_id: str, execution_id: str, called_instance_id: str
    ) -> None:
        """A call activity's instance started ``called_instance_id`` from its own scope
        execution ``execution_id``."""
        if not self.enabled:
            return
        self.session.execute(
            update(HistoricActivityInstance)
            .where(HistoricActivityInstance.id == activity_instance_id)
            .values(execution_id=execution_id, called_process_instance_id=called_instance_id)
            .execution_options(synchronize_session=False)
        )

    def activities_ended(
        self, activity_instance_ids: Sequence[str], end_time: datetime, *, canceled: bool
    ) -> None:
        """Activity instances a step ended (or cancelled), in one statement."""
        if not self.enabled or not activity_instance_ids:
            return
        connection = self.session.connection()
        statement = raw_statements.sized(_activities_ended, len(activity_instance_ids))
        if statement is None:
            connection.execute(
                _ACTIVITIES_ENDED,
                {"ids": list(activity_instance_ids), "end_time": end_time, "canceled": canceled},
            )
            return
        raw_statements.run(
            connection,
            statement,
            {
                **raw_statements.numbered("id", activity_instance_ids),
                "end_time": end_time,
                "canceled": canceled,
            },
        )

    def task_started(
        self,
        instance_id: str,
        task_id: str,
        execution_id: str,
        activity_instance_id: str,
        attributes: dict[str, Any],
    ) -> None:
        historic_pk = self._instance_pk(instance_id)
        if historic_pk is None:
            return
        raw_statements.run(
            self.session.connection(),
            _TASK_STARTED,
            {
                "id": task_id,
                "process_instance_pk": historic_pk,
                "execution_id": execution_id,
                "activity_instance_id": activity_instance_id,
                "task_definition_key": attributes.get("task_definition_key"),
                "name": attributes.get("name"),
                "description": attributes.get("description"),
                "assignee": attributes.get("assignee"),
                "owner": attributes.get("owner"),
                "priority": attributes.get("priority"),
                "due": attributes.get("due"),
                "follow_up": attributes.get("follow_up"),
                "start_time": attributes["created"],
            },
        )

    def task_ended(
        self,
        task_id: str,
        delete_reason: str,
        end_time: datetime,
        attributes: Mapping[str, Any] | None,
    ) -> None:
        """The task's end, with ``attributes`` as they are at its end (claims and
        renames since its start), read by the caller who removes it."""
        if not self.enabled:
            return
        ending = attributes or {}
        raw_statements.run(
            self.session.connection(),
            _task_ended(frozenset(ending)),
            {"task_id": task_id, "end_time": end_time, "delete_reason": delete_reason, **ending},
        )

    def task_moved(self, task_id: str, execution_id: str) -> None:
        if not self.enabled:
            return
        self.session.execute(
            update(HistoricTaskInstance)
            .where(HistoricTaskInstance.id == task_id)
            .values(execution_id=execution_id)
            .execution_options(synchronize_session=False)
        )

    # Variables, as Camunda's default history level records them: one row per
    # variable, created with it, updated with it, marked DELETED when someone removes it.

    def variable_written(self, scope_pk: int, variable: dict[str, Any], *, created: bool) -> None:
        """``variable``: the runtime row's columns (its ``id``, name and value)."""
        place = self._place(scope_pk)
        if place is None:
            return
        historic_pk, execution_id, task_id = place
        values = {column: variable.get(column) for column in VALUE_COLUMNS}
        connection = self.session.connection()
        if not created:
            updated = raw_statements.run(
                connection,
                _VARIABLE_UPDATED,
                {"variable_id": variable["id"], "state": CREATED, **values},
            )
            if updated.rowcount == 1:
                return
        raw_statements.run(
            connection,
            _VARIABLE_CREATED,
            {
                "id": variable["id"],
                "process_instance_pk": historic_pk,
                "execution_id": execution_id,
                "task_id": task_id,
                "name": variable["name"],
                "create_time": datetime.now(UTC),
                "state": CREATED,
                **values,
            },
        )

    def variable_deleted(self, variable_id: str) -> None:
        if not self.enabled:
            return
        self.session.execute(
            update(HistoricVariable)
            .where(HistoricVariable.id == variable_id)
            .values(state=DELETED)
            .execution_options(synchronize_session=False)
        )

    def variable_moved(self, variable_id: str, scope_pk: int) -> None:
        place = self._place(scope_pk)
        if place is None:
            return
        _, execution_id, task_id = place
        self.session.execute(
            update(HistoricVariable)
            .where(HistoricVariable.id == variable_id)
            .values(execution_id=execution_id, task_id=task_id)
            .execution_options(synchronize_session=False)
        )

    def forget_places(self) -> None:
        """Scopes were deleted: a pk looked up before may name another scope now."""
        self._places.clear()

    def holds_content(self, content_pk: int) -> bool:
        return (
            self.session.scalar(
                select(HistoricVariable.pk)
                .where(HistoricVariable.content_pk == content_pk)
                .limit(1)
            )
            is not None
        )

    def _instance_pk(self, instance_id: str) -> int | None:
        if not self.enabled:
            return None
        if instance_id not in self._instance_pks:
            self._instance_pks[instance_id] = (
                self.session.connection()
                .execute(_INSTANCE_PK, {"instance_id": instance_id})
                .scalar_one_or_none()
            )
        return self._instance_pks[instance_id]

    def _place(self, scope_pk: int) -> tuple[int, str | None, str | None] | None:
        """The historic instance a scope's variables belong to, and the execution or
        task they are in; ``None`` outside a model's process instance."""
        if not self.enabled:
            return None
        if scope_pk not in self._places:
            row = self.session.connection().execute(_PLACE, {"scope_pk": scope_pk}).first()
            place = None
            if row is not None:
                on_task = row.kind == ScopeKind.TASK
                place = (
                    row.pk,
                    None if on_task else row.external_id,
                    row.external_id if on_task else None,
                )
            self._places[scope_pk] = place
        return self._places[scope_pk]

    def knows_task(self, task_id: str) -> bool:
        """Whether history recorded a task of this id (running or ended)."""
        return (
            self.session.scalar(
                select(HistoricTaskInstance.pk).where(HistoricTaskInstance.id == task_id)
            )
            is not None
        )

    def delete_of_definitions(self, definition_ids: list[str]) -> ForgottenInstances:
        """The history of these definitions' instances, binary content included; returns
        which instances and tasks it forgot (what was noted on them goes too)."""
        instances = select(HistoricProcessInstance.pk).where(
            HistoricProcessInstance.process_definition_id.in_(definition_ids)
        )
        forgotten = ForgottenInstances(
            list(
                self.session.scalars(
                    select(HistoricProcessInstance.id).where(
                        HistoricProcessInstance.pk.in_(instances)
                    )
                )
            ),
            list(
                self.session.scalars(
                    select(HistoricTaskInstance.id).where(
                        HistoricTaskInstance.process_instance_pk.in_(instances)
                    )
                )
            ),
        )
        contents = select(HistoricVariable.content_pk).where(
            HistoricVariable.process_instance_pk.in_(instances),
            HistoricVariable.content_pk.is_not(None),
        )
        content_pks = [pk for pk in self.session.scalars(contents) if pk is not None]
        self.session.execute(
            delete(HistoricProcessInstance).where(HistoricProcessInstance.pk.in_(instances)),
            execution_options={"synchronize_session": False},
        )
        for content_pk in content_pks:
            self._contents.delete(content_pk)
        return forgotten

    def instances(
        self,
        criteria: InstanceCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricInstanceRecord]:
        """Matching instances, sorted by ``(sortBy, descending)`` pairs, ties in start
        order."""
        keys = [(INSTANCE_SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching_instances(criteria), keys, HistoricProcessInstance.pk)
        rows = self.session.scalars(paged(statement, first_result, max_results))
        return [_instance(row) for row in rows]

    def count_instances(self, criteria: InstanceCriteria) -> int:
        statement = _matching_instances(criteria).with_only_columns(
            func.count(HistoricProcessInstance.pk)
        )
        return int(self.session.scalar(statement) or 0)

    def variables(
        self,
        criteria: VariableCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricVariableRecord]:
        keys = [(VARIABLE_SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(
            _matching_variables(criteria)
            .add_columns(BinaryContent.size, BinaryContent.digest, BinaryContent.file_name)
            .outerjoin(BinaryContent, BinaryContent.pk == HistoricVariable.content_pk),
            keys,
            HistoricVariable.pk,
        )
        rows = self.session.execute(paged(statement, first_result, max_results))
        return [_variable(*row) for row in rows]

    def count_variables(self, criteria: VariableCriteria) -> int:
        statement = _matching_variables(criteria).with_only_columns(func.count(HistoricVariable.pk))
        return int(self.session.scalar(statement) or 0)

    def referenced_contents(self) -> ColumnElement[bool]:
        """A condition: the content row is a historic variable's."""
        return HELD_BY_HISTORY


def _matching_instances(criteria: InstanceCriteria) -> Select[Any]:
    statement = select(HistoricProcessInstance).where(
        *_INSTANCE_CONDITIONS.conditions(criteria, HistoricProcessInstance)
    )
    return where_any(
        statement,
        (
            _INSTANCE_CONDITIONS.conditions(nested, HistoricProcessInstance)
            for nested in criteria.or_queries
        ),
    )


def _matching_variables(criteria: VariableCriteria) -> Select[*tuple[Any, ...]]:
    statement: Select[*tuple[Any, ...]] = (
        select(HistoricVariable, HistoricProcessInstance)
        .join(
            HistoricProcessInstance,
            HistoricProcessInstance.pk == HistoricVariable.process_instance_pk,
        )
        .where(*_VARIABLE_CONDITIONS.conditions(criteria, HistoricVariable))
    )
    if not criteria.include_deleted:
        statement = statement.where(HistoricVariable.state != DELETED)
    return statement


_CALLED = aliased(HistoricProcessInstance)


def _incident_of(field: str) -> Callable[[type[HistoricProcessInstance], Any], Any]:
    return lambda row, value: historic_incident(
        field, value, HistoricIncident.process_instance_pk == row.pk
    )


_INSTANCE_CONDITIONS: ConditionTable[type[HistoricProcessInstance]] = ConditionTable(
    {
        "ids": lambda row, v: row.id.in_(v),
        "business_key": lambda row, v: row.business_key == v,
        "business_key_like": lambda row, v: like(row.business_key, v),
        "definition_id": lambda row, v: row.process_definition_id == v,
        "definition_key": lambda row, v: row.process_definition_key == v,
        "definition_keys": lambda row, v: row.process_definition_key.in_(v),
        "states": lambda row, v: row.state.in_(sorted(v)),
        "started_after": lambda row, v: row.start_time > v,
        "started_before": lambda row, v: row.start_time < v,
        "finished_after": lambda row, v: row.end_time > v,
        "finished_before": lambda row, v: row.end_time < v,
        "tenant_ids": lambda row, v: row.tenant_id.in_(v),
        "without_tenant": lambda row, v: row.tenant_id.is_(None),
        "super_process_instance_id": lambda row, v: row.super_process_instance_id == v,
        "sub_process_instance_id": lambda row, v: row.id.in_(
            select(_CALLED.super_process_instance_id).where(_CALLED.id == v)
        ),
        "root_instances": lambda row, v: row.super_process_instance_id.is_(None),
        "leaf_instances": lambda row, v: (
            ~exists().where(_CALLED.super_process_instance_id == row.id)
        ),
        **{
            field: _incident_of(field)
            for field in (
                "with_incident",
                "incident_status",
                "incident_type",
                "incident_message",
                "incident_message_like",
            )
        },
    }
)
_VARIABLE_CONDITIONS: ConditionTable[type[HistoricVariable]] = ConditionTable(
    {
        "ids": lambda row, v: row.id.in_(v),
        "name": lambda row, v: row.name == v,
        "name_like": lambda row, v: like(row.name, v),
        "names": lambda row, v: row.name.in_(v),
        "process_instance_ids": lambda row, v: HistoricProcessInstance.id.in_(v),
        "definition_id": lambda row, v: HistoricProcessInstance.process_definition_id == v,
        "definition_key": lambda row, v: HistoricProcessInstance.process_definition_key == v,
        "execution_ids": lambda row, v: row.execution_id.in_(v),
        "task_ids": lambda row, v: row.task_id.in_(v),
        "types": lambda row, v: row.type.in_(v),
        "tenant_ids": lambda row, v: HistoricProcessInstance.tenant_id.in_(v),
        "without_tenant": lambda row, v: HistoricProcessInstance.tenant_id.is_(None),
    }
)


def _instance(row: HistoricProcessInstance) -> HistoricInstanceRecord:
    return HistoricInstanceRecord(
        id=row.id,
        business_key=row.business_key,
        process_definition_id=row.process_definition_id,
        process_definition_key=row.process_definition_key,
        process_definition_name=row.process_definition_name,
        process_definition_version=row.process_definition_version,
        tenant_id=row.tenant_id,
        start_time=row.start_time,
        end_time=row.end_time,
        state=row.state,
        start_activity_id=row.start_activity_id,
        delete_reason=row.delete_reason,
        super_process_instance_id=row.super_process_instance_id,
        root_process_instance_id=row.root_process_instance_id,
    )


def _variable(
    row: HistoricVariable,
    instance: HistoricProcessInstance,
    size: int | None,
    digest: str | None,
    file_name: str | None,
) -> HistoricVariableRecord:
    value = StoredValue(
        name=row.name,
        scope_pk=0,  # its scope is gone
        type=row.type,
        text_value=row.text_value,
        content_pk=row.content_pk,
        content_size=size,
        content_digest=digest,
        content_file=file_name,
        filename=row.filename,
        mime_type=row.mime_type,
        encoding=row.encoding,
        object_type_name=row.object_type_name,
        serialization_data_format=row.serialization_data_format,
        revision=0,
    )
    return HistoricVariableRecord(
        id=row.id,
        value=value,
        process_instance_id=instance.id,
        process_definition_id=instance.process_definition_id,
        process_definition_key=instance.process_definition_key,
        tenant_id=instance.tenant_id,
        execution_id=row.execution_id,
        task_id=row.task_id,
        create_time=row.create_time,
        state=row.state,
    )


_PLACE = _place_statement()
_ACTIVITIES = cast(Table, HistoricActivityInstance.__table__)

# Built once, the statements each engine step runs: building one through the ORM cost
# several times running it.
_INSTANCES = cast(Table, HistoricProcessInstance.__table__)
_TASKS = cast(Table, HistoricTaskInstance.__table__)
_VARIABLES = cast(Table, HistoricVariable.__table__)
_STARTED = insert(_INSTANCES).returning(_INSTANCES.c.pk)
_INSTANCE_PK = select(_INSTANCES.c.pk).where(_INSTANCES.c.id == bindparam("instance_id"))
_ENDED = (
    update(_INSTANCES)
    .where(
        _INSTANCES.c.pk == bindparam("historic_pk"),
        raw_statements.one_of(_INSTANCES.c.state, [ACTIVE, SUSPENDED]),
    )
    .values(
        state=bindparam("state"),
        end_time=bindparam("end_time"),
        delete_reason=bindparam("delete_reason"),
    )
)
_ACTIVITIES_ENDED = (
    update(_ACTIVITIES)
    .where(
        _ACTIVITIES.c.id.in_(bindparam("ids", expanding=True)),
        _ACTIVITIES.c.end_time.is_(None),
    )
    .values(end_time=bindparam("end_time"), canceled=bindparam("canceled"))
)


def _activities_ended(count: int) -> Any:
    """:data:`_ACTIVITIES_ENDED` for ``count`` ids ``id_0``..., which runs raw."""
    return (
        update(_ACTIVITIES)
        .where(
            _ACTIVITIES.c.id.in_(raw_statements.numbered_binds(_ACTIVITIES.c.id, "id", count)),
            _ACTIVITIES.c.end_time.is_(None),
        )
        .values(end_time=bindparam("end_time"), canceled=bindparam("canceled"))
    )


_TASK_STARTED = insert(_TASKS)
_VARIABLE_UPDATED = (
    update(_VARIABLES)
    .where(_VARIABLES.c.id == bindparam("variable_id"))
    .values(state=bindparam("state"), **{column: bindparam(column) for column in VALUE_COLUMNS})
)
_VARIABLE_CREATED = insert(_VARIABLES)
_TASKS_ENDED: dict[frozenset[str], Update] = {}


def _task_ended(attributes: frozenset[str]) -> Update:
    """A task's end with these of its attributes as they are at its end: built once for
    each set of attributes (callers pass one set, or none)."""
    statement = _TASKS_ENDED.get(attributes)
    if statement is None:
        statement = (
            update(_TASKS)
            .where(_TASKS.c.id == bindparam("task_id"), _TASKS.c.end_time.is_(None))
            .values(
                end_time=bindparam("end_time"),
                delete_reason=bindparam("delete_reason"),
                **{name: bindparam(name) for name in sorted(attributes)},
            )
        )
        _TASKS_ENDED[attributes] = statement
    return statement


# A condition on a content row: a historic variable holds it (the runtime lets go of it).
HELD_BY_HISTORY: ColumnElement[bool] = BinaryContent.pk.in_(
    select(HistoricVariable.content_pk).where(HistoricVariable.content_pk.is_not(None))
)
