"""Historic incidents (Camunda's ``HistoricIncidentEntity``, ``HistoricIncident.xml``):
recorded when an incident opens, closed as resolved or deleted with its end time, kept
with the historic process instance.

The writes are :class:`~taskvars.persistence.incidents.Incidents`'s, which checks
whether history records the instance; the instance's end closes what is still open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from taskvars.persistence import raw_statements
from taskvars.persistence.models import HistoricIncident, HistoricProcessInstance
from taskvars.persistence.query_statements import ConditionTable, like, ordered, paged

# Camunda's IncidentState codes (``IncidentState``), which sorting by state follows.
OPEN = 0
RESOLVED = 1
DELETED = 2

_INCIDENT = HistoricIncident
_INSTANCE = HistoricProcessInstance


@dataclass(frozen=True)
class HistoricIncidentCriteria:
    """``GET /history/incident`` filters; ``None`` (or ``False``) filters nothing."""

    incident_id: str | None = None
    incident_type: str | None = None
    incident_message: str | None = None
    incident_message_like: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    process_definition_key_in: list[str] | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    create_time_before: datetime | None = None
    create_time_after: datetime | None = None
    end_time_before: datetime | None = None
    end_time_after: datetime | None = None
    activity_id: str | None = None
    failed_activity_id: str | None = None
    cause_incident_id: str | None = None
    root_cause_incident_id: str | None = None
    configuration: str | None = None
    history_configuration: str | None = None
    incident_state: int | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    job_definition_id_in: list[str] | None = None


@dataclass(frozen=True)
class HistoricIncidentRecord:
    id: str
    process_instance_id: str
    process_definition_id: str
    process_definition_key: str | None
    execution_id: str
    create_time: datetime
    end_time: datetime | None
    incident_type: str
    activity_id: str | None
    failed_activity_id: str | None
    cause_incident_id: str | None
    root_cause_incident_id: str | None
    configuration: str | None
    history_configuration: str | None
    incident_message: str | None
    tenant_id: str | None
    job_definition_id: str | None
    annotation: str | None
    incident_state: int


# Camunda's sortBy -> column.
SORTS: dict[str, Any] = {
    "incidentId": _INCIDENT.id,
    "incidentMessage": _INCIDENT.incident_message,
    "createTime": _INCIDENT.create_time,
    "endTime": _INCIDENT.end_time,
    "incidentType": _INCIDENT.incident_type,
    "executionId": _INCIDENT.execution_id,
    "activityId": _INCIDENT.activity_id,
    "processInstanceId": _INSTANCE.id,
    "processDefinitionId": _INCIDENT.process_definition_id,
    "processDefinitionKey": _INCIDENT.process_definition_key,
    "causeIncidentId": _INCIDENT.cause_incident_id,
    "rootCauseIncidentId": _INCIDENT.root_cause_incident_id,
    "configuration": _INCIDENT.configuration,
    "historyConfiguration": _INCIDENT.history_configuration,
    "tenantId": _INCIDENT.tenant_id,
    "incidentState": _INCIDENT.incident_state,
}


class HistoricIncidents:
    def __init__(self, session: Session) -> None:
        self.session = session

    def opened(self, historic_instance_pk: int, incident: dict[str, Any]) -> None:
        """``incident``: the runtime row's columns, its timestamp the creation time."""
        columns = {key: value for key, value in incident.items() if key in _COPIED}
        self.session.add(
            HistoricIncident(
                process_instance_pk=historic_instance_pk,
                create_time=incident["incident_timestamp"],
                incident_state=OPEN,
                **columns,
            )
        )
        self.session.flush()

    def ended(self, incident_ids: Sequence[str], state: int, end_time: datetime) -> None:
        """Open incidents closed as ``RESOLVED`` or ``DELETED``."""
        if not incident_ids:
            return
        self.session.execute(
            update(_INCIDENT)
            .where(_INCIDENT.id.in_(incident_ids), _INCIDENT.incident_state == OPEN)
            .values(incident_state=state, end_time=end_time)
            .execution_options(synchronize_session=False)
        )

    def annotated(self, incident_id: str, annotation: str | None) -> None:
        self.session.execute(
            update(_INCIDENT)
            .where(_INCIDENT.id == incident_id)
            .values(annotation=annotation)
            .execution_options(synchronize_session=False)
        )

    def query(
        self,
        criteria: HistoricIncidentCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricIncidentRecord]:
        keys = [(SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching(criteria), keys, _INCIDENT.pk)
        rows = self.session.execute(paged(statement, first_result, max_results))
        return [_record(*row) for row in rows]

    def count(self, criteria: HistoricIncidentCriteria) -> int:
        statement = _matching(criteria).with_only_columns(func.count(_INCIDENT.pk))
        return int(self.session.scalar(statement) or 0)


def end_open_of_instance(session: Session, historic_instance_pk: int, end_time: datetime) -> None:
    """The instance ended: its incidents still open are deleted with it (Camunda's
    ``ExecutionEntity.removeIncidents`` on the executions it removes)."""
    raw_statements.run(
        session.connection(),
        _END_OPEN_OF_INSTANCE,
        {"historic_pk": historic_instance_pk, "end_time": end_time},
    )


_COPIED = frozenset(
    {
        "id",
        "execution_id",
        "process_definition_id",
        "process_definition_key",
        "tenant_id",
        "incident_type",
        "activity_id",
        "failed_activity_id",
        "cause_incident_id",
        "root_cause_incident_id",
        "configuration",
        "history_configuration",
        "incident_message",
        "job_definition_id",
        "annotation",
    }
)


def _matching(criteria: HistoricIncidentCriteria) -> Select[*tuple[Any, ...]]:
    return (
        select(_INCIDENT, _INSTANCE.id)
        .join(_INSTANCE, _INSTANCE.pk == _INCIDENT.process_instance_pk)
        .where(*_CONDITIONS.conditions(criteria, None))
    )


_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "incident_id": lambda _, v: _INCIDENT.id == v,
        "incident_type": lambda _, v: _INCIDENT.incident_type == v,
        "incident_message": lambda _, v: _INCIDENT.incident_message == v,
        "incident_message_like": lambda _, v: like(_INCIDENT.incident_message, v),
        "process_definition_id": lambda _, v: _INCIDENT.process_definition_id == v,
        "process_definition_key": lambda _, v: _INCIDENT.process_definition_key == v,
        "process_definition_key_in": lambda _, v: _INCIDENT.process_definition_key.in_(v),
        "process_instance_id": lambda _, v: _INSTANCE.id == v,
        "execution_id": lambda _, v: _INCIDENT.execution_id == v,
        # Camunda's bounds exclude the instant (``CREATE_TIME_ < #{createTimeBefore}``).
        "create_time_before": lambda _, v: _INCIDENT.create_time < v,
        "create_time_after": lambda _, v: _INCIDENT.create_time > v,
        "end_time_before": lambda _, v: _INCIDENT.end_time < v,
        "end_time_after": lambda _, v: _INCIDENT.end_time > v,
        "activity_id": lambda _, v: _INCIDENT.activity_id == v,
        "failed_activity_id": lambda _, v: _INCIDENT.failed_activity_id == v,
        "cause_incident_id": lambda _, v: _INCIDENT.cause_incident_id == v,
        "root_cause_incident_id": lambda _, v: _INCIDENT.root_cause_incident_id == v,
        "configuration": lambda _, v: _INCIDENT.configuration == v,
        "history_configuration": lambda _, v: _INCIDENT.history_configuration == v,
        "incident_state": lambda _, v: _INCIDENT.incident_state == v,
        "tenant_id_in": lambda _, v: _INCIDENT.tenant_id.in_(v),
        "without_tenant_id": lambda _, v: _INCIDENT.tenant_id.is_(None),
        "job_definition_id_in": lambda _, v: _INCIDENT.job_definition_id.in_(v),
    }
)


