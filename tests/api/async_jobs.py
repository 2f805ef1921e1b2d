"""Jobs of a test's instances as their rows hold them (``/job`` answers no handler,
configuration or retry cycle)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import Database, UnitOfWork


@dataclass(frozen=True)
class JobRow:
    id: str
    type: str
    handler_type: str
    handler_configuration: str | None
    activity_id: str | None
    execution_id: str | None
    retry_time_cycle: str | None
    priority: int
    suspended: bool


def jobs_of(db_url: str, instance_id: str) -> list[JobRow]:
    def read(uow: UnitOfWork) -> list[JobRow]:
        rows = uow.store.session.scalars(
            select(Job).where(Job.process_instance_id == instance_id).order_by(Job.pk)
        )
        return [
            JobRow(
                row.id,
                row.type,
                row.handler_type,
                row.handler_configuration,
                row.activity_id,
                row.execution_id,
                row.retry_time_cycle,
                row.priority,
                bool(row.suspended),
            )
            for row in rows
        ]

    database = Database(db_url)
    try:
        return database.read(read)
    finally:
        database.dispose()
