"""Job handlers for tests only: jobs inserted with ``store.jobs.add`` under these types
run, and fail, through the real executor while the engine's own job types land."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import update

from taskvars.engine.job_handlers import handles
from taskvars.persistence.jobs import NewJob
from taskvars.persistence.models import Job
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import ConcurrentModificationError, DatabaseUnreachableError
from taskvars.services.dates import now_epoch_millis

SUCCEED = "test-succeed"
FAIL = "test-fail"
# Meets the database gone on its first run, succeeds on the next.
UNREACHABLE_ONCE = "test-unreachable-once"

# Job ids as their handler ran them (committed or not), in this process.
ran: Counter[str] = Counter()
_lock = threading.Lock()


@handles(SUCCEED)
def succeed(uow: UnitOfWork, job: Job) -> None:
    with _lock:
        ran[job.id] += 1
    uow.store.jobs.delete(job.pk)


@handles(FAIL)
def fail(uow: UnitOfWork, job: Job) -> None:
    raise RuntimeError(f"boom {job.handler_configuration or ''}".strip())


# Jobs that wait for ``gate`` once ``entered`` is told, then succeed.
BLOCK = "test-block"
entered = threading.Event()
gate = threading.Event()


@handles(BLOCK)
def block(uow: UnitOfWork, job: Job) -> None:
    entered.set()
    gate.wait(30)
    succeed(uow, job)


# Job ids whose handler met the database gone.
unreachable: Counter[str] = Counter()


@handles(UNREACHABLE_ONCE)
def unreachable_once(uow: UnitOfWork, job: Job) -> None:
    with _lock:
        first = unreachable[job.id] == 0
        if first:
            unreachable[job.id] += 1
    if first:
        raise DatabaseUnreachableError("The database is unavailable: the connection was lost")
    succeed(uow, job)


@dataclass(frozen=True)
class Probe:
    """A job to add, and columns the engine sets later (locks, failures, suspension)."""

    job: NewJob
    later: dict[str, object]


def new_job(
    handler_type: str = SUCCEED, *, due_in_millis: int | None = 0, **fields: object
) -> Probe:
    now = now_epoch_millis()
    known = {name: value for name, value in fields.items() if name in NewJob.__annotations__}
    later = {name: value for name, value in fields.items() if name not in known}
    job = NewJob(
        id=str(uuid.uuid4()),
        type="timer",
        handler_type=handler_type,
        create_time=now,
        due_date=None if due_in_millis is None else now + due_in_millis,
    )
    return Probe(replace(job, **known), later)  # type: ignore[arg-type]


def add_jobs(database: Database, *probes: Probe) -> list[str]:
    def work(uow: UnitOfWork) -> list[str]:
        for probe in probes:
            pk = uow.store.jobs.add(probe.job)
            if probe.later:
                uow.store.session.execute(update(Job).where(Job.pk == pk).values(**probe.later))
        uow.commit()
        return [probe.job.id for probe in probes]

    return database.write(work)


# Loses a race every time it runs (as a constraint its own work breaks at commit does).
ALWAYS_RACES = "test-always-races"
races: Counter[str] = Counter()


@handles(ALWAYS_RACES)
def always_races(uow: UnitOfWork, job: Job) -> None:
    with _lock:
        races[job.id] += 1
    raise ConcurrentModificationError("the job's row changed meanwhile")
