"""bench/statement_counts.py counts what the drivers send on a real app, and leaves the
drivers as they were (its numbers are the benchmark's; here only that it counts)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import psycopg

from bench import statement_counts
from bench.process_cpu import TICKS_PER_SECOND, cpu_seconds
from bench.statement_counts import DOWNLOAD, OPERATIONS, UPLOAD_NEW, UPLOAD_REPLACE
from tests.databases import postgres_server_url, private_schema


def test_every_operation_is_counted_with_its_commit_and_the_drivers_are_restored(
    database_kind: str,
) -> None:
    connects = (sqlite3.connect, psycopg.connect, psycopg.Connection.connect)
    with ExitStack() as stack:
        url_factory: Callable[[Path, str], str] | None = None
        if database_kind == "postgresql":
            url = stack.enter_context(private_schema(postgres_server_url()))
            url_factory = lambda _directory, _name: url  # noqa: E731

        result = statement_counts.run(1, url_factory, warm_up_rounds=1)

    assert result.database == database_kind
    assert set(result.operations) == set(OPERATIONS)
    # On PostgreSQL the fast path's small requests are one statement each, in autocommit;
    # on SQLite its downloads are (one SELECT on the reading thread).
    one_statement = (
        {UPLOAD_NEW, UPLOAD_REPLACE, DOWNLOAD} if database_kind == "postgresql" else {DOWNLOAD}
    )
    for operation in OPERATIONS:
        counts = result.operations[operation]
        # A statement at least, and its commit (its own, in autocommit).
        assert counts.statements >= (1 if operation in one_statement else 2), operation
        assert (counts.round_trips is not None) == (database_kind == "postgresql")
    upload = [text.upper() for text in result.texts[UPLOAD_NEW]]
    if database_kind == "postgresql":
        assert len(upload) == 1
        assert upload[0].startswith("WITH")
    else:
        assert any(text.startswith("BEGIN") for text in upload)
        assert upload[-1] == "COMMIT"
    assert (sqlite3.connect, psycopg.connect, psycopg.Connection.connect) == connects


def test_postgres_statements_are_queries_and_executions_and_round_trips_the_waits() -> None:
    trace = [
        'F\t10\tQuery\t "BEGIN"',
        'B\t10\tCommandComplete\t "BEGIN"',
        "B\t5\tReadyForQuery\t T",
        'F\t30\tQuery\t "COPY t (data) FROM STDIN"',
        "B\t9\tCopyInResponse\t \\x00 1 0",
        "F\t6\tCopyData\t 'BBBB'",
        "F\t4\tCopyDone",
        "B\t5\tReadyForQuery\t T",
        'F\t40\tParse\t "" "UPDATE t SET a = $1" 1 NNNN',
        'F\t20\tBind\t "" "" 0 1 1 \'1\' 1 0',
        'F\t6\tExecute\t "" 0',
        "F\t4\tSync",
        "B\t5\tReadyForQuery\t T",
        'F\t11\tQuery\t "COMMIT"',
        "B\t5\tReadyForQuery\t I",
    ]

    statements, round_trips, texts = statement_counts._postgres_counts(trace)

    assert (statements, round_trips) == (4, 5)
    assert texts == ["BEGIN", "COPY t (data) FROM STDIN", "UPDATE t SET a = $1", "COMMIT"]


def test_a_statement_prepared_earlier_is_named_by_its_text() -> None:
    trace = [
        'F\t20\tBind\t "" "_pg3_0" 0 0 1 0',
        'F\t6\tExecute\t "" 0',
        "F\t4\tSync",
        "B\t5\tReadyForQuery\t T",
    ]
    earlier = ['F\t40\tParse\t "_pg3_0" "SELECT a FROM t" 0']

    counted = statement_counts._postgres_counts(
        trace, statement_counts._prepared_statements(earlier)
    )

    assert counted == (1, 1, ["SELECT a FROM t"])


def test_a_server_cpu_time_includes_its_worker_processes() -> None:
    # A child that spends 0.3 s of CPU by its own clock, then waits.
    burn = (
        "import sys, time\n"
        "while time.process_time() < 0.3: pass\n"
        "print(time.process_time(), flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        child_seconds = float(child.stdout.readline())
        own_seconds = time.process_time()

        total = cpu_seconds(os.getpid())
    finally:
        child.communicate("")

    tick = 1 / TICKS_PER_SECOND
    assert total is not None
    # /proc gives whole ticks: user and system time, of each of the two processes, each
    # cut down by up to a tick.
    assert total >= own_seconds + child_seconds - 4 * tick
