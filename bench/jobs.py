"""Timer jobs executed per second and their lateness (due time to execution), with one
server process and, on PostgreSQL, two sharing the database; beside a reference from
the same run: a plain loop of one-row transactions (lock the row, delete it, commit),
the least a job's own unit of work costs on that database.

The jobs (a test-only handler that records when it ran, in the job's transaction; see
tests/e2e/job_probe_handlers.py) are all inserted in one transaction, due over the next
``SPREAD_MS`` from a moment after the servers started, so the executors sleep until
the first is due and run them as they fall due.

    python -m bench.jobs [--jobs 2000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from taskvars.persistence.jobs import NewJob
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services.dates import now_epoch_millis
from tests.e2e.job_probe_handlers import CREATE_TABLE, PROBE, TABLE, probe_environment
from tests.e2e.server import running_server

FULL_JOBS, QUICK_JOBS = 2000, 100
LEAD_MS = 10_000  # from the insert to the first due date: the servers start meanwhile
SPREAD_MS = 1000  # the due dates spread over this long
DEADLINE_SECONDS = 300


@dataclass
class JobsResult:
    jobs: int
    reference_per_second: float = float("nan")
    per_second: dict[int, float] = field(default_factory=dict)  # by server processes
    lateness_p50_ms: dict[int, float] = field(default_factory=dict)
    lateness_p99_ms: dict[int, float] = field(default_factory=dict)


def run(jobs: int, url_factory: Callable[[Path, str], str] | None) -> JobsResult:
    result = JobsResult(jobs)
    process_counts = (1, 2) if url_factory is not None else (1,)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-jobs-") as scratch:
        directory = Path(scratch)
        result.reference_per_second = _reference(jobs, _url(url_factory, directory, "reference"))
        for count in process_counts:
            url = _url(url_factory, directory, f"jobs{count}")
            _measure(jobs, count, url, directory, result)
    return result


def _url(factory: Callable[[Path, str], str] | None, directory: Path, name: str) -> str:
    return factory(directory, name) if factory else f"sqlite:///{directory / (name + '.db')}"


def _prepared(url: str) -> Database:
    from taskvars.persistence.migrate import upgrade

    database = Database(url)
    upgrade(database.engine)
    with database.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))
        connection.execute(text(CREATE_TABLE))
    return database


def _new_jobs(count: int, first_due: int) -> list[NewJob]:
    now = now_epoch_millis()
    return [
        NewJob(
            id=str(uuid.uuid4()),
            type="timer",
            handler_type=PROBE,
            create_time=now,
            due_date=first_due + index * SPREAD_MS // max(count, 1),
        )
        for index in range(count)
    ]


def _insert(database: Database, jobs: list[NewJob]) -> None:
    def work(uow: UnitOfWork) -> None:
        for job in jobs:
            uow.store.jobs.add(job)
        uow.commit()

    database.write(work)


def _reference(count: int, url: str) -> float:
    """One-row transactions: lock the job, delete it, commit; jobs per second."""
    database = _prepared(url)
    try:
        _insert(database, _new_jobs(count, 0))
        with database.engine.connect() as connection:
            pks = list(connection.execute(text("SELECT pk FROM job")).scalars())
        started = time.perf_counter()
        for pk in pks:
            with database.engine.begin() as connection:
                connection.execute(
                    text("UPDATE job SET lock_owner = 'reference' WHERE pk = :pk"), {"pk": pk}
                )
                connection.execute(text("DELETE FROM job WHERE pk = :pk"), {"pk": pk})
        return len(pks) / (time.perf_counter() - started)
    finally:
        database.dispose()


def _measure(count: int, processes: int, url: str, directory: Path, result: JobsResult) -> None:
    database = _prepared(url)
    try:
        env = probe_environment(directory)
        # Inserted before the servers start, which read the next due date on start: on
        # SQLite an insert of another process is not announced to a running server.
        first_due = now_epoch_millis() + LEAD_MS
        _insert(database, _new_jobs(count, first_due))
        with ExitStack() as servers:
            for _ in range(processes):
                servers.enter_context(
                    running_server(url, directory, "--log-level", "warning", env=env)
                )
            if now_epoch_millis() > first_due:
                print("  (the servers took longer to start than the lead: lateness overstated)")
            deadline = time.monotonic() + DEADLINE_SECONDS
            while _scalar(database, "SELECT count(*) FROM job") and time.monotonic() < deadline:
                time.sleep(0.1)
        with database.engine.connect() as connection:
            rows = connection.execute(text(f"SELECT due, ran FROM {TABLE}")).all()
        lateness = sorted(max(ran - due, 0) for due, ran in rows)
        last = max(ran for _, ran in rows)
        result.per_second[processes] = len(rows) / max((last - first_due) / 1000, 0.001)
        result.lateness_p50_ms[processes] = statistics.median(lateness)
        result.lateness_p99_ms[processes] = lateness[
            min(len(lateness) - 1, len(lateness) * 99 // 100)
        ]
    finally:
        database.dispose()


def _scalar(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def print_table(result: JobsResult, database: str) -> None:
    print(f"Timer jobs on {database}: {result.jobs} due over {SPREAD_MS} ms")
    print(f"  reference (lock, delete, commit per row): {result.reference_per_second:8.0f} /s")
    for processes, rate in result.per_second.items():
        print(
            f"  {processes} server process{'es' if processes > 1 else '  '}: "
            f"{rate:8.0f} jobs/s, lateness p50 {result.lateness_p50_ms[processes]:.0f} ms, "
            f"p99 {result.lateness_p99_ms[processes]:.0f} ms"
        )


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import DEFAULT_POSTGRES_URL, postgres_unreachable, schemas

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=FULL_JOBS)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args(argv)
    with ExitStack() as stack:
        factories: dict[str, Callable[[Path, str], str] | None] = {"sqlite": None}
        if not arguments.no_postgres and postgres_unreachable(arguments.postgres_url) is None:
            factories["postgresql"] = schemas(arguments.postgres_url, stack)
        for database, factory in factories.items():
            print_table(run(arguments.jobs, factory), database)
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
