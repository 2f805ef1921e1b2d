"""Runtime incidents (Camunda's ``IncidentEntity``, ``Incident.xml``): opened on an
execution, gone when resolved or deleted; history follows each change.

A process instance's deletion takes its rows by ``ON DELETE CASCADE``; its history
closes them as deleted when it records the instance's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from taskvars.persistence.history_incidents import DELETED, RESOLVED, HistoricIncidents
from taskvars.persistence.models import HistoricProcessInstance, Incident, Job, ProcessDefinition
from taskvars.persistence.query_statements import ConditionTable, like, ordered, paged

if TYPE_CHECKING:
    from taskvars.persistence.history import History

_INCIDENT = Incident


@dataclass(frozen=True)
class IncidentCriteria:
    """``GET /incident`` filters; ``None`` filters nothing."""

    incident_id: str | None = None
    incident_type: str | None = None
    incident_message: str | None = None
    incident_message_like: str | None = None
    process_definition_id: str | None = None
    process_definition_key_in: list[str] | None = None
    process_instance_id: str | None = None
    execution_id: str | None = None
    incident_timestamp_before: datetime | None = None
    incident_timestamp_after: datetime | None = None
    activity_id: str | None = None
    failed_activity_id: str | None = None
    cause_incident_id: str | None = None
    root_cause_incident_id: str | None = None
    configuration: str | None = None
    tenant_id_in: list[str] | None = None
    job_definition_id_in: list[str] | None = None


@dataclass(frozen=True)
class IncidentRecord:
    id: str
    process_instance_id: str
    process_definition_id: str
    execution_id: str
    incident_timestamp: datetime
    incident_type: str
    activity_id: str | None
    failed_activity_id: str | None
    cause_incident_id: str | None
    root_cause_incident_id: str | None
    configuration: str | None
    tenant_id: str | None
    incident_message: str | None
    job_definition_id: str | None
    annotation: str | None


# Camunda's sortBy -> column.
SORTS: dict[str, Any] = {
    "incidentId": _INCIDENT.id,
    "incidentMessage": _INCIDENT.incident_message,
    "incidentTimestamp": _INCIDENT.incident_timestamp,
    "incidentType": _INCIDENT.incident_type,
    "executionId": _INCIDENT.execution_id,
    "activityId": _INCIDENT.activity_id,
    "processInstanceId": _INCIDENT.process_instance_id,
    "processDefinitionId": _INCIDENT.process_definition_id,
    "causeIncidentId": _INCIDENT.cause_incident_id,
    "rootCauseIncidentId": _INCIDENT.root_cause_incident_id,
    "configuration": _INCIDENT.configuration,
    "tenantId": _INCIDENT.tenant_id,
}


class Incidents:
    def __init__(self, session: Session, history: History, historic: HistoricIncidents) -> None:
        self.session = session
        self._history = history
        self._historic = historic

    def open(self, process_instance_pk: int, incident: dict[str, Any]) -> None:
        """``incident``: the row's columns; recorded in history too when history records
        its process instance."""
        self.session.add(Incident(process_instance_pk=process_instance_pk, **incident))
        self.session.flush()
        historic_pk = self._history.instance_pk(incident["process_instance_id"])
        if historic_pk is None:
            return
        definition_key = self.session.scalar(
            select(HistoricProcessInstance.process_definition_key).where(
                HistoricProcessInstance.pk == historic_pk
            )
        )
        self._historic.opened(historic_pk, {**incident, "process_definition_key": definition_key})

    def resolve(self, incident_type: str, configuration: str, end_time: datetime) -> None:
        self._end(self._of(incident_type, configuration), RESOLVED, end_time)

    def delete(self, incident_type: str, configuration: str, end_time: datetime) -> None:
        self._end(self._of(incident_type, configuration), DELETED, end_time)

    def of_gone_jobs(self, instance_pk: int, incident_type: str) -> list[str]:
        """The configurations (job ids) of the instance's incidents of ``incident_type``
        whose job is gone (with its execution's row, a scope that ended)."""
        found = self.session.scalars(
            select(_INCIDENT.configuration).where(
                _INCIDENT.process_instance_pk == instance_pk,
                _INCIDENT.incident_type == incident_type,
                ~select(Job.pk).where(Job.id == _INCIDENT.configuration).exists(),
            )
        )
        return [configuration for configuration in found if configuration is not None]

    def resolve_by_id(self, incident_id: str, end_time: datetime) -> None:
        self._end(_INCIDENT.id == incident_id, RESOLVED, end_time)

    def get(self, incident_id: str) -> IncidentRecord | None:
        found = self.query(IncidentCriteria(incident_id=incident_id))
        return found[0] if found else None

    def annotate(self, incident_id: str, annotation: str | None) -> bool:
        """Whether there was such an incident; its history takes the annotation too."""
        changed = self.session.execute(
            update(_INCIDENT)
            .where(_INCIDENT.id == incident_id)
            .values(annotation=annotation)
            .returning(_INCIDENT.id)
            .execution_options(synchronize_session=False)
        ).first()
        if changed is None:
            return False
        if self._history.enabled:
            self._historic.annotated(incident_id, annotation)
        return True

    def query(
        self,
        criteria: IncidentCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[IncidentRecord]:
        keys = [(SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching(criteria), keys, _INCIDENT.pk)
        rows = self.session.scalars(paged(statement, first_result, max_results))
        return [_record(row) for row in rows]

    def count(self, criteria: IncidentCriteria) -> int:
        statement = _matching(criteria).with_only_columns(func.count(_INCIDENT.pk))
        return int(self.session.scalar(statement) or 0)

    @staticmethod
    def _of(incident_type: str, configuration: str) -> Any:
        return (_INCIDENT.incident_type == incident_type) & (
            _INCIDENT.configuration == configuration
        )

    def _end(self, condition: Any, state: int, end_time: datetime) -> None:
        """The matching incidents removed, their history closed in ``state``."""
        ended = self.session.scalars(delete(_INCIDENT).where(condition).returning(_INCIDENT.id))
        ids = list(ended)
        if self._history.enabled:
            self._historic.ended(ids, state, end_time)


def _matching(criteria: IncidentCriteria) -> Select[Any]:
    return select(_INCIDENT).where(*_CONDITIONS.conditions(criteria, None))


def _definition_key_in(keys: list[str]) -> Any:
    # Camunda joins the definition (``Incident.xml``): the key is the definition's.
    return _INCIDENT.process_definition_id.in_(
        select(ProcessDefinition.id).where(ProcessDefinition.key.in_(keys))
    )


_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "incident_id": lambda _, v: _INCIDENT.id == v,
        "incident_type": lambda _, v: _INCIDENT.incident_type == v,
        "incident_message": lambda _, v: _INCIDENT.incident_message == v,
        "incident_message_like": lambda _, v: like(_INCIDENT.incident_message, v),
        "process_definition_id": lambda _, v: _INCIDENT.process_definition_id == v,
        "process_definition_key_in": lambda _, v: _definition_key_in(v),
        "process_instance_id": lambda _, v: _INCIDENT.process_instance_id == v,
        "execution_id": lambda _, v: _INCIDENT.execution_id == v,
        # Camunda's bounds exclude the instant (``INCIDENT_TIMESTAMP_ < #{...Before}``).
        "incident_timestamp_before": lambda _, v: _INCIDENT.incident_timestamp < v,
        "incident_timestamp_after": lambda _, v: _INCIDENT.incident_timestamp > v,
        "activity_id": lambda _, v: _INCIDENT.activity_id == v,
        "failed_activity_id": lambda _, v: _INCIDENT.failed_activity_id == v,
        "cause_incident_id": lambda _, v: _INCIDENT.cause_incident_id == v,
        "root_cause_incident_id": lambda _, v: _INCIDENT.root_cause_incident_id == v,
        "configuration": lambda _, v: _INCIDENT.configuration == v,
        "tenant_id_in": lambda _, v: _INCIDENT.tenant_id.in_(v),
        "job_definition_id_in": lambda _, v: _INCIDENT.job_definition_id.in_(v),
    }
)


def _record(row: Incident) -> IncidentRecord:
    return IncidentRecord(
        id=row.id,
        process_instance_id=row.process_instance_id,
        process_definition_id=row.process_definition_id,
        execution_id=row.execution_id,
        incident_timestamp=row.incident_timestamp,
        incident_type=row.incident_type,
        activity_id=row.activity_id,
        failed_activity_id=row.failed_activity_id,
        cause_incident_id=row.cause_incident_id,
        root_cause_incident_id=row.root_cause_incident_id,
        configuration=row.configuration,
        tenant_id=row.tenant_id,
        incident_message=row.incident_message,
        job_definition_id=row.job_definition_id,
        annotation=row.annotation,
    )
