"""Server CPU and garbage collection per task query request on a small database,
measured in-process (see :mod:`bench.request_cpu`): no sockets, no client, no load.

The queries vary their values from request to request, as clients do, and keep their
shapes. Per request: CPU milliseconds (``time.process_time``, the median of the
rounds), the garbage collector's pauses (milliseconds, by ``gc.callbacks``), its
collections, and the objects it found to be garbage (``gc.get_stats``).

    python -m bench.task_query_cpu [--requests 300] [--rounds 5] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.request_cpu import InProcessServer, log_as_served_to_nowhere, started
from taskvars.app import create_app
from taskvars.persistence.unit_of_work import Database
from taskvars.services import process_instances
from taskvars.settings import Settings
from tests.databases import private_schema

INSTANCES = 50
JSON = [(b"content-type", b"application/json")]


def instance(index: int) -> dict[str, Any]:
    return {
        "id": f"pi{index}",
        "businessKey": f"order-{index}",
        "processDefinitionKey": "invoice",
        "variables": {
            "amount": {"type": "Integer", "value": index},
            "customer": {"value": f"C{index}"},
        },
        "tasks": [
            {"id": f"t{index}-{n}", "name": f"Task {n}", "candidateGroups": ["managers"]}
            for n in range(2)
        ],
    }


def seed(url: str) -> None:
    database = Database(url)
    try:
        with database.unit_of_work(write=True) as uow:
            for index in range(INSTANCES):
                process_instances.add_tree(uow, instance(index))
            uow.commit()
    finally:
        database.dispose()


Query = Callable[[InProcessServer, int], Awaitable[None]]


async def get_tasks(server: InProcessServer, n: int) -> None:
    """GET /task with a variable criterion, sorted and paged."""
    query = (
        f"processVariables={quote(f'customer_eq_C{n % INSTANCES}')}"
        f"&candidateGroup=managers&sortBy=created&sortOrder=asc&maxResults=10"
    )
    answer = await server.request("GET", "/engine-rest/task", query=query.encode())
    assert answer.status == 200, answer
    assert len(json.loads(answer.body)) == 2, answer


async def count_tasks(server: InProcessServer, n: int) -> None:
    query = f"processVariables={quote(f'customer_like_C{n % 10}%')}&nameLike=Task%25"
    answer = await server.request("GET", "/engine-rest/task/count", query=query.encode())
    assert answer.status == 200, answer
    assert json.loads(answer.body)["count"] > 0, answer


async def post_tasks(server: InProcessServer, n: int) -> None:
    """POST /task: two variable conditions, an or-query, a variable sort."""
    body = {
        "processDefinitionKey": "invoice",
        "processVariables": [
            {"name": "amount", "operator": "gteq", "value": n % INSTANCES},
            {"name": "customer", "operator": "like", "value": "C%"},
        ],
        "orQueries": [{"candidateGroups": ["managers", f"g{n}"], "assignee": f"u{n}"}],
        "sorting": [
            {
                "sortBy": "processVariable",
                "sortOrder": "desc",
                "parameters": {"variable": "amount", "type": "Integer"},
            }
        ],
    }
    answer = await server.request(
        "POST",
        "/engine-rest/task",
        query=b"firstResult=0&maxResults=5",
        headers=JSON,
        body=json.dumps(body).encode(),
    )
    assert answer.status == 200, answer
    assert json.loads(answer.body), answer


QUERIES: list[tuple[str, Query]] = [
    ("GET /task", get_tasks),
    ("GET /task/count", count_tasks),
    ("POST /task", post_tasks),
]


class CollectorWatch:
    """The collector's pauses, from its start and stop callbacks."""

    def __init__(self) -> None:
        self.paused = 0.0
        self._started = 0.0

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.paused += time.perf_counter() - self._started

    def __enter__(self) -> CollectorWatch:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._callback)


def collector_totals() -> tuple[int, int]:
    """Collections and objects collected so far, all generations."""
    stats = gc.get_stats()
    return sum(s["collections"] for s in stats), sum(s["collected"] for s in stats)


async def measure(settings: Settings, requests: int, rounds: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with started(create_app(settings)) as server:
        seed(settings.database_url)
        for name, query in QUERIES:
            for n in range(50):  # warm-up: pools, caches, first compilations
                await query(server, n)
            cpu, paused, collections, collected = [], [], [], []
            for _ in range(rounds):
                before = collector_totals()
                with CollectorWatch() as watch:
                    started_cpu = time.process_time()
                    for n in range(requests):
                        await query(server, n)
                    cpu.append((time.process_time() - started_cpu) * 1000 / requests)
                after = collector_totals()
                paused.append(watch.paused * 1000 / requests)
                collections.append((after[0] - before[0]) / requests)
                collected.append((after[1] - before[1]) / requests)
            results[name] = {
                "cpu_ms": statistics.median(cpu),
                "gc_pause_ms": statistics.median(paused),
                "collections": statistics.median(collections),
                "collected": statistics.median(collected),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", help="a PostgreSQL server (a private schema on it)")
    arguments = parser.parse_args()
    log_as_served_to_nowhere()
    with (
        tempfile.TemporaryDirectory(prefix="taskvars-bench-query-") as scratch,
        contextlib.ExitStack() as schemas,
    ):
        if arguments.postgres_url is None:
            url = f"sqlite:///{Path(scratch) / 'query.db'}"
        else:
            url = schemas.enter_context(private_schema(arguments.postgres_url))
        settings = Settings(database_url=url, no_job_executor=True)
        results = asyncio.run(measure(settings, arguments.requests, arguments.rounds))
    print(
        f"per request, median of {arguments.rounds} rounds of {arguments.requests}; "
        f"{'SQLite' if arguments.postgres_url is None else 'PostgreSQL'}, in-process, "
        f"{INSTANCES} instances with {2 * INSTANCES} tasks"
    )
    print(f"{'query':<16} {'CPU ms':>8} {'GC pause ms':>12} {'GC runs':>8} {'GC collected':>13}")
    for name, numbers in results.items():
        print(
            f"{name:<16} {numbers['cpu_ms']:>8.3f} {numbers['gc_pause_ms']:>12.4f} "
            f"{numbers['collections']:>8.3f} {numbers['collected']:>13.1f}"
        )


if __name__ == "__main__":
    main()
