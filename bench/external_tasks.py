"""External tasks completed per second by 1, 4 and 16 workers, and how soon a parked
``fetchAndLock`` hears of a new task.

Throughput: a backlog of instances of a one-external-task model is started first (not
timed); then each worker, a connection of its own, long-polls ``fetchAndLock`` (one task,
``asyncResponseTimeout`` 10 s) and completes what it got, until the backlog is done.
Each worker count has a model and topic of its own, so that nothing of one round is
left for the next.

Wake-up: a ``fetchAndLock`` is parked (10 s), then an instance is started from another
connection; the time from the start's answer to the fetch's answer (0 when the fetch
answered first: it is woken at the start's commit, before the start's answer is sent).

    python -m bench.external_tasks [--tasks 400] [--wake-ups 100] [--no-postgres]
        # SQLite and PostgreSQL, the two-task process figure beside each, and the
        # section of docs/benchmarks.md that the full run (python -m bench) writes
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.processes import ProcessResult
from bench.variables import Latency
from tests.e2e.server import running_server
from tests.multipart_bodies import Part, content_type, multipart_body

MODEL = Path(__file__).with_name("external-task.bpmn")
WORKER_COUNTS = (1, 4, 16)
ASYNC_RESPONSE_TIMEOUT_MS = 10_000
LOCK_DURATION_MS = 60_000
FILL_CONNECTIONS = 8
PARKED_FOR = 0.05  # seconds between sending the fetch and starting the instance
MAX_ERRORS = 50  # a round stops rather than spin on a server that refuses
FULL_TASKS, QUICK_TASKS = 400, 16
FULL_WAKE_UPS, QUICK_WAKE_UPS = 100, 5
SECTION_TITLE = "External tasks, 1, 4 and 16 workers"


@dataclass
class ExternalTasksResult:
    tasks: int  # the backlog each worker count drained
    completed_per_second: dict[int, float] = field(default_factory=dict)
    wake_up: Latency = field(default_factory=lambda: Latency(float("nan"), float("nan")))
    wake_ups: int = 0
    errors: int = 0


@dataclass(frozen=True)
class Topic:
    key: str  # the process definition's key
    name: str  # its external task's topic


def run(
    tasks: int, wake_ups: int, url_factory: Callable[[Path, str], str] | None
) -> ExternalTasksResult:
    result = ExternalTasksResult(tasks)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-external-") as scratch:
        directory = Path(scratch)
        url = (
            url_factory(directory, "external_tasks")
            if url_factory
            else f"sqlite:///{directory / 'external_tasks.db'}"
        )
        with (
            running_server(url, directory) as server,
            httpx.Client(base_url=server.base_url, timeout=60) as client,
        ):
            for workers in WORKER_COUNTS:
                topic = _deploy(client, f"workers{workers}")
                _fill(server.base_url, topic, tasks)
                rate, errors = _drain(server.base_url, topic, workers, tasks)
                result.completed_per_second[workers] = rate
                result.errors += errors
            samples = _wake_ups(server.base_url, _deploy(client, "wakeUp"), wake_ups)
            result.wake_up = _latency(samples)
            result.wake_ups = len(samples)
    return result


def _deploy(client: httpx.Client, name: str) -> Topic:
    topic = Topic(f"externalTask_{name}", f"charge-card-{name}")
    model = (
        MODEL.read_text()
        .replace('id="externalTask"', f'id="{topic.key}"')
        .replace('camunda:topic="charge-card"', f'camunda:topic="{topic.name}"')
    )
    deployed = client.post(
        "/deployment/create",
        content=multipart_body(Part("data", model.encode(), filename=f"{name}.bpmn")),
        headers={"Content-Type": content_type()},
    )
    deployed.raise_for_status()
    return topic


def _start(client: httpx.Client, topic: Topic) -> str:
    started = client.post(f"/process-definition/key/{topic.key}/start", json={})
    started.raise_for_status()
    instance_id: str = started.json()["id"]
    return instance_id


def _fill(base_url: str, topic: Topic, count: int) -> None:
    def starts(share: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:
            for _ in range(share):
                _start(client, topic)

    shares = [
        count // FILL_CONNECTIONS + (n < count % FILL_CONNECTIONS) for n in range(FILL_CONNECTIONS)
    ]
    with ThreadPoolExecutor(FILL_CONNECTIONS) as pool:
        list(pool.map(starts, shares))


def _fetch_body(worker_id: str, topic: Topic, timeout_ms: int) -> dict[str, Any]:
    return {
        "workerId": worker_id,
        "maxTasks": 1,
        "asyncResponseTimeout": timeout_ms,
        "topics": [{"topicName": topic.name, "lockDuration": LOCK_DURATION_MS}],
    }


def _drain(base_url: str, topic: Topic, workers: int, total: int) -> tuple[float, int]:
    """Completed tasks per second until ``total`` are done, and the errors seen."""
    lock = threading.Lock()
    counts = {"completed": 0, "errors": 0}
    done = threading.Event()
    finished = [0.0]

    def failed() -> None:
        with lock:
            counts["errors"] += 1
            if counts["errors"] >= MAX_ERRORS:
                done.set()

    def worker(number: int) -> None:
        worker_id = f"bench-worker-{number}"
        body = _fetch_body(worker_id, topic, ASYNC_RESPONSE_TIMEOUT_MS)
        timeout = ASYNC_RESPONSE_TIMEOUT_MS / 1000 + 30
        with httpx.Client(base_url=base_url, timeout=timeout) as client:
            while not done.is_set():
                fetched = client.post("/external-task/fetchAndLock", json=body)
                if not fetched.is_success:
                    failed()
                    continue
                for task in fetched.json():
                    completed = client.post(
                        f"/external-task/{task['id']}/complete", json={"workerId": worker_id}
                    )
                    if not completed.is_success:
                        failed()
                        continue
                    with lock:
                        counts["completed"] += 1
                        if counts["completed"] == total:
                            finished[0] = time.perf_counter()
                            done.set()

    begun = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    done.wait()
    # Fetches parked for the next task: one task each answers them now.
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for _ in range(workers):
            _start(client, topic)
    for thread in threads:
        thread.join()
    elapsed = (finished[0] or time.perf_counter()) - begun
    return counts["completed"] / elapsed, counts["errors"]


def _wake_ups(base_url: str, topic: Topic, tries: int) -> list[float]:
    """Milliseconds from a start's answer to the parked fetch's answer, per try."""
    samples = []
    with (
        httpx.Client(base_url=base_url, timeout=60) as parked,
        httpx.Client(base_url=base_url, timeout=60) as starter,
    ):
        for _ in range(tries):
            answer: dict[str, Any] = {}

            def fetch(answer: dict[str, Any] = answer) -> None:
                body = _fetch_body("bench-wake-up", topic, ASYNC_RESPONSE_TIMEOUT_MS)
                answer["response"] = parked.post("/external-task/fetchAndLock", json=body)
                answer["at"] = time.perf_counter()

            thread = threading.Thread(target=fetch)
            thread.start()
            time.sleep(PARKED_FOR)
            instance_id = _start(starter, topic)
            started_at = time.perf_counter()
            thread.join()
            response: httpx.Response = answer["response"]
            response.raise_for_status()
            (task,) = response.json()
            assert task["processInstanceId"] == instance_id
            samples.append(max(0.0, answer["at"] - started_at) * 1000)
            starter.post(
                f"/external-task/{task['id']}/complete", json={"workerId": "bench-wake-up"}
            ).raise_for_status()
    return samples


def _latency(milliseconds: list[float]) -> Latency:
    if len(milliseconds) < 2:
        value = milliseconds[0] if milliseconds else float("nan")
        return Latency(value, value)
    return Latency(
        statistics.median(milliseconds),
        statistics.quantiles(milliseconds, n=100, method="inclusive")[98],
    )


def print_table(
    result: ExternalTasksResult, database: str, processes: ProcessResult | None
) -> None:
    print(
        f"External tasks, fetchAndLock + complete, long polling "
        f"({ASYNC_RESPONSE_TIMEOUT_MS // 1000} s), {result.tasks} tasks, {database}"
        f" (errors: {result.errors})"
    )
    print(f"{'workers':26} {'completed/s':>11}")
    for workers, rate in result.completed_per_second.items():
        print(f"{workers:<26} {rate:11.0f}")
    if processes is not None:
        print(
            f"{'two-task process, steps/s':26} {processes.throughput['engine']:11.0f}  "
            f"(engine, {processes.connections} connections, same run)"
        )
    print(
        f"wake-up, task created -> parked fetch answered, {result.wake_ups} tries: "
        f"p50 {result.wake_up.p50_ms:.2f} ms, p99 {result.wake_up.p99_ms:.2f} ms"
    )


def markdown_lines(result: ExternalTasksResult, processes: ProcessResult | None) -> list[str]:
    lines = [
        f"A backlog of {result.tasks} instances of a one-external-task model per row, "
        "drained by workers that each long-poll `fetchAndLock` (one task, "
        f"`asyncResponseTimeout` {ASYNC_RESPONSE_TIMEOUT_MS // 1000} s) and complete what "
        f"they got (`bench/external_tasks.py`); {result.errors} errors.",
        "",
        "| workers | external tasks completed per second |",
        "|---:|---:|",
    ]
    lines += [f"| {n} | {rate:.0f} |" for n, rate in result.completed_per_second.items()]
    if processes is not None:
        lines.append(
            f"| two-task process, {processes.connections} connections (engine, steps per "
            f"second, same run) | {processes.throughput['engine']:.0f} |"
        )
    lines += [
        "",
        f"Wake-up, from an instance's start answered to the parked fetch answered "
        f"({result.wake_ups} tries): p50 {result.wake_up.p50_ms:.2f} ms, "
        f"p99 {result.wake_up.p99_ms:.2f} ms.",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    # The suite's own plumbing (it imports this module, hence here)
    from bench import processes
    from bench.__main__ import DEFAULT_POSTGRES_URL, postgres_unreachable, schemas

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=FULL_TASKS)
    parser.add_argument("--wake-ups", type=int, default=FULL_WAKE_UPS)
    parser.add_argument("--seconds", type=float, default=10, help="of the two-task process")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args(argv)
    sections: list[str] = []
    with ExitStack() as stack:
        factories: dict[str, Callable[[Path, str], str] | None] = {"sqlite": None}
        if not arguments.no_postgres and postgres_unreachable(arguments.postgres_url) is None:
            factories["postgresql"] = schemas(arguments.postgres_url, stack)
        for database, factory in factories.items():
            two_tasks = processes.run(arguments.seconds, 8, factory)
            result = run(arguments.tasks, arguments.wake_ups, factory)
            print_table(result, database, two_tasks)
            print()
            sections += [
                f"## {SECTION_TITLE}, {database}",
                "",
                *markdown_lines(result, two_tasks),
                "",
            ]
    print("\n".join(sections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
