"""Latency of the task query (``GET``/``POST /task`` and ``/task/count``) over a large
database: 100,000 tasks in 10,000 process instances and 1,000,000 variables.

Each process instance holds 10 process variables (String, Integer, Double, Boolean) and
10 tasks, each task 9 task-local variables; a third of the tasks are unassigned, 40 %
have a candidate group. The queries filter by variables (the ``EXISTS`` subqueries of
``taskvars/persistence/task_query.py``), page with ``maxResults=50`` and sort. The
database is filled through the store's tables directly, then served by a real
``taskvars serve``; requests go one at a time over one kept-alive connection, on SQLite
and, when it is reachable, on PostgreSQL (analyzed after the fill, as autovacuum would
have it; SQLite is analyzed by the server itself when it starts, see
``taskvars/persistence/statistics.py``). Each query gets 200 requests or 30 s, whichever
ends first. Prints median and p99 in ms, and the count's median over the single-task
read's (issue 26's target: at most 3x). The count is asked twice: repeated on unchanged
data, as task lists poll it (answered from the count kept, see
``taskvars/persistence/count_reuse.py``), and right after a write (a task variable the
count does not read, written outside the timed part), which makes it count anew.

    python -m bench.task_query [--quick] [--requests 200] [--seconds 30] [--no-postgres]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import insert, text

from bench.variables import Latency
from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import (
    IdentityLink,
    ProcessInstance,
    Scope,
    ScopeKind,
    Task,
    Variable,
)
from taskvars.persistence.unit_of_work import Database
from tests.e2e.server import running_server

FULL_TASKS = 100_000
QUICK_TASKS = 2_000
FULL_REQUESTS = 200
QUICK_REQUESTS = 20
# Time given to each query's samples (and a quarter of it to its warm-up requests): a
# query that regresses to seconds ends the run with fewer samples instead of hours.
SECONDS_PER_QUERY = 30.0
# A loaded machine (the bench shares it) can take long to import and start the server.
STARTUP_SECONDS = 120.0
TASKS_PER_INSTANCE = 10
# Process instances whose rows go in together: 5,500 scopes, 50,000 variables.
CHUNK_INSTANCES = 500
PAGE = 50

DEFINITION_KEYS = ("invoice", "order", "claim", "onboarding")
REGIONS = ("north", "south", "east", "west", "central")
STATUSES = ("open", "waiting", "escalated")
OUTCOMES = ("approve", "reject", "pending")
GROUPS = ("sales", "accounting", "management", "support", "legal")
USERS = tuple(f"user{n}" for n in range(50))
STEP_NAMES = tuple(
    f"{verb} {noun}"
    for verb, noun in [
        ("Check", "order"),
        ("Review", "invoice"),
        ("Approve", "payment"),
        ("Ship", "goods"),
        ("Call", "customer"),
        ("Scan", "documents"),
        ("Verify", "identity"),
        ("Assess", "risk"),
        ("Sign", "contract"),
        ("Archive", "case"),
    ]
)
START = datetime(2026, 1, 1, tzinfo=UTC)
_Row = dict[str, Any]


@dataclass(frozen=True)
class TaskQueryResult:
    tasks: int
    variables: int
    fill_seconds: float
    queries: dict[str, QueryResult]  # by label

    def count_over_single_read(self, label: str | None = None) -> float:
        """The count's median latency (the row ``label``, default the count on unchanged
        data) over the single-task read's, in the same run."""
        count = self.queries[label or COUNT_LABEL]
        return count.latency.p50_ms / self.queries[REFERENCE_LABEL].latency.p50_ms


@dataclass(frozen=True)
class QueryResult:
    matching: int  # tasks matching the query (its count)
    samples: int  # requests timed
    latency: Latency
    # The server's CPU time per timed request (its SQLite work included; PostgreSQL's
    # is the database's own): what a request costs whatever the machine's load.
    server_cpu_ms: float


# Variable rows: every key in every row, as one executemany needs.
def _string(scope_pk: int, name: str, value: str) -> _Row:
    return _variable(scope_pk, name, "String", value, None, None)


def _integer(scope_pk: int, name: str, value: int) -> _Row:
    return _variable(scope_pk, name, "Integer", str(value), value, None)


def _double(scope_pk: int, name: str, value: float) -> _Row:
    return _variable(scope_pk, name, "Double", repr(value), None, value)


def _boolean(scope_pk: int, name: str, value: bool) -> _Row:
    return _variable(scope_pk, name, "Boolean", "true" if value else "false", int(value), None)


