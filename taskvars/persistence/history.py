"""History: the process instances deployed models ran, and the final values of their
variables, kept after the runtime rows are gone (Camunda's ``HistoricProcessInstance``
and ``HistoricVariableInstance``, as far as clients read them).

A binary value's content is handed over, not copied: the history row takes the runtime
variable's content row (and its file), and the runtime variable lets go of it before
the process instance's tree is deleted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.models import (
    BinaryContent,
    HistoricProcessInstance,
    HistoricVariable,
    Scope,
    ScopeKind,
    Variable,
)
from taskvars.persistence.scope_tree import subtree_of
from taskvars.persistence.values import StoredValue

ACTIVE = "ACTIVE"
COMPLETED = "COMPLETED"
EXTERNALLY_TERMINATED = "EXTERNALLY_TERMINATED"


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


@dataclass(frozen=True)
class InstanceCriteria:
    """``GET /history/process-instance`` filters; ``None`` filters nothing."""

    ids: list[str] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_id: str | None = None
    definition_key: str | None = None
    definition_keys: list[str] | None = None
    states: list[str] | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    finished_after: datetime | None = None
    finished_before: datetime | None = None
    tenant_ids: list[str] | None = None
    without_tenant: bool = False


@dataclass(frozen=True)
class VariableCriteria:
    """``GET /history/variable-instance`` filters; ``None`` filters nothing."""

    name: str | None = None
    name_like: str | None = None
    process_instance_ids: list[str] | None = None
    definition_id: str | None = None
    definition_key: str | None = None
    execution_ids: list[str] | None = None
    task_ids: list[str] | None = None
    types: list[str] | None = None
    tenant_ids: list[str] | None = None
    ids: list[str] | None = None


INSTANCE_SORTS = {
    "instanceId": HistoricProcessInstance.id,
    "definitionId": HistoricProcessInstance.process_definition_id,
    "definitionKey": HistoricProcessInstance.process_definition_key,
    "definitionName": HistoricProcessInstance.process_definition_name,
    "definitionVersion": HistoricProcessInstance.process_definition_version,
    "businessKey": HistoricProcessInstance.business_key,
    "startTime": HistoricProcessInstance.start_time,
    "endTime": HistoricProcessInstance.end_time,
    "duration": HistoricProcessInstance.end_time - HistoricProcessInstance.start_time,
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

    def started(
        self,
        instance_id: str,
        business_key: str | None,
        definition: tuple[str, str, str | None, int, str | None],
        start_time: datetime,
    ) -> None:
        """``definition``: id, key, name, version, tenant."""
        if not self.enabled:
            return
        definition_id, key, name, version, tenant_id = definition
        self.session.add(
            HistoricProcessInstance(
                id=instance_id,
                business_key=business_key,
                process_definition_id=definition_id,
                process_definition_key=key,
                process_definition_name=name,
                process_definition_version=version,
                tenant_id=tenant_id,
                start_time=start_time,
                state=ACTIVE,
            )
        )
        self.session.flush()

    def ended(self, instance_pk: int, instance_id: str, state: str, end_time: datetime) -> None:
        """Record the end, and every variable still in the instance's tree as its final
        value; the runtime variables let go of their binary content, which the history
        rows now hold. Call before the tree is deleted."""
        if not self.enabled:
            return
        historic_pk = self.session.scalar(
            select(HistoricProcessInstance.pk).where(HistoricProcessInstance.id == instance_id)
        )
        if historic_pk is None:  # started while history was off
            return
        ended = self.session.execute(
            update(HistoricProcessInstance)
            .where(
                HistoricProcessInstance.pk == historic_pk,
                HistoricProcessInstance.state == ACTIVE,
            )
            .values(state=state, end_time=end_time)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", ended).rowcount != 1:
            # Another request ended it first: its record stands.
            return
        # What delete_tree takes: the scopes below the instance by parent.
        subtree = subtree_of(instance_pk)
        rows = self.session.execute(
            select(Variable, Scope.kind, Scope.external_id)
            .join(Scope, Scope.pk == Variable.scope_pk)
            .where(Variable.scope_pk.in_(select(subtree.c.pk)))
        ).all()
        for variable, kind, scope_id in rows:
            on_task = kind is ScopeKind.TASK
            self.session.add(
                HistoricVariable(
                    id=str(uuid.uuid4()),
                    process_instance_pk=historic_pk,
                    execution_id=None if on_task else scope_id,
                    task_id=scope_id if on_task else None,
                    name=variable.name,
                    type=variable.type,
                    text_value=variable.text_value,
                    content_pk=variable.content_pk,
                    filename=variable.filename,
                    mime_type=variable.mime_type,
                    encoding=variable.encoding,
                    object_type_name=variable.object_type_name,
                    serialization_data_format=variable.serialization_data_format,
                    create_time=end_time,
                )
            )
        self.session.flush()
        self.session.execute(
            update(Variable)
            .where(Variable.scope_pk.in_(select(subtree.c.pk)), Variable.content_pk.is_not(None))
            .values(content_pk=None)
            .execution_options(synchronize_session=False)
        )

    def delete_of_definitions(self, definition_ids: list[str]) -> None:
        """The history of these definitions' instances, binary content included."""
        instances = select(HistoricProcessInstance.pk).where(
            HistoricProcessInstance.process_definition_id.in_(definition_ids)
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

    def instances(
        self,
        criteria: InstanceCriteria,
        sort_by: str | None = None,
        descending: bool = False,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricInstanceRecord]:
        column = INSTANCE_SORTS[sort_by] if sort_by else HistoricProcessInstance.pk
        if sort_by == "duration" and self.session.get_bind().dialect.name == "sqlite":
            # SQLite keeps dates as text: subtracting them would compare their years.
            column = func.julianday(HistoricProcessInstance.end_time) - func.julianday(
                HistoricProcessInstance.start_time
            )
        rows = self.session.scalars(
            select(HistoricProcessInstance)
            .where(*_instance_conditions(criteria))
            .order_by(column.desc() if descending else column.asc(), HistoricProcessInstance.pk)
            .offset(first_result)
            .limit(max_results)
        )
        return [_instance(row) for row in rows]

    def count_instances(self, criteria: InstanceCriteria) -> int:
        statement = select(func.count(HistoricProcessInstance.pk)).where(
            *_instance_conditions(criteria)
        )
        return int(self.session.scalar(statement) or 0)

    def variables(
        self,
        criteria: VariableCriteria,
        sort_by: str | None = None,
        descending: bool = False,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricVariableRecord]:
        column = VARIABLE_SORTS[sort_by] if sort_by else HistoricVariable.pk
        rows = self.session.execute(
            select(
                HistoricVariable,
                HistoricProcessInstance,
                BinaryContent.size,
                BinaryContent.sha256,
                BinaryContent.file_name,
            )
            .join(
                HistoricProcessInstance,
                HistoricProcessInstance.pk == HistoricVariable.process_instance_pk,
            )
            .outerjoin(BinaryContent, BinaryContent.pk == HistoricVariable.content_pk)
            .where(*_variable_conditions(criteria))
            .order_by(column.desc() if descending else column.asc(), HistoricVariable.pk)
            .offset(first_result)
            .limit(max_results)
        )
        return [_variable(*row) for row in rows]

    def count_variables(self, criteria: VariableCriteria) -> int:
        statement = (
            select(func.count(HistoricVariable.pk))
            .join(
                HistoricProcessInstance,
                HistoricProcessInstance.pk == HistoricVariable.process_instance_pk,
            )
            .where(*_variable_conditions(criteria))
        )
        return int(self.session.scalar(statement) or 0)

    def referenced_contents(self) -> ColumnElement[bool]:
        """A condition: the content row is a historic variable's."""
        return BinaryContent.pk.in_(
            select(HistoricVariable.content_pk).where(HistoricVariable.content_pk.is_not(None))
        )


def _instance_conditions(criteria: InstanceCriteria) -> list[ColumnElement[bool]]:
    row = HistoricProcessInstance
    conditions: list[ColumnElement[bool]] = []
    if criteria.ids is not None:
        conditions.append(row.id.in_(criteria.ids))
    if criteria.business_key is not None:
        conditions.append(row.business_key == criteria.business_key)
    if criteria.business_key_like is not None:
        conditions.append(row.business_key.like(criteria.business_key_like))
    if criteria.definition_id is not None:
        conditions.append(row.process_definition_id == criteria.definition_id)
    if criteria.definition_key is not None:
        conditions.append(row.process_definition_key == criteria.definition_key)
    if criteria.definition_keys is not None:
        conditions.append(row.process_definition_key.in_(criteria.definition_keys))
    if criteria.states is not None:
        conditions.append(row.state.in_(criteria.states))
    if criteria.started_after is not None:
        conditions.append(row.start_time > criteria.started_after)
    if criteria.started_before is not None:
        conditions.append(row.start_time < criteria.started_before)
    if criteria.finished_after is not None:
        conditions.append(row.end_time > criteria.finished_after)
    if criteria.finished_before is not None:
        conditions.append(row.end_time < criteria.finished_before)
    if criteria.without_tenant:
        conditions.append(row.tenant_id.is_(None))
    elif criteria.tenant_ids is not None:
        conditions.append(row.tenant_id.in_(criteria.tenant_ids))
    return conditions


def _variable_conditions(criteria: VariableCriteria) -> list[ColumnElement[bool]]:
    row, instance = HistoricVariable, HistoricProcessInstance
    conditions: list[ColumnElement[bool]] = []
    if criteria.ids is not None:
        conditions.append(row.id.in_(criteria.ids))
    if criteria.name is not None:
        conditions.append(row.name == criteria.name)
    if criteria.name_like is not None:
        conditions.append(row.name.like(criteria.name_like))
    if criteria.process_instance_ids is not None:
        conditions.append(instance.id.in_(criteria.process_instance_ids))
    if criteria.definition_id is not None:
        conditions.append(instance.process_definition_id == criteria.definition_id)
    if criteria.definition_key is not None:
        conditions.append(instance.process_definition_key == criteria.definition_key)
    if criteria.execution_ids is not None:
        conditions.append(row.execution_id.in_(criteria.execution_ids))
    if criteria.task_ids is not None:
        conditions.append(row.task_id.in_(criteria.task_ids))
    if criteria.types is not None:
        conditions.append(row.type.in_(criteria.types))
    if criteria.tenant_ids is not None:
        conditions.append(instance.tenant_id.in_(criteria.tenant_ids))
    return conditions


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
    )


def _variable(
    row: HistoricVariable,
    instance: HistoricProcessInstance,
    size: int | None,
    sha256: str | None,
    file_name: str | None,
) -> HistoricVariableRecord:
    value = StoredValue(
        name=row.name,
        scope_pk=0,  # its scope is gone
        type=row.type,
        text_value=row.text_value,
        content_pk=row.content_pk,
        content_size=size,
        content_sha256=sha256,
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
    )
