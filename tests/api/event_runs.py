"""Driving catch events from a test: deploy a model, read an instance's jobs and event
subscriptions, run a job through its handler (as the executor will) and fire a wait (as
message correlation will), each in a unit of work of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from taskvars.engine.events import fire_wait, start_by_event
from taskvars.engine.job_handlers import run_job
from taskvars.engine.signals import Tenants, broadcast
from taskvars.persistence.models import EventSubscription, Job, ScopeKind
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


def start(api: Api, key: str, variables: dict[str, Any] | None = None, **body: Any) -> str:
    """``body``: more of the start request (``businessKey``)."""
    started = api.client.post(
        api.url(f"/process-definition/key/{key}/start"),
        json={"variables": variables or {}, **body},
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


def definition_jobs(db_url: str, key: str) -> list[JobRow]:
    """The jobs of a definition key's definitions themselves (timer start events)."""

    def read(uow: UnitOfWork) -> list[JobRow]:
        rows = uow.store.session.scalars(
            select(Job)
            .where(Job.process_definition_key == key, Job.definition_pk.is_not(None))
            .order_by(Job.pk)
        )
        return [
            JobRow(r.id, r.handler_type, r.activity_id, r.execution_id, r.due_date, r.create_time)
            for r in rows
        ]

    found: list[JobRow] = _read(db_url, read)
    return found


def definition_subscriptions(db_url: str) -> list[tuple[str, str | None, str, str | None]]:
    """Every start event subscription: type, name, activity and definition id."""

    def read(uow: UnitOfWork) -> list[tuple[str, str | None, str, str | None]]:
        rows = uow.store.session.scalars(
            select(EventSubscription)
            .where(EventSubscription.definition_pk.is_not(None))
            .order_by(EventSubscription.activity_id)
        )
        return [(r.event_type, r.event_name, r.activity_id, r.process_definition_id) for r in rows]

    found: list[tuple[str, str | None, str, str | None]] = _read(db_url, read)
    return found


def start_at_event(
    db_url: str, key: str, start_event_id: str, business_key: str | None = None
) -> str:
    def write(uow: UnitOfWork) -> str:
        definition = uow.store.definitions.latest(key, None)
        assert definition is not None, key
        started = start_by_event(uow, definition, start_event_id, {}, business_key)
        uow.commit()
        return started.instance_id

    found: str = _read(db_url, write)
    return found


def broadcast_signal(db_url: str, name: str, variables: dict[str, Any] | None = None) -> None:
    def write(uow: UnitOfWork) -> None:
        broadcast(uow, name, convert_values(variables or {}), Tenants())
        uow.commit()

    _read(db_url, write)
