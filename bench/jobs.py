"""Real timers in real ``taskvars serve`` processes, one and, on PostgreSQL, two sharing
the database: process instances of ``bench/timer.bpmn`` wait at an intermediate timer
(``timeDuration`` ``${pause}``) and then at a user task, so each timer job's execution is
the ``timer-intermediate-transition`` handler moving a real token on.

- **Throughput**: ``jobs`` instances are started with a pause that makes all their timers
  due at one moment after the starts; timers per second = timers / (the last timer event's
  end time - that moment). Each timer event's end time is its historic activity instance's
  (``history_activity_instance.end_time`` of ``Pause``), written in the job's transaction.
- **Lateness**: ``RATE`` timers per second for ``seconds`` s, due one after another, far
  below the throughput: per timer, its end time - its job's due date (read from the job
  table before the first is due); p50, p99 and the worst. This is the executor's wake-up
  precision: it sleeps until the next due date it knows of, woken sooner by an earlier one
  (in process, and by PostgreSQL ``NOTIFY`` from the other process).
- **Reference**, same run and database: a plain loop of one-row transactions (lock a job
  row, delete it, commit), the least a job's own unit of work costs there.

    python -m bench.jobs [--jobs 1000] [--seconds 10] [--no-postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import select, text

from taskvars.engine.catch_waits import INTERMEDIATE_TIMER_HANDLER
from taskvars.persistence.jobs import NewJob
from taskvars.persistence.models import HistoricActivityInstance, HistoricProcessInstance, Job
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services.dates import now_epoch_millis
from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body

MODEL = Path(__file__).with_name("timer.bpmn")
TIMER_EVENT = "Pause"
FULL_JOBS, QUICK_JOBS = 1000, 60
FULL_SECONDS, QUICK_SECONDS = 10, 1
RATE = 20  # timers due per second in the lateness run
CONNECTIONS = 8  # starting the instances
LEAD_MS = 3000  # from the last start to the first due date, at least
START_ESTIMATE_MS = 25  # per instance, to plan the throughput run's due moment
DEADLINE_SECONDS = 120


@dataclass
class Lateness:
    p50_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class JobsResult:
    jobs: int
    seconds: int
    reference_per_second: float = float("nan")
    per_second: dict[int, float] = field(default_factory=dict)  # by server processes
    lateness: dict[int, Lateness] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def run(jobs: int, url_factory: Callable[[Path, str], str] | None, seconds: int) -> JobsResult:
    result = JobsResult(jobs, seconds)
    process_counts = (1, 2) if url_factory is not None else (1,)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-jobs-") as scratch:
        directory = Path(scratch)
        result.reference_per_second = _reference(jobs, _url(url_factory, directory, "reference"))
        for count in process_counts:
            url = _url(url_factory, directory, f"timers{count}")
            _measure(count, url, directory, result)
    return result


def _url(factory: Callable[[Path, str], str] | None, directory: Path, name: str) -> str:
    return factory(directory, name) if factory else f"sqlite:///{directory / (name + '.db')}"


def _prepared(url: str) -> Database:
    from taskvars.persistence.migrate import upgrade

    database = Database(url)
    upgrade(database.engine)
    return database


def _reference(count: int, url: str) -> float:
    """One-row transactions: lock the job, delete it, commit; jobs per second."""
    database = _prepared(url)
    try:
        now = now_epoch_millis()
        jobs = [
            NewJob(
                id=str(uuid.uuid4()),
                type="timer",
                handler_type="reference",
                create_time=now,
                due_date=now,
            )
            for _ in range(count)
        ]

        def insert(uow: UnitOfWork) -> None:
            for job in jobs:
                uow.store.jobs.add(job)
            uow.commit()

        database.write(insert)
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


@contextmanager
def _servers(url: str, directory: Path, processes: int) -> Iterator[list[Server]]:
    with ExitStack() as stack:
        yield [
            stack.enter_context(running_server(url, directory, "--log-level", "warning"))
            for _ in range(processes)
        ]


def _measure(processes: int, url: str, directory: Path, result: JobsResult) -> None:
    database = _prepared(url)
    try:
        with _servers(url, directory, processes) as servers:
            clients = [httpx.Client(base_url=s.base_url, timeout=60) for s in servers]
            try:
                _deploy(clients[0])
                # Throughput: every timer due at one moment after the last start.
                moment = now_epoch_millis() + LEAD_MS + result.jobs * START_ESTIMATE_MS
                started_in = _start(clients, [moment] * result.jobs)
                dues = _dues(database)
                _check_lead(dues, result, f"{processes} process(es), throughput")
                fired = _fired(database, dues)
                last = max(fired.values())
                result.per_second[processes] = len(fired) / max((last - moment) / 1000, 0.001)
                # Lateness: RATE timers a second, planned with the start rate just seen.
                count = RATE * result.seconds
                lead = LEAD_MS + int(count * started_in / result.jobs * 1.5)
                first = now_epoch_millis() + lead
                _start(clients, [first + index * 1000 // RATE for index in range(count)])
                dues = _dues(database)
                _check_lead(dues, result, f"{processes} process(es), lateness")
                fired = _fired(database, dues)
                late = sorted(max(fired[instance] - due, 0) for instance, due in dues.items())
                result.lateness[processes] = Lateness(
                    statistics.median(late),
                    late[min(len(late) - 1, len(late) * 99 // 100)],
                    late[-1],
                )
            finally:
                for client in clients:
                    client.close()
    finally:
        database.dispose()


def _deploy(client: httpx.Client) -> None:
    deployed = client.post(
        "/deployment/create",
        content=multipart_body(Part("data", MODEL.read_bytes(), filename=MODEL.name)),
        headers={"Content-Type": content_type()},
    )
    deployed.raise_for_status()


def _start(clients: list[httpx.Client], due_moments: list[int]) -> int:
    """Starts one instance per due moment (epoch ms), its pause computed as it is sent,
    alternating between the servers; the milliseconds it took."""
    began = now_epoch_millis()

    def start(index: int) -> None:
        pause_ms = max(due_moments[index] - now_epoch_millis(), 0)
        started = clients[index % len(clients)].post(
            "/process-definition/key/benchTimer/start",
            json={"variables": {"pause": {"value": f"PT{pause_ms / 1000:.3f}S", "type": "String"}}},
        )
        started.raise_for_status()

    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(start, range(len(due_moments))))
    return now_epoch_millis() - began


def _dues(database: Database) -> dict[str, int]:
    """The waiting timers' due dates by process instance id (the earlier runs' are gone)."""
    statement = select(Job.process_instance_id, Job.due_date).where(
        Job.handler_type == INTERMEDIATE_TIMER_HANDLER
    )
    with database.engine.connect() as connection:
        return {pk: due for pk, due in connection.execute(statement).all()}


def _check_lead(dues: dict[str, int], result: JobsResult, what: str) -> None:
    if dues and min(dues.values()) <= now_epoch_millis():
        result.warnings.append(f"{what}: starting took longer than the lead; lateness overstated")


def _fired(database: Database, dues: dict[str, int]) -> dict[str, int]:
    """When each of these instances' timer event ended (epoch ms), once all have."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    statement = (
        select(HistoricProcessInstance.id, HistoricActivityInstance.end_time)
        .join(HistoricProcessInstance)
        .where(
            HistoricActivityInstance.activity_id == TIMER_EVENT,
            HistoricActivityInstance.end_time.is_not(None),
            HistoricProcessInstance.id.in_(list(dues)),
        )
    )
    while True:
        with database.engine.connect() as connection:
            rows = connection.execute(statement).all()
        if len(rows) >= len(dues):
            return {instance: _epoch_ms(end) for instance, end in rows}
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(rows)} of {len(dues)} timers fired in {DEADLINE_SECONDS} s")
        time.sleep(0.2)


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:  # SQLite gives them back naive, in UTC
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def title(result: JobsResult, database: str) -> str:
    return (
        f"Timer jobs, {database}: {result.jobs} timers due at one moment; "
        f"{RATE * result.seconds} due {RATE} a second for {result.seconds} s"
    )