def _variable(
    scope_pk: int, name: str, kind: str, text_value: str, long: int | None, double: float | None
) -> _Row:
    return {
        "id": str(uuid.uuid4()),
        "scope_pk": scope_pk,
        "name": name,
        "type": kind,
        "text_value": text_value,
        "long_value": long,
        "double_value": double,
        "revision": 1,
    }


def _process_variables(pk: int, n: int, draw: random.Random) -> list[_Row]:
    return [
        _string(pk, "customer", f"customer{n % 997}"),
        _string(pk, "region", REGIONS[n % len(REGIONS)]),
        _string(pk, "status", draw.choice(STATUSES)),
        _string(pk, "reference", f"REF-{n:08d}"),
        _integer(pk, "amount", draw.randrange(10_000)),
        _integer(pk, "items", draw.randrange(1, 50)),
        _double(pk, "discount", round(draw.random() * 0.3, 4)),
        _double(pk, "score", round(draw.random() * 100, 2)),
        _boolean(pk, "approved", draw.random() < 0.5),
        _boolean(pk, "urgent", draw.random() < 0.1),
    ]


def _task_variables(pk: int, step: int, draw: random.Random) -> list[_Row]:
    return [
        _string(pk, "outcome", draw.choice(OUTCOMES)),
        _string(pk, "comment", f"note {draw.randrange(10_000)} on step {step}"),
        _string(pk, "form", f"form-{step}"),
        _integer(pk, "attempts", draw.randrange(5)),
        _integer(pk, "level", draw.randrange(1, 4)),
        _double(pk, "weight", round(draw.random(), 4)),
        _double(pk, "ratio", round(draw.random() * 10, 3)),
        _boolean(pk, "checked", draw.random() < 0.5),
        _boolean(pk, "flagged", draw.random() < 0.05),
    ]


def _rows(first: int, count: int, instances: int, draw: random.Random) -> dict[Any, list[_Row]]:
    """The rows of process instances ``first`` to ``first + count - 1`` of ``instances``,
    by table. Scope pks are given here: process instances 1..instances, tasks after."""
    tables: dict[Any, list[_Row]] = {
        table: [] for table in (Scope, ProcessInstance, Task, IdentityLink, Variable)
    }
    for n in range(first, first + count):
        pi_pk = n + 1
        tables[Scope].append(_scope(pi_pk, f"pi-{n}", ScopeKind.PROCESS_INSTANCE, None))
        tables[ProcessInstance].append(
            {
                "scope_pk": pi_pk,
                "business_key": f"order-{n}",
                "process_definition_key": DEFINITION_KEYS[n % len(DEFINITION_KEYS)],
            }
        )
        tables[Variable] += _process_variables(pi_pk, n, draw)
        for step in range(TASKS_PER_INSTANCE):
            number = n * TASKS_PER_INSTANCE + step
            pk = instances + 1 + number
            tables[Scope].append(_scope(pk, f"task-{number}", ScopeKind.TASK, pi_pk))
            tables[Task].append(_task(pk, number, step, draw))
            if draw.random() < 0.4:
                group = draw.choice(GROUPS)
                tables[IdentityLink].append({"task_pk": pk, "type": "candidate", "group_id": group})
            tables[Variable] += _task_variables(pk, step, draw)
    return tables


def _scope(pk: int, external_id: str, kind: ScopeKind, parent_pk: int | None) -> _Row:
    return {
        "pk": pk,
        "external_id": external_id,
        "id_space": kind.id_space,
        "kind": kind,
        "parent_pk": parent_pk,
        "process_instance_pk": parent_pk,
    }


def _task(pk: int, number: int, step: int, draw: random.Random) -> _Row:
    created = START + timedelta(seconds=number * 30 + draw.randrange(30))
    return {
        "scope_pk": pk,
        "name": STEP_NAMES[step],
        "task_definition_key": f"step{step}",
        "assignee": None if draw.random() < 1 / 3 else draw.choice(USERS),
        "priority": draw.randrange(101),
        "created": created,
        "due": created + timedelta(days=draw.randrange(1, 30)) if draw.random() < 0.3 else None,
    }


