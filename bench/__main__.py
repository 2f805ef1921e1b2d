"""The whole benchmark suite: every measurement beside its reference, on SQLite and, when
it is reachable, on PostgreSQL; prints each table as it is measured, then the targets,
and writes ``docs/benchmarks.md`` with a plot (``docs/benchmarks.png``).

    python -m bench                 # the full run (about 20 minutes here)
    python -m bench --quick --output DIR   # tiny sizes, short runs: a smoke test
    python -m bench soak [--minutes 5]     # the soak run, on its own (bench/soak.py)

PostgreSQL: ``--postgres-url`` or ``TASKVARS_BENCH_POSTGRES_URL`` (default
postgresql://postgres@127.0.0.1:5432/test); each measurement works in a schema of its own,
dropped afterwards. Small uploads need wrk (Debian: ``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench import (
    engine_loop,
    external_tasks,
    jobs,
    processes,
    report,
    small_uploads,
    soak,
    statement_counts,
    store_floor,
    task_query,
    transfer,
    variables,
)
from tests.databases import private_schema

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
FULL = {
    "sizes": "1KiB,1MiB,64MiB,1GiB",
    "seconds": 10,
    "upload_rounds": small_uploads.ROUNDS,
    "large": 1_000_000,
    "requests": 300,
    "tasks": task_query.FULL_TASKS,
    "task_requests": task_query.FULL_REQUESTS,
    "loop_iterations": engine_loop.FULL_ITERATIONS,
    "external_tasks": external_tasks.FULL_TASKS,
    "wake_ups": external_tasks.FULL_WAKE_UPS,
    "jobs": jobs.FULL_JOBS,
    "timer_seconds": jobs.FULL_SECONDS,
    "statement_rounds": statement_counts.FULL_ROUNDS,
    "floor_rounds": 5,
}
QUICK = {
    "sizes": "1KiB,2MiB",
    "seconds": 1,
    "upload_rounds": 1,
    "large": 5_000,
    "requests": 20,
    "tasks": task_query.QUICK_TASKS,
    "task_requests": task_query.QUICK_REQUESTS,
    "loop_iterations": engine_loop.QUICK_ITERATIONS,
    "external_tasks": external_tasks.QUICK_TASKS,
    "wake_ups": external_tasks.QUICK_WAKE_UPS,
    "jobs": jobs.QUICK_JOBS,
    "timer_seconds": jobs.QUICK_SECONDS,
    "statement_rounds": statement_counts.QUICK_ROUNDS,
    "floor_rounds": 1,
}


def postgres_unreachable(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or ``None``."""
    try:
        engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except (OperationalError, ImportError) as error:
        return f"PostgreSQL not reachable at {url}: {str(error).splitlines()[0]}"
    return None


def schemas(server_url: str, stack: ExitStack) -> Callable[[Path, str], str]:
    """A database URL factory handing out private schemas, dropped when ``stack`` closes."""

    def new_schema(_directory: Path, _name: str) -> str:
        return stack.enter_context(private_schema(server_url))

    return new_schema


def measure(
    database: str,
    settings: dict[str, Any],
    url_factory: Callable[[Path, str], str] | None,
    run: report.Run,
) -> None:
    """One database's measurements, printed as they come and added to ``run``."""
    sizes = [transfer.parse_size(size) for size in settings["sizes"].split(",")]
    single_url = url_factory(Path("."), "transfer") if url_factory else None
    results = transfer.run(sizes, single_url)
    transfer.print_table(results, database)
    run.transfers[database] = results
    print()
    if url_factory is None:
        measure_store_floor(sizes, settings["floor_rounds"], run)
    if shutil.which("wrk") is None:
        run.skipped.append(f"small uploads on {database}: wrk is not installed")
    else:
        workers = (1, 2) if database == "postgresql" else (1,)
        uploads = small_uploads.run(
            8, settings["seconds"], url_factory, workers, settings["upload_rounds"]
        )
        small_uploads.print_table(uploads, database)
        run.small_uploads[database] = uploads
    print()
    counts = statement_counts.run(settings["statement_rounds"], url_factory)
    statement_counts.print_table(counts)
    run.statement_counts[database] = counts
    print()
    latency = variables.run(settings["large"], settings["requests"], url_factory)
    variables.print_table(latency, database)
    run.variables[database] = latency
    print()
    queries = task_query.run(settings["tasks"], settings["task_requests"], url_factory)
    task_query.print_table(queries, database)
    run.task_queries[database] = queries
    print()
    process_runs = processes.run(settings["seconds"], 8, url_factory)
    processes.print_table(process_runs, database)
    run.processes[database] = process_runs
    print()
    external = external_tasks.run(settings["external_tasks"], settings["wake_ups"], url_factory)
    external_tasks.print_table(external, database, process_runs)
    run.external_tasks[database] = external
    print()
    timers = jobs.run(settings["jobs"], url_factory, settings["timer_seconds"])
    jobs.print_table(timers, database)
    run.timers[database] = timers
    print()
    if url_factory is None:  # the stored state is read from the SQLite file
        loop = engine_loop.run(settings["loop_iterations"])
        engine_loop.print_table(loop)
        run.engine_loop = loop
        print()


def measure_store_floor(sizes: list[int], rounds: int, run: report.Run) -> None:
    """What a minimal storing server takes beside the sink and the disk in the same
    minutes (``bench.store_floor``), at the sizes the SQLite upload target judges (the
    largest size in a quick run): how far taskvars is from the floor of this machine."""
    if shutil.which("curl") is None:
        run.skipped.append("the store floor: bench.store_floor uploads through curl")
        return
    judged = [size for size in sizes if size >= report.LARGE] or [max(sizes)]
    for floor in store_floor.run(judged, rounds):
        store_floor.print_floor(floor)
        run.store_floors.append(floor)
    print()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    postgres_url = os.environ.get("TASKVARS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if argv[:1] == ["soak"]:
        return soak.main(argv[1:], postgres_url)
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="python -m bench soak --help: the soak run, which the full run does not include",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and short runs")
    parser.add_argument("--output", type=Path, default=Path("docs"))
    parser.add_argument("--postgres-url", default=postgres_url)
    parser.add_argument("--no-postgres", action="store_true")
    arguments = parser.parse_args(argv)
    settings = QUICK if arguments.quick else FULL
    run = report.Run(
        started=datetime.now(UTC),
        machine=report.machine(),
        quick=arguments.quick,
    )
    measure("sqlite", settings, None, run)
    reason = (
        "--no-postgres" if arguments.no_postgres else postgres_unreachable(arguments.postgres_url)
    )
    if reason is None:
        with ExitStack() as stack:
            measure("postgresql", settings, schemas(arguments.postgres_url, stack), run)
    else:
        run.skipped.append(f"PostgreSQL: {reason}")
    for line in report.target_lines(run):
        print(line)
    for line in run.skipped:
        print(f"skipped: {line}")
    written = report.write(run, arguments.output)
    print(f"wrote {', '.join(str(path) for path in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
