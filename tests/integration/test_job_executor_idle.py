"""How long the idle executor waits: a due job another transaction holds (PostgreSQL's
SKIP LOCKED passed it over) is looked for again after a pause, not in a spin."""

from __future__ import annotations

from sqlalchemy import text

from taskvars.engine.job_executor import JobExecutor
from taskvars.persistence.unit_of_work import Database
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
