"""Two real server processes on one PostgreSQL database share the due jobs: each job
runs exactly once, and the jobs a killed process had locked are run by the other once
their locks expire."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from taskvars.persistence.jobs import NewJob
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services.dates import now_epoch_millis
from tests.databases import SessionDatabase
from tests.e2e.job_probe_handlers import CREATE_TABLE, PROBE, TABLE, probe_environment
from tests.e2e.server import running_server
from tests.e2e.test_crash_consistency import kill

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def database(postgresql_session_database: SessionDatabase) -> Iterator[Database]:
    postgresql_session_database.empty()
    opened = Database(postgresql_session_database.url)
    with opened.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        connection.execute(text(CREATE_TABLE))
    yield opened
    with opened.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
    opened.dispose()


def add_due_jobs(database: Database, count: int) -> list[str]:
    now = now_epoch_millis()
    ids = [str(uuid.uuid4()) for _ in range(count)]

    def work(uow: UnitOfWork) -> None:
        for job_id in ids:
            uow.store.jobs.add(
                NewJob(id=job_id, type="timer", handler_type=PROBE, create_time=now, due_date=now)
            )
        uow.commit()

    database.write(work)
    return ids


def scalar(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def wait_until_no_jobs(database: Database, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while scalar(database, "SELECT count(*) FROM job") and time.monotonic() < deadline:
        time.sleep(0.2)


def test_two_processes_run_a_thousand_due_jobs_each_exactly_once(
    database: Database, tmp_path: Path
) -> None:
    url = str(database.engine.url.render_as_string(hide_password=False))
    env = probe_environment(tmp_path)
    with running_server(url, tmp_path, env=env), running_server(url, tmp_path, env=env):
        ids = add_due_jobs(database, 1000)
        wait_until_no_jobs(database, 120)
        assert scalar(database, "SELECT count(*) FROM job") == 0
    runs = scalar(database, f"SELECT count(*) FROM {TABLE}")
    distinct = scalar(database, f"SELECT count(DISTINCT job_id) FROM {TABLE}")
    assert (runs, distinct) == (len(ids), len(ids))
    # Both processes took a share (each wakes on the NOTIFY of the insert).
    assert scalar(database, f"SELECT count(DISTINCT pid) FROM {TABLE}") == 2


def test_the_jobs_a_killed_process_locked_run_in_the_other_after_the_lock_expires(
    database: Database, tmp_path: Path
) -> None:
    url = str(database.engine.url.render_as_string(hide_password=False))
    env = probe_environment(tmp_path, delay_seconds=0.2)
    lock = ("--job-lock-millis", "3000")
    with (
        running_server(url, tmp_path, *lock, env=env),
        running_server(url, tmp_path, *lock, env=env) as doomed,
    ):
        ids = add_due_jobs(database, 100)
        pid = doomed.process.pid
        deadline = time.monotonic() + 30
        while scalar(database, f"SELECT count(*) FROM {TABLE} WHERE pid = {pid}") < 3:
            assert time.monotonic() < deadline, "the process to kill ran no job"
            time.sleep(0.02)
        kill(doomed)
        # Jobs it had acquired (a batch, a few running) and never finished.
        orphaned = scalar(database, f"SELECT count(*) FROM job WHERE lock_owner LIKE '%:{pid}:%'")
        assert orphaned > 0
        wait_until_no_jobs(database, 60)
    assert scalar(database, "SELECT count(*) FROM job") == 0
    assert scalar(database, f"SELECT count(*) FROM {TABLE}") == len(ids)
    assert scalar(database, f"SELECT count(DISTINCT job_id) FROM {TABLE}") == len(ids)
