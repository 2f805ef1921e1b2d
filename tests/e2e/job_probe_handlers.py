"""A job handler for the multi-process tests, loaded into real ``taskvars serve``
processes by the ``sitecustomize`` of :func:`probe_environment`: each run of a
"probe-record" job inserts a row into ``job_probe_run`` in the job's own transaction,
so the table holds exactly the runs that committed."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import text

from taskvars.engine.job_handlers import handles
from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import now_epoch_millis

PROBE = "probe-record"
TABLE = "job_probe_run"
DELAY_VARIABLE = "JOB_PROBE_DELAY_SECONDS"
CREATE_TABLE = f"CREATE TABLE {TABLE} (job_id TEXT NOT NULL, pid INTEGER, due BIGINT, ran BIGINT)"


@handles(PROBE)
def record(uow: UnitOfWork, job: Job) -> None:
    delay = float(os.environ.get(DELAY_VARIABLE, "0"))
    if delay:
        time.sleep(delay)  # a job that takes a while, so that a kill finds some running
    uow.store.session.execute(
        text(f"INSERT INTO {TABLE} (job_id, pid, due, ran) VALUES (:job_id, :pid, :due, :ran)"),
        {"job_id": job.id, "pid": os.getpid(), "due": job.due_date, "ran": now_epoch_millis()},
    )
    uow.store.jobs.delete(job.pk)


def probe_environment(directory: Path, delay_seconds: float = 0) -> dict[str, str]:
    """Variables for a server process that registers the probe handler at startup."""
    repository = Path(__file__).resolve().parents[2]
    (directory / "sitecustomize.py").write_text(
        f"import sys\nsys.path.insert(0, {str(repository)!r})\n"
        "import tests.e2e.job_probe_handlers  # noqa: F401\n"
    )
    return {
        "PYTHONPATH": str(directory),
        DELAY_VARIABLE: str(delay_seconds),
    }