def _record(row: HistoricIncident, process_instance_id: str) -> HistoricIncidentRecord:
    return HistoricIncidentRecord(
        id=row.id,
        process_instance_id=process_instance_id,
        process_definition_id=row.process_definition_id,
        process_definition_key=row.process_definition_key,
        execution_id=row.execution_id,
        create_time=row.create_time,
        end_time=row.end_time,
        incident_type=row.incident_type,
        activity_id=row.activity_id,
        failed_activity_id=row.failed_activity_id,
        cause_incident_id=row.cause_incident_id,
        root_cause_incident_id=row.root_cause_incident_id,
        configuration=row.configuration,
        history_configuration=row.history_configuration,
        incident_message=row.incident_message,
        tenant_id=row.tenant_id,
        job_definition_id=row.job_definition_id,
        annotation=row.annotation,
        incident_state=row.incident_state,
    )


_INCIDENTS = cast(Table, HistoricIncident.__table__)
# Built once: every instance's end runs it.
_END_OPEN_OF_INSTANCE = (
    update(_INCIDENTS)
    .where(
        _INCIDENTS.c.process_instance_pk == bindparam("historic_pk"),
        _INCIDENTS.c.incident_state == OPEN,
    )
    .values(incident_state=DELETED, end_time=bindparam("end_time"))
)
