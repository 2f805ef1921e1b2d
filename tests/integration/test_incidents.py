"""The engine's incident API in its caller's unit of work: nothing is committed for it,
and ending incidents that are not there changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskvars.persistence.history_incidents import HistoricIncidentCriteria
from taskvars.persistence.incidents import IncidentCriteria
from taskvars.persistence.models import ScopeKind
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import incidents
from taskvars.services.incidents import FAILED_EXTERNAL_TASK, IncidentSite


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def instance_site(uow: UnitOfWork, instance_id: str) -> IncidentSite:
    """A process instance (no model runs it, so history does not record it)."""
    pk = uow.store.scopes.add(ScopeKind.PROCESS_INSTANCE, instance_id, None)
    return IncidentSite(pk, instance_id, instance_id, "serviceTask", "def:1:x", None)


def open_count(database: Database) -> int:
    return database.read(lambda uow: uow.store.incidents.count(IncidentCriteria()))


def test_an_incident_opened_in_a_unit_of_work_that_does_not_commit_is_gone(
    database: Database,
) -> None:
    def work(uow: UnitOfWork) -> str:
        site = instance_site(uow, "pi-1")
        return incidents.open_incident(uow, FAILED_EXTERNAL_TASK, "task-1", "boom", site)

    assert database.write(work)
    assert open_count(database) == 0


def test_an_incident_opened_with_the_callers_commit_stays_open(database: Database) -> None:
    def work(uow: UnitOfWork) -> None:
        site = instance_site(uow, "pi-1")
        incidents.open_incident(uow, FAILED_EXTERNAL_TASK, "task-1", "boom", site)
        uow.commit()

    database.write(work)
    assert open_count(database) == 1


def test_ending_incidents_that_are_not_there_changes_nothing(database: Database) -> None:
    def work(uow: UnitOfWork) -> None:
        site = instance_site(uow, "pi-1")
        incidents.open_incident(uow, FAILED_EXTERNAL_TASK, "task-1", "boom", site)
        incidents.resolve_incidents(uow, FAILED_EXTERNAL_TASK, "task-2")
        incidents.delete_incidents(uow, "customIncident", "task-1")
        uow.commit()

    database.write(work)
    assert open_count(database) == 1


def test_an_instance_without_history_keeps_its_incidents_at_runtime_only(
    database: Database,
) -> None:
    def work(uow: UnitOfWork) -> None:
        site = instance_site(uow, "pi-1")
        incidents.open_incident(uow, FAILED_EXTERNAL_TASK, "task-1", "boom", site)
        uow.commit()

    database.write(work)
    recorded = database.read(
        lambda uow: uow.store.historic_incidents.count(HistoricIncidentCriteria())
    )
    assert recorded == 0
