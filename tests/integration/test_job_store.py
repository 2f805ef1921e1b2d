"""The executor's side of ``store.jobs``: acquisition skips what another transaction is
acquiring (PostgreSQL), takes only due, active, unlocked jobs with retries left, and
says when the next one will be; a backup copies the jobs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from taskvars.persistence.backup import backup
from taskvars.persistence.unit_of_work import Database
from tests.databases import SessionDatabase, migrated_sqlite_database
from tests.job_probes import add_jobs, new_job

HOUR = 3_600_000


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def test_only_due_active_unlocked_jobs_with_retries_are_acquired(database: Database) -> None:
    due, later, *_refused = add_jobs(
        database,
        new_job(due_in_millis=0),
        new_job(due_in_millis=HOUR),
        new_job(due_in_millis=0, retries=0),
        new_job(due_in_millis=0, suspended=True),
        new_job(due_in_millis=0, lock_owner="other", lock_expiration_time=2**50),
    )
    with database.unit_of_work(write=True) as uow:
        now = 2**42  # in 2109: past every due date, not the other's lock
        acquired = uow.store.jobs.acquire(now, 10, "me", now + 1000)
        assert set(acquired) == {due, later}
        # What is left acquirable soonest: the two just taken, when their locks expire.
        assert uow.store.jobs.next_acquirable(now) == now + 1000
        uow.commit()


def test_the_next_acquirable_time_is_the_earliest_due_date_or_lock_expiry(
    database: Database,
) -> None:
    add_jobs(
        database,
        new_job(due_in_millis=None, due_date=5000, lock_owner="x", lock_expiration_time=9000),
        new_job(due_in_millis=None, due_date=7000),
        new_job(due_in_millis=None, due_date=1000, retries=0),
    )
    assert database.read(lambda uow: uow.store.jobs.next_acquirable(0)) == 7000


def test_concurrent_acquisitions_on_postgresql_take_disjoint_jobs(
    postgresql_session_database: SessionDatabase,
) -> None:
    postgresql_session_database.empty()
    database = Database(postgresql_session_database.url)
    try:
        ids = add_jobs(database, *(new_job(due_in_millis=0) for _ in range(6)))
        first = database.unit_of_work(write=True, own_transaction=True).open()
        second = database.unit_of_work(write=True, own_transaction=True).open()
        try:
            mine = first.store.jobs.acquire(2**42, 4, "first", 2**43)
            theirs = second.store.jobs.acquire(2**42, 4, "second", 2**43)  # does not wait
            assert len(mine) == 4
            assert sorted(mine + theirs) == sorted(ids)
            first.commit()
            second.commit()
        finally:
            first.close()
            second.close()
    finally:
        database.dispose()


def test_a_backup_copies_the_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'taskvars.db'}"
    with migrated_sqlite_database(tmp_path) as session_database:
        database = Database(session_database.url)
        (job_id,) = add_jobs(database, new_job(due_in_millis=HOUR))
        database.dispose()
        backup(url, tmp_path / "copy")
    copy = Database(f"sqlite:///{tmp_path / 'copy' / 'taskvars.db'}")
    try:
        with copy.engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM job")).scalars().all() == [job_id]
    finally:
        copy.dispose()
