"""Driving catch events from a test: deploy a model, read an instance's jobs and event
subscriptions, run a job through its handler (as the executor will) and fire a wait (as
message correlation will), each in a unit of work of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskvars.engine.events import fire_wait
from taskvars.engine.job_handlers import run_job
from taskvars.persistence.models import ScopeKind
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef
from taskvars.services.variables import convert_values
from tests.api_client import Api
from tests.multipart_bodies import Part

BPMN = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str) -> None:
    deployed = api.post_parts(
        "/deployment/create",
        Part("deployment-name", file_name, content_type="text/plain"),
        Part("data", (BPMN / file_name).read_bytes(), filename=file_name),
    )
    assert deployed.status_code == 200, deployed.text


def start(api: Api, key: str, variables: dict[str, Any] | None = None) -> str:
    started = api.client.post(
        api.url(f"/process-definition/key/{key}/start"), json={"variables": variables or {}}
    )
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


@dataclass(frozen=True)
class JobRow:
    id: str
    handler_type: str
    activity_id: str | None
    execution_id: str | None
    due_date: int | None
    create_time: int


@dataclass(frozen=True)
class SubscriptionRow:
    event_type: str
    event_name: str | None
    activity_id: str
    execution_id: str | None
    wait_key: str | None


def _read(db_url: str, read: Any) -> Any:
    database = Database(db_url)
    try:
        return database.write(read)
    finally:
        database.dispose()


def _instance(uow: UnitOfWork, instance_id: str) -> ScopeRef:
    found = uow.store.process_instances.get(instance_id)
    assert found is not None, instance_id
    return ScopeRef(found.pk, ScopeKind.PROCESS_INSTANCE, instance_id)


def jobs(db_url: str, instance_id: str) -> list[JobRow]:
    def read(uow: UnitOfWork) -> list[JobRow]:
        rows = uow.store.jobs.due_for_instance(_instance(uow, instance_id).pk)
        return [
            JobRow(r.id, r.handler_type, r.activity_id, r.execution_id, r.due_date, r.create_time)
            for r in rows
        ]

    found: list[JobRow] = _read(db_url, read)
    return found


def subscriptions(db_url: str, instance_id: str) -> list[SubscriptionRow]:
    def read(uow: UnitOfWork) -> list[SubscriptionRow]:
        rows = uow.store.event_subscriptions.for_instance(_instance(uow, instance_id).pk)
        return [
            SubscriptionRow(r.event_type, r.event_name, r.activity_id, r.execution_id, r.wait_key)
            for r in rows
        ]

    found: list[SubscriptionRow] = _read(db_url, read)
    return found


def execute_job(db_url: str, job_id: str) -> None:
    def write(uow: UnitOfWork) -> None:
        job = uow.store.jobs.get(job_id)
        assert job is not None, job_id
        run_job(uow, job)
        uow.commit()

    _read(db_url, write)


def fire(
    db_url: str,
    instance_id: str,
    wait_key: str,
    variables: dict[str, Any] | None = None,
    local_variables: dict[str, Any] | None = None,
) -> None:
    def converted(values: dict[str, Any] | None) -> dict[str, NewValue] | None:
        return None if values is None else convert_values(values)

    def write(uow: UnitOfWork) -> None:
        fire_wait(
            uow,
            _instance(uow, instance_id),
            wait_key,
            variables=converted(variables),
            local_variables=converted(local_variables),
        )
        uow.commit()

    _read(db_url, write)
