"""How long the idle executor waits: a due job another transaction holds (PostgreSQL's
SKIP LOCKED passed it over) is looked for again after a pause, not in a spin; a database
that is gone is said once, and tried again after the error backoff."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import text

from taskvars.engine.job_executor import ExecutorOptions, JobExecutor
from taskvars.persistence.unit_of_work import Database
from tests import job_probes
from tests.databases import SessionDatabase
from tests.job_probes import add_jobs, new_job


def test_a_due_job_whose_row_another_transaction_holds_does_not_make_the_executor_spin(
    postgresql_session_database: SessionDatabase,
) -> None:
    postgresql_session_database.empty()
    database = Database(postgresql_session_database.url)
    try:
        (job_id,) = add_jobs(database, new_job(due_in_millis=-1000))
        executor = JobExecutor(database, postgresql_session_database.url)  # not started
        holder = database.engine.connect()
        try:
            holder.begin()  # as POST /job/{id}/execute holds the row while the job runs
            holder.execute(text("SELECT id FROM job WHERE id = :id FOR UPDATE"), {"id": job_id})
            assert database.write(executor._acquire) == []
            assert executor._idle_wait() > 0
        finally:
            holder.close()
        # Released, it is taken at once.
        assert database.write(executor._acquire) == [job_id]
    finally:
        database.dispose()


def test_a_database_that_is_gone_is_said_once_and_no_round_counts_as_settled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = "postgresql://postgres@127.0.0.1:1/gone"  # nothing listens there
    database = Database(url)
    executor = JobExecutor(database, url, ExecutorOptions(error_backoff_seconds=0.01))
    caplog.set_level(logging.DEBUG, logger="taskvars.engine.job_executor")
    executor.start()
    try:
        # Every round fails: the due jobs are not known to have run.
        assert executor.run_due(1.0) is False
    finally:
        executor.stop()
        database.dispose()
    said = [r for r in caplog.records if r.name == "taskvars.engine.job_executor"]
    assert len([r for r in said if r.levelno >= logging.WARNING]) >= 1
    failed_rounds = [r for r in said if "failed to acquire" in r.getMessage()]
    assert len(failed_rounds) > 2  # it kept trying
    assert [r.levelno >= logging.WARNING for r in failed_rounds].count(True) == 1


def test_a_stopping_executor_finishes_the_job_it_runs_and_gives_up_the_others(
    session_database: SessionDatabase,
) -> None:
    session_database.empty()
    database = Database(session_database.url)
    job_probes.entered.clear()
    job_probes.gate.clear()
    running, waiting = add_jobs(
        database, new_job(job_probes.BLOCK, due_in_millis=-2000), new_job(due_in_millis=-1000)
    )
    executor = JobExecutor(database, session_database.url, ExecutorOptions(threads=1))
    executor.start()
    try:
        assert job_probes.entered.wait(20)  # the first runs; both are locked
        stopper = threading.Thread(target=executor.stop)
        stopper.start()
        while not executor._stopping.is_set():
            time.sleep(0.01)
        job_probes.gate.set()
        stopper.join(20)
        assert not stopper.is_alive()
        assert job_probes.ran[running] == 1
        assert job_probes.ran[waiting] == 0
        left = database.read(lambda uow: uow.store.jobs.get(waiting))
        assert left is not None
        assert (left.lock_owner, left.lock_expiration_time) == (None, None)
    finally:
        job_probes.gate.set()
        executor.stop()
        database.dispose()
