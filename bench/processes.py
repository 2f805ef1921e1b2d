"""Starting and completing a two-task process from 8 connections at once: a deployed BPMN
model run by SpiffWorkflow (start, complete the first task, complete the second, which
ends the instance), beside the same three steps without an engine (a process instance
with two tasks created by our ``POST /process-instance/create`` extension, and its two
tasks completed). The difference is what running the model costs.

Each connection runs whole instances one after the other for the given seconds; a step
is one request. Both ways find the task to complete with ``GET /task`` first, as a
client would: a request, not counted as a step.
Prints p50 and p99 per step and steps per second.

    python -m bench.processes [--seconds 10] [--connections 8]   # SQLite; the suite
                                                                   # runs PostgreSQL too
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.variables import Latency
from tests.e2e.server import running_server
from tests.multipart_bodies import Part, content_type, multipart_body

MODEL = Path(__file__).with_name("two-tasks.bpmn")
STEPS = ("start", "complete first task", "complete second task")


@dataclass
class ProcessResult:
    """Per way of running (``engine``, ``no engine``): latency per step, steps per second."""

    connections: int
    seconds: float
    steps: dict[str, dict[str, Latency]] = field(default_factory=dict)
    throughput: dict[str, float] = field(default_factory=dict)
    errors: int = 0


def run(
    seconds: float, connections: int, url_factory: Callable[[Path, str], str] | None
) -> ProcessResult:
    result = ProcessResult(connections, seconds)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-processes-") as scratch:
        directory = Path(scratch)
        url = (
            url_factory(directory, "processes")
            if url_factory
            else f"sqlite:///{directory / 'processes.db'}"
        )
        with running_server(url, directory) as server:
            with httpx.Client(base_url=server.base_url, timeout=60) as client:
                deployed = client.post(
                    "/deployment/create",
                    content=multipart_body(Part("data", MODEL.read_bytes(), filename=MODEL.name)),
                    headers={"Content-Type": content_type()},
                )
                deployed.raise_for_status()
            for way, instance in (("engine", _with_engine), ("no engine", _without_engine)):
                samples, count, elapsed, errors = _drive(
                    server.base_url, instance, seconds, connections
                )
                result.steps[way] = {step: _latency(samples[step]) for step in STEPS}
                result.throughput[way] = count / elapsed
                result.errors += errors
    return result


def _with_engine(
    client: httpx.Client, timed: Callable[[str, Callable[[], httpx.Response]], httpx.Response]
) -> None:
    started = timed(
        "start",
        lambda: client.post(
            "/process-definition/key/twoTasks/start",
            json={"variables": {"order": {"value": "A-1", "type": "String"}}},
        ),
    )
    instance_id = started.json()["id"]
    for step in STEPS[1:]:
        (task,) = client.get("/task", params={"processInstanceId": instance_id}).json()
        timed(step, lambda task_id=task["id"]: client.post(f"/task/{task_id}/complete", json={}))


def _without_engine(
    client: httpx.Client, timed: Callable[[str, Callable[[], httpx.Response]], httpx.Response]
) -> None:
    instance_id = str(uuid.uuid4())
    tasks = [{"id": f"{instance_id}-{n}"} for n in (1, 2)]  # both there at once
    timed(
        "start",
        lambda: client.post(
            "/process-instance/create",
            json={
                "id": instance_id,
                "variables": {"order": {"value": "A-1", "type": "String"}},
                "tasks": tasks,
            },
        ),
    )
    for step in STEPS[1:]:
        # Found as a client finds it, as with the engine (a request, not a step).
        task = client.get("/task", params={"processInstanceId": instance_id}).json()[0]
        timed(step, lambda task_id=task["id"]: client.post(f"/task/{task_id}/complete", json={}))


def _drive(
    base_url: str,
    instance: Callable[
        [httpx.Client, Callable[[str, Callable[[], httpx.Response]], httpx.Response]], None
    ],
    seconds: float,
    connections: int,
) -> tuple[dict[str, list[float]], int, float, int]:
    samples: dict[str, list[float]] = {step: [] for step in STEPS}
    lock = threading.Lock()
    counts = {"steps": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        with httpx.Client(base_url=base_url, timeout=60) as client:

            def timed(step: str, request: Callable[[], httpx.Response]) -> httpx.Response:
                begun = time.perf_counter()
                response = request()
                spent = time.perf_counter() - begun
                with lock:
                    if response.is_success:
                        samples[step].append(spent * 1000)
                        counts["steps"] += 1
                    else:
                        counts["errors"] += 1
                response.raise_for_status()
                return response

            while time.perf_counter() < deadline:
                try:
                    instance(client, timed)
                except httpx.HTTPError:
                    continue

    begun = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, counts["steps"], time.perf_counter() - begun, counts["errors"]


def _latency(milliseconds: list[float]) -> Latency:
    if len(milliseconds) < 2:
        value = milliseconds[0] if milliseconds else float("nan")
        return Latency(value, value)
    cuts = statistics.quantiles(milliseconds, n=100)
    return Latency(statistics.median(milliseconds), cuts[98])


def print_table(result: ProcessResult, database: str) -> None:
    print(
        f"Two-task process, {result.connections} connections, {result.seconds:g} s, {database}"
        f" (errors: {result.errors})"
    )
    print(f"{'':26} {'engine p50':>11} {'p99':>8} {'no engine p50':>14} {'p99':>8}  ms")
    for step in STEPS:
        engine, plain = result.steps["engine"][step], result.steps["no engine"][step]
        print(
            f"{step:26} {engine.p50_ms:11.2f} {engine.p99_ms:8.2f} "
            f"{plain.p50_ms:14.2f} {plain.p99_ms:8.2f}"
        )
    print(
        f"{'steps per second':26} {result.throughput['engine']:11.0f} {'':8} "
        f"{result.throughput['no engine']:14.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    arguments = parser.parse_args(argv)
    print_table(run(arguments.seconds, arguments.connections, None), "sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
