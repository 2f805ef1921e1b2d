"""Incidents (Camunda's ``IncidentEntity``, ``DefaultIncidentHandler``,
``IncidentRestServiceImpl``, ``IncidentResourceImpl``, ``IncidentQueryDto``): what a
process instance needs a person for, an external task out of retries say.

The engine's side (:func:`open_incident`, :func:`resolve_incidents`,
:func:`delete_incidents`) works in the caller's unit of work and never commits; the
REST side reads them, annotates them, and resolves those of custom types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import inflection

from taskvars.errors import BadUserRequestError, InvalidRequestError, NotFoundError
from taskvars.persistence.incidents import SORTS, IncidentCriteria, IncidentRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import format_date, now_millis
from taskvars.services.query_toolkit import (
    Converter,
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_date,
    as_is,
    as_list,
    sort_pairs,
)
from taskvars.services.task_defaults import new_id

# Camunda's incident types of its own handlers (``Incident``): incidents of these
# types end only through what they are about (a job's or external task's retries).
FAILED_JOB = "failedJob"
FAILED_EXTERNAL_TASK = "failedExternalTask"


@dataclass(frozen=True)
class IncidentSite:
    """Where an incident happens: the execution of an activity in a process instance."""

    process_instance_pk: int
    process_instance_id: str
    execution_id: str
    activity_id: str
    process_definition_id: str
    tenant_id: str | None


def open_incident(
    uow: UnitOfWork,
    incident_type: str,
    configuration: str,
    message: str | None,
    site: IncidentSite,
) -> str:
    """A new open incident at ``site`` (history records it too); returns its id. Its own
    cause and root cause, as Camunda's are without call activities."""
    incident_id = new_id()
    uow.store.incidents.open(
        site.process_instance_pk,
        {
            "id": incident_id,
            "process_instance_id": site.process_instance_id,
            "execution_id": site.execution_id,
            "process_definition_id": site.process_definition_id,
            "tenant_id": site.tenant_id,
            "incident_timestamp": now_millis(),
            "incident_type": incident_type,
            "activity_id": site.activity_id,
            # ExternalTaskEntity.createIncidentContext sets no failed activity.
            "failed_activity_id": None,
            "cause_incident_id": incident_id,
            "root_cause_incident_id": incident_id,
            "configuration": configuration,
            "incident_message": message,
        },
    )
    return incident_id


def resolve_incidents(uow: UnitOfWork, incident_type: str, configuration: str) -> None:
    """The open incidents of this type and configuration end as resolved (an external
    task's retries set above 0)."""
    uow.store.incidents.resolve(incident_type, configuration, now_millis())


def delete_incidents(uow: UnitOfWork, incident_type: str, configuration: str) -> None:
    """The open incidents of this type and configuration end as deleted (what they were
    about went away: completed, cancelled)."""
    uow.store.incidents.delete(incident_type, configuration, now_millis())


# The REST side.


def _filters() -> dict[str, tuple[str, Converter]]:
    """Camunda's parameter name -> (criterion, conversion), named alike."""
    table: dict[str, tuple[str, Converter]] = {}
    for name in (
        "incidentId",
        "incidentType",
        "incidentMessage",
        "incidentMessageLike",
        "processDefinitionId",
        "processInstanceId",
        "executionId",
        "activityId",
        "failedActivityId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
    ):
        table[name] = (inflection.underscore(name), as_is)
    for name in ("incidentTimestampBefore", "incidentTimestampAfter"):
        table[name] = (inflection.underscore(name), as_date)
    table["processDefinitionKeyIn"] = ("process_definition_key_in", as_list)
    table["tenantIdIn"] = ("tenant_id_in", as_list)
    table["jobDefinitionIdIn"] = ("job_definition_id_in", as_list)
    return table


SHAPE = QueryShape(noun="incident", filters=_filters())


def incident_query(parsed: ParsedQuery) -> StoreQuery[IncidentCriteria]:
    fields = dict(parsed.fields)
    # An empty list asks for nothing (IncidentQueryDto checks ``!isEmpty()``).
    for name in ("process_definition_key_in", "tenant_id_in", "job_definition_id_in"):
        if fields.get(name) == []:
            del fields[name]
    return StoreQuery(IncidentCriteria(**fields), sort_pairs(parsed, frozenset(SORTS)))


def incidents(uow: UnitOfWork, query: StoreQuery[IncidentCriteria], page: Page) -> list[Any]:
    found = uow.store.incidents.query(query.criteria, query.orderings, *page)
    return [incident_dto(record) for record in found]


def count(uow: UnitOfWork, query: StoreQuery[IncidentCriteria]) -> int:
    return uow.store.incidents.count(query.criteria)


def incident(uow: UnitOfWork, incident_id: str) -> dict[str, Any]:
    record = uow.store.incidents.get(incident_id)
    if record is None:
        raise NotFoundError(f"No matching incident with id {incident_id}")
    return incident_dto(record)


def set_annotation(uow: UnitOfWork, incident_id: str, annotation: str | None) -> None:
    """Set (or, ``None``, clear) the annotation; commits."""
    if not uow.store.incidents.annotate(incident_id, annotation):
        # SetAnnotationForIncidentCmd: ensureNotNull(BadUserRequestException, "incident").
        raise BadUserRequestError("incident is null")
    uow.commit()


def resolve(uow: UnitOfWork, incident_id: str) -> None:
    """``DELETE /incident/{id}`` (``ResolveIncidentCmd``): only an incident of a custom
    type; commits."""
    record = uow.store.incidents.get(incident_id)
    if record is None:
        raise NotFoundError(f"Cannot find an incident with id '{incident_id}': incident is null")
    if record.incident_type in (FAILED_JOB, FAILED_EXTERNAL_TASK):
        # IncidentResourceImpl turns the engine's BadUserRequestException into a 400
        # InvalidRequestException.
        raise InvalidRequestError(f"Cannot resolve an incident of type {record.incident_type}")
    uow.store.incidents.resolve_by_id(incident_id, now_millis())
    uow.commit()


def incident_dto(record: IncidentRecord) -> dict[str, Any]:
    """``IncidentDto``."""
    return {
        "id": record.id,
        "processDefinitionId": record.process_definition_id,
        "processInstanceId": record.process_instance_id,
        "executionId": record.execution_id,
        "incidentTimestamp": format_date(record.incident_timestamp),
        "incidentType": record.incident_type,
        "activityId": record.activity_id,
        "failedActivityId": record.failed_activity_id,
        "causeIncidentId": record.cause_incident_id,
        "rootCauseIncidentId": record.root_cause_incident_id,
        "configuration": record.configuration,
        "tenantId": record.tenant_id,
        "incidentMessage": record.incident_message,
        "jobDefinitionId": record.job_definition_id,
        "annotation": record.annotation,
    }
