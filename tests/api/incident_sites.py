"""Incidents opened, resolved and deleted through the engine's service API (as external
tasks do), on a deployed invoice model's process instance waiting in its first task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import incidents
from taskvars.services.incidents import FAILED_EXTERNAL_TASK, IncidentSite
from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"
CUSTOM = "customIncident"


@dataclass(frozen=True)
class Waiting:
    """A started invoice waiting in its first user task."""

    instance_id: str
    execution_id: str
    activity_id: str
    definition_id: str


def start_invoice(api: Api, business_key: str = "INV-1") -> Waiting:
    deployed = api.post_parts(
        "/deployment/create",
        Part("enable-duplicate-filtering", "true", content_type="text/plain"),
        Part("deployment-name", "invoices", content_type="text/plain"),
        Part("data", (MODELS / "invoice.bpmn").read_bytes(), filename="invoice.bpmn"),
    )
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"businessKey": business_key, "variables": {"clerk": {"value": "anna"}}},
    )
    assert started.status_code == 200, started.text
    instance = started.json()
    (task,) = api.get("/task", processInstanceId=instance["id"]).json()
    return Waiting(
        instance["id"], task["executionId"], task["taskDefinitionKey"], instance["definitionId"]
    )


def open_incident(
    database: Database,
    at: Waiting,
    configuration: str,
    message: str | None,
    incident_type: str = FAILED_EXTERNAL_TASK,
) -> str:
    def work(uow: UnitOfWork) -> str:
        instance_pk = uow.store.scopes.pk(IdSpace.EXECUTION, at.instance_id)
        assert instance_pk is not None
        site = IncidentSite(
            instance_pk, at.instance_id, at.execution_id, at.activity_id, at.definition_id, None
        )
        incident_id = incidents.open_incident(uow, incident_type, configuration, message, site)
        uow.commit()
        return incident_id

    return database.write(work)


def resolve(
    database: Database, configuration: str, incident_type: str = FAILED_EXTERNAL_TASK
) -> None:
    def work(uow: UnitOfWork) -> None:
        incidents.resolve_incidents(uow, incident_type, configuration)
        uow.commit()

    database.write(work)


def delete(
    database: Database, configuration: str, incident_type: str = FAILED_EXTERNAL_TASK
) -> None:
    def work(uow: UnitOfWork) -> None:
        incidents.delete_incidents(uow, incident_type, configuration)
        uow.commit()

    database.write(work)
