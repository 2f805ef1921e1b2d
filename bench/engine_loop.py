"""A process instance that has looped for a long time costs what a new one costs: one
instance of a two-element loop (a user task, then a gateway back to it) completed 300
times from one connection, the time of each complete and the size of the run's stored
state measured as it goes. The first 20 completes are the reference for the last 20.

    python -m bench.engine_loop [--iterations 300]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.server import running_server
from tests.multipart_bodies import Part, content_type, multipart_body

MODEL = Path(__file__).with_name("loop.bpmn")
WINDOW = 20
FULL_ITERATIONS = 300
QUICK_ITERATIONS = 45
# The last completes may take at most this many times the first (issue 21).
MAX_LATE_RATIO = 1.5


@dataclass
class LoopResult:
    iterations: int
    early_ms: float  # median complete of the first WINDOW
    late_ms: float  # median complete of the last WINDOW
    early_state_bytes: int
    late_state_bytes: int

    @property
    def ratio(self) -> float:
        return self.late_ms / self.early_ms


def run(iterations: int) -> LoopResult:
    window = min(WINDOW, iterations // 3)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-loop-") as scratch:
        directory = Path(scratch)
        database = directory / "loop.db"
        with (
            running_server(f"sqlite:///{database}", directory) as server,
            httpx.Client(base_url=server.base_url, timeout=30) as client,
        ):
            body = multipart_body(Part("data", MODEL.read_bytes(), filename=MODEL.name))
            deployed = client.post(
                "/deployment/create", content=body, headers={"content-type": content_type()}
            )
            deployed.raise_for_status()
            started = client.post("/process-definition/key/longLoop/start", json={})
            started.raise_for_status()
            instance_id = started.json()["id"]
            timings: list[float] = []
            sizes: list[int] = []
            for iteration in range(iterations):
                (task,) = client.get("/task", params={"processInstanceId": instance_id}).json()
                last = iteration == iterations - 1
                began = time.perf_counter()
                done = client.post(
                    f"/task/{task['id']}/complete",
                    json={"variables": {"done": {"value": last, "type": "Boolean"}}},
                )
                timings.append((time.perf_counter() - began) * 1000)
                done.raise_for_status()
                if iteration in (window - 1, iterations - 2):
                    sizes.append(_state_bytes(database))
    return LoopResult(
        iterations,
        statistics.median(timings[:window]),
        statistics.median(timings[-window - 1 : -1]),
        sizes[0],
        sizes[-1],
    )


def _state_bytes(database: Path) -> int:
    # Closed at once: a reader left open would hold back SQLite's checkpoints.
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        (size,) = connection.execute("SELECT length(state) FROM process_run").fetchone()
    return int(size)


def print_table(result: LoopResult) -> None:
    print(f"One instance of a two-element loop, {result.iterations} completes, sqlite")
    window = min(WINDOW, result.iterations // 3)
    print(f"{'':28} {f'first {window}':>10} {f'last {window}':>10} {'ratio':>7}")
    print(
        f"{'complete, median ms':28} {result.early_ms:10.2f} {result.late_ms:10.2f} "
        f"{result.ratio:7.2f}"
    )
    print(
        f"{'stored state, bytes':28} {result.early_state_bytes:10d} "
        f"{result.late_state_bytes:10d} "
        f"{result.late_state_bytes / result.early_state_bytes:7.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=FULL_ITERATIONS)
    arguments = parser.parse_args(argv)
    print_table(run(arguments.iterations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
