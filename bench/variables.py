"""Latency of variable requests as a task holds more variables and the database grows.

- ``GET /task/{id}/variables`` of a task holding 10 and one holding 1,000 variables;
- ``PUT`` then ``GET`` of one task variable with 10^3 and with 10^6 variables in the
  database (1,000 tasks of 1,000 variables each for the large one).

Databases are filled through the store's tables directly (a million HTTP requests would
measure the filling, not the server), then served by a real ``taskvars serve``; requests
go one at a time over one kept-alive connection. Prints median and p99 in ms.

    python -m bench.variables [--large 1000000] [--requests 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import insert

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import Variable
from taskvars.persistence.unit_of_work import Database
from tests.e2e.server import running_server

VARIABLES_PER_TASK = 1000
INSERT_BATCH = 20_000


@dataclass(frozen=True)
class Latency:
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class VariablesResult:
    list_10: Latency
    list_1000: Latency
    small_database: int
    large_database: int
    set_small: Latency
    get_small: Latency
    set_large: Latency
    get_large: Latency

    def rows(self) -> list[tuple[str, Latency]]:
        """(what was requested, its latency), in the order tables show them."""
        small, large = f"{self.small_database:,}", f"{self.large_database:,}"
        return [
            ("GET /task/{id}/variables, 10 variables", self.list_10),
            ("GET /task/{id}/variables, 1,000 variables", self.list_1000),
            (f"PUT one variable, {small} in the database", self.set_small),
            (f"PUT one variable, {large} in the database", self.set_large),
            (f"GET one variable, {small} in the database", self.get_small),
            (f"GET one variable, {large} in the database", self.get_large),
        ]

    @property
    def set_ratio(self) -> float:
        return self.set_large.p50_ms / self.set_small.p50_ms

    @property
    def get_ratio(self) -> float:
        return self.get_large.p50_ms / self.get_small.p50_ms


def fill(database_url: str, total_variables: int, *, listing_tasks: bool) -> None:
    """Tasks ``t0``, ``t1``, ... holding ``VARIABLES_PER_TASK`` String variables each, up to
    ``total_variables``; with ``listing_tasks``, also ``list-10`` and ``list-1000``."""
    database = Database(database_url)
    try:
        upgrade(database.engine)
        holdings = [
            (f"t{n}", min(VARIABLES_PER_TASK, total_variables - n * VARIABLES_PER_TASK))
            for n in range(-(-total_variables // VARIABLES_PER_TASK))
        ]
        if listing_tasks:
            holdings += [("list-10", 10), ("list-1000", 1000)]
        with database.unit_of_work(write=True) as uow:
            scopes = {
                task_id: uow.store.tasks.add(task_id, None, {"created": datetime.now(UTC)})
                for task_id, _ in holdings
            }
            rows = (
                {
                    "id": str(uuid.uuid4()),
                    "scope_pk": scopes[task_id],
                    "name": f"v{index}",
                    "type": "String",
                    "text_value": f"value {index} of {task_id}",
                    "revision": 1,
                }
                for task_id, count in holdings
                for index in range(count)
            )
            connection = uow.store.session.connection()
            batch: list[dict[str, object]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == INSERT_BATCH:
                    connection.execute(insert(Variable.__table__), batch)
                    batch = []
            if batch:
                connection.execute(insert(Variable.__table__), batch)
            uow.commit()
    finally:
        database.dispose()


def timed(requests: int, call: Callable[[int], httpx.Response]) -> Latency:
    for index in range(min(20, requests)):  # warm the connection and the caches
        call(index).raise_for_status()
    samples = []
    for index in range(requests):
        started = time.perf_counter()
        call(index).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return Latency(
        statistics.median(samples), samples[min(len(samples) - 1, len(samples) * 99 // 100)]
    )


def measure(database_url: str, directory: Path, requests: int) -> dict[str, Latency]:
    with (
        running_server(database_url, directory, "--log-level", "warning") as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        probe = "/task/t0/variables/v7"
        return {
            "list_10": timed(requests, lambda _: client.get("/task/list-10/variables")),
            "list_1000": timed(requests, lambda _: client.get("/task/list-1000/variables")),
            "set": timed(
                requests,
                lambda i: client.put(probe, json={"value": f"new {i}", "type": "String"}),
            ),
            "get": timed(requests, lambda _: client.get(probe)),
        }


def run(
    large: int, requests: int, database_url: Callable[[Path, str], str] | None = None
) -> VariablesResult:
    """``database_url(directory, name)`` gives an empty database per size; default: SQLite
    files in a temporary directory."""
    small = VARIABLES_PER_TASK
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        results = {}
        for total in (small, large):
            url = (
                database_url(directory, f"v{total}")
                if database_url
                else f"sqlite:///{directory}/v{total}.db"
            )
            fill(url, total, listing_tasks=True)
            results[total] = measure(url, directory, requests)
    return VariablesResult(
        list_10=results[large]["list_10"],
        list_1000=results[large]["list_1000"],
        small_database=small,
        large_database=large,
        set_small=results[small]["set"],
        get_small=results[small]["get"],
        set_large=results[large]["set"],
        get_large=results[large]["get"],
    )


def print_table(result: VariablesResult, database: str) -> None:
    print(f"Variable requests, one connection, one at a time, {database}")
    print(f"{'request':<50}{'p50 ms':>9}{'p99 ms':>9}")
    for label, latency in result.rows():
        print(f"{label:<50}{latency.p50_ms:>9.2f}{latency.p99_ms:>9.2f}")
    print(
        f"p50 with {result.large_database:,} / with {result.small_database:,}: "
        f"set {result.set_ratio:.2f}x, get {result.get_ratio:.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    arguments = parser.parse_args(argv)
    print_table(run(arguments.large, arguments.requests), "sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
