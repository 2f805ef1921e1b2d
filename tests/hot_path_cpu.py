"""Statements, round trips and in-process CPU per hot operation:
``python -m tests.hot_path_cpu [DATABASE_URL] [CALLS]`` (default: a fresh SQLite file,
2,000 calls). CPU is ``time.process_time`` over the calls, which does not depend on how
loaded the machine is the way wall-clock time does."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.unit_of_work import Database
from tests.databases import private_schema
from tests.hot_path_operations import OPERATIONS, set_up
from tests.statement_counter import counting


def measure(url: str, calls: int) -> None:
    database = Database(url)
    try:
        upgrade(database.engine)
        set_up(database)
        print(f"{'operation':24} {'statements':>10} {'round trips':>11} {'CPU us/call':>11}")
        for operation in OPERATIONS:
            operation.prepare(database)
            with counting(database) as counted:
                operation.run(database)
            spent = 0.0
            for _ in range(calls):
                operation.prepare(database)
                started = time.process_time()
                operation.run(database)
                spent += time.process_time() - started
            trips = counted.round_trips if counted.postgresql else "-"
            print(
                f"{operation.name:24} {len(counted.statements):>10} {trips:>11} "
                f"{spent / calls * 1e6:>11.0f}"
            )
            print("    " + ", ".join(counted.kinds()))
    finally:
        database.dispose()


def main() -> None:
    url = sys.argv[1] if len(sys.argv) > 1 else ""
    calls = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if url.startswith("postgresql"):
        with private_schema(url) as schema_url:
            measure(schema_url, calls)
        return
    with tempfile.TemporaryDirectory() as directory:
        measure(f"sqlite:///{Path(directory) / 'hot.db'}", calls)


if __name__ == "__main__":
    main()