def fill(database_url: str, tasks: int) -> int:
    """``tasks`` tasks in process instances of ``TASKS_PER_INSTANCE``, with their
    variables and candidate links, in one transaction; the number of variables."""
    instances = tasks // TASKS_PER_INSTANCE
    database = Database(database_url)
    try:
        upgrade(database.engine)
        draw = random.Random(7)
        with database.engine.begin() as connection:
            for first in range(0, instances, CHUNK_INSTANCES):
                count = min(CHUNK_INSTANCES, instances - first)
                # Dicts keep their order: scopes go in before the rows referring to them.
                for table, rows in _rows(first, count, instances, draw).items():
                    if rows:
                        connection.execute(insert(table), rows)
            if database.engine.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT setval(pg_get_serial_sequence('scope', 'pk'), max(pk)) FROM scope")
                )
        if database.engine.dialect.name == "postgresql":
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        with database.engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM variable")).scalar_one())
    finally:
        database.dispose()


@dataclass(frozen=True)
class _Query:
    label: str
    request: Callable[[httpx.Client, int], httpx.Response]
    count: Callable[[httpx.Client], int]
    # Done before each request, outside its time and CPU.
    before: Callable[[httpx.Client, int], None] | None = None


def _by_region(client: httpx.Client, index: int) -> httpx.Response:
    return client.get("/task", params={**_region_filter(index), **_sorted_page()})


def _region_filter(index: int) -> dict[str, str]:
    return {"processVariables": f"region_eq_{REGIONS[index % len(REGIONS)]}", "assigned": "true"}


def _sorted_page() -> dict[str, str | int]:
    return {"sortBy": "created", "sortOrder": "desc", "maxResults": PAGE}


def _by_amount_body(index: int) -> dict[str, Any]:
    return {
        "processVariables": [{"name": "amount", "operator": "gt", "value": 5000 + index % 10}],
        "taskVariables": [{"name": "outcome", "operator": "eq", "value": "approve"}],
        "candidateGroups": ["sales", "accounting"],
    }


def _by_amount(client: httpx.Client, index: int) -> httpx.Response:
    sort = {"variable": "amount", "type": "Integer"}
    body = _by_amount_body(index) | {
        "sorting": [{"sortBy": "processVariable", "sortOrder": "asc", "parameters": sort}]
    }
    return client.post("/task", params={"maxResults": PAGE}, json=body)


def _count_params(index: int) -> dict[str, str]:
    return {
        "processDefinitionKey": DEFINITION_KEYS[index % len(DEFINITION_KEYS)],
        "processVariables": "region_neq_north",
        "taskVariables": "outcome_eq_approve",
    }


def _count(client: httpx.Client, index: int) -> httpx.Response:
    return client.get("/task/count", params=_count_params(index))


def _counted(response: httpx.Response) -> int:
    response.raise_for_status()
    return int(response.json()["count"])


def _one_task(client: httpx.Client, index: int) -> httpx.Response:
    return client.get(f"/task/task-{index % 1000}")


def _write_a_variable(client: httpx.Client, index: int) -> None:
    """A task-local variable no query reads, written: the database changed."""
    body = {"value": index, "type": "Integer"}
    client.put(
        f"/task/task-{index % 1000}/localVariables/benchTouched", json=body
    ).raise_for_status()


REFERENCE_LABEL = "reference: GET /task/{id}, one task"
COUNT_LABEL = "GET /task/count: definition, process neq + task var, data unchanged"
COUNT_AFTER_WRITE_LABEL = "GET /task/count after a write: the same, counted anew"
QUERIES = (
    # The reference in the same run: the cheapest task request, one task by its id.
    _Query(REFERENCE_LABEL, _one_task, lambda client: 1),
    _Query(
        "GET /task: process variable eq, assigned, by created desc",
        _by_region,
        lambda client: _counted(client.get("/task/count", params=_region_filter(0))),
    ),
    _Query(
        "POST /task: process + task variable, groups, by variable",
        _by_amount,
        lambda client: _counted(client.post("/task/count", json=_by_amount_body(0))),
    ),
    _Query(
        COUNT_LABEL,
        _count,
        lambda client: _counted(_count(client, 0)),
    ),
    _Query(
        COUNT_AFTER_WRITE_LABEL,
        _count,
        lambda client: _counted(_count(client, 0)),
        before=_write_a_variable,
    ),
)


def measure(
    database_url: str, directory: Path, requests: int, seconds: float = SECONDS_PER_QUERY
) -> dict[str, QueryResult]:
    with (
        running_server(
            database_url, directory, "--log-level", "warning", startup_seconds=STARTUP_SECONDS
        ) as server,
        httpx.Client(base_url=server.base_url, timeout=600) as client,
    ):
        process = psutil.Process(server.process.pid)
        return {
            query.label: _measured(query, client, process, requests, seconds) for query in QUERIES
        }