def table_lines(result: JobsResult) -> list[str]:
    lines = [
        "| run | timers/s | x reference | lateness p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        f"| reference: lock, delete, commit one job row | {result.reference_per_second:.0f} "
        "| 1.00 |  |  |  |",
    ]
    for processes, rate in result.per_second.items():
        late = result.lateness.get(processes)
        name = "1 server process" if processes == 1 else f"{processes} server processes"
        lateness = f"{late.p50_ms:.0f} | {late.p99_ms:.0f} | {late.max_ms:.0f}" if late else " | |"
        lines.append(
            f"| {name} | {rate:.0f} | {rate / result.reference_per_second:.2f} | {lateness} |"
        )
    return lines


def print_table(result: JobsResult, database: str) -> None:
    print(title(result, database))
    for line in table_lines(result):
        print(line)
    for warning in result.warnings:
        print(f"  ({warning})")


def main(argv: list[str] | None = None) -> int:
    from bench.__main__ import DEFAULT_POSTGRES_URL, postgres_unreachable, schemas

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=FULL_JOBS)
    parser.add_argument("--seconds", type=int, default=FULL_SECONDS)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args(argv)
    with ExitStack() as stack:
        factories: dict[str, Callable[[Path, str], str] | None] = {"sqlite": None}
        if not arguments.no_postgres and postgres_unreachable(arguments.postgres_url) is None:
            factories["postgresql"] = schemas(arguments.postgres_url, stack)
        for database, factory in factories.items():
            print_table(run(arguments.jobs, factory, arguments.seconds), database)
            print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