def _measured(
    query: _Query, client: httpx.Client, server: psutil.Process, requests: int, seconds: float
) -> QueryResult:
    cpu: list[float] = []
    before = query.before
    samples = _timed(
        requests,
        seconds,
        lambda index: query.request(client, index),
        cpu,
        server,
        (lambda index: before(client, index)) if before is not None else None,
    )
    p99 = samples[min(len(samples) - 1, len(samples) * 99 // 100)]
    latency = Latency(statistics.median(samples), p99)
    return QueryResult(query.count(client), len(samples), latency, cpu[0] * 1000 / len(samples))


def _cpu_seconds(process: psutil.Process) -> float:
    """User and system time of the server and its worker processes."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        times = each.cpu_times()
        total += times.user + times.system
    return total


def _timed(
    requests: int,
    seconds: float,
    call: Callable[[int], httpx.Response],
    cpu: list[float],
    server: psutil.Process,
    before: Callable[[int], None] | None = None,
) -> list[float]:
    """Sorted ms of ``requests`` calls, or of those made in ``seconds`` (one at least),
    after up to 20 warm-up calls (one at least) in a quarter of that; the server's CPU
    seconds over the timed calls appended to ``cpu``. ``before(index)`` runs before each
    call, outside its time and CPU."""
    started = time.perf_counter()
    for index in range(min(20, requests)):
        if before is not None:
            before(index)
        call(index).raise_for_status()
        if time.perf_counter() - started > seconds / 4:
            break
    samples: list[float] = []
    cpu_seconds = 0.0
    started = time.perf_counter()
    while len(samples) < requests and (not samples or time.perf_counter() - started < seconds):
        if before is not None:
            before(len(samples))
        cpu_before = _cpu_seconds(server)
        sent = time.perf_counter()
        call(len(samples)).raise_for_status()
        samples.append((time.perf_counter() - sent) * 1000)
        cpu_seconds += _cpu_seconds(server) - cpu_before
    cpu.append(cpu_seconds)
    return sorted(samples)


def run(
    tasks: int,
    requests: int,
    database_url: Callable[[Path, str], str] | None = None,
    seconds: float = SECONDS_PER_QUERY,
) -> TaskQueryResult:
    """``database_url(directory, name)`` gives an empty database; default: an SQLite file
    in a temporary directory."""
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        url = database_url(directory, "tasks") if database_url else f"sqlite:///{directory}/t.db"
        started = time.perf_counter()
        variables = fill(url, tasks)
        fill_seconds = time.perf_counter() - started
        queries = measure(url, directory, requests, seconds)
    return TaskQueryResult(tasks, variables, fill_seconds, queries)


def print_table(result: TaskQueryResult, database: str) -> None:
    print(
        f"Task queries, {result.tasks:,} tasks and {result.variables:,} variables, "
        f"one connection, one at a time, {database} (filled in {result.fill_seconds:.1f} s)"
    )
    print(f"{'query':<70}{'matching':>9}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'cpu ms':>9}")
    for label, query in result.queries.items():
        print(
            f"{label:<70}{query.matching:>9,}{query.samples:>5}"
            f"{query.latency.p50_ms:>10.2f}{query.latency.p99_ms:>10.2f}"
            f"{query.server_cpu_ms:>9.2f}"
        )
    print(
        f"count / single-task read (p50): {result.count_over_single_read():.1f}x on unchanged "
        f"data (target <= 3x), {result.count_over_single_read(COUNT_AFTER_WRITE_LABEL):.1f}x "
        "after a write"
    )


def main(argv: list[str] | None = None) -> int:
    # Imported here: bench.__main__ imports this module.
    from bench.__main__ import DEFAULT_POSTGRES_URL, postgres_unreachable, schemas

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TASKS:,} tasks")
    parser.add_argument("--requests", type=int, help=f"per query (default {FULL_REQUESTS})")
    parser.add_argument(
        "--seconds", type=float, default=SECONDS_PER_QUERY, help="at most, per query"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args(argv)
    tasks = QUICK_TASKS if arguments.quick else FULL_TASKS
    requests = arguments.requests or (QUICK_REQUESTS if arguments.quick else FULL_REQUESTS)
    print_table(run(tasks, requests, seconds=arguments.seconds), "sqlite")
    print()
    reason = (
        "--no-postgres" if arguments.no_postgres else postgres_unreachable(arguments.postgres_url)
    )
    if reason is not None:
        print(f"skipped: PostgreSQL: {reason}")
        return 0
    with ExitStack() as stack:
        urls = schemas(arguments.postgres_url, stack)
        print_table(run(tasks, requests, urls, arguments.seconds), "postgresql")
    return 0


if __name__ == "__main__":
    sys.exit(main())
