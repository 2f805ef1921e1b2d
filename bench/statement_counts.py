"""What the database is asked per operation: the statements (SQLite) and the statements
and round trips (PostgreSQL) of a 1 KiB upload, a 1 KiB download and each step of the
two-task process, counted at the driver on a real server.

The server is taskvars' own app (``create_app``) served by uvicorn in a thread of this
process, so that the drivers it loads are this process's: while it runs, every new
``sqlite3`` connection reports each statement SQLite runs (``set_trace_callback``: the
implicit ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` included, whatever issues them,
SQLAlchemy or raw SQL), and every new psycopg connection writes libpq's protocol trace
(``PQtrace``) to a file of its own, from which the messages are counted: statements are
the ``Query`` and ``Execute`` messages sent (``BEGIN``, ``COMMIT``, ``SAVEPOINT``,
``SET``, a pre-ping's ``SELECT 1`` each count); round trips are the waits for the server,
``ReadyForQuery`` and ``CopyInResponse`` messages received. Nothing in the server is
changed or told. The operations go one at a time from one client, after a warm-up round,
``rounds`` times; the counts are averages over them (one at a time, a commit is never
shared: under load, group commit shares it).

    python -m bench.statement_counts [--rounds 10] [--postgres-url URL | --no-postgres] [--show]
"""

from __future__ import annotations

import argparse
import ctypes
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import psycopg
import uvicorn

from bench.processes import MODEL
from tests.e2e.server import free_port
from tests.multipart_bodies import Part, content_type, multipart_body

FULL_ROUNDS = 10
QUICK_ROUNDS = 3
WARM_UP_ROUNDS = 6
SETTLE_SECONDS = 0.02
UPLOAD_NEW = "1 KiB upload, new variable"
UPLOAD_REPLACE = "1 KiB upload, replacing a value"
DOWNLOAD = "1 KiB download"
START = "process step: start"
COMPLETE_FIRST = "process step: complete first task"
COMPLETE_SECOND = "process step: complete second task (ends the instance)"
OPERATIONS = (UPLOAD_NEW, UPLOAD_REPLACE, DOWNLOAD, START, COMPLETE_FIRST, COMPLETE_SECOND)
SMALL_VALUE = b"x" * 1024


@dataclass(frozen=True)
class Counts:
    """Per operation, averaged over the rounds: statements, and round trips where the
    driver's protocol makes them distinct (PostgreSQL; ``None`` on SQLite)."""

    statements: float
    round_trips: float | None = None


@dataclass
class StatementCounts:
    database: str
    rounds: int
    operations: dict[str, Counts] = field(default_factory=dict)
    # The statements of the last round of each operation, as the driver saw them.
    texts: dict[str, list[str]] = field(default_factory=dict)


class _Tally:
    """Every statement the traced connections run, from the moment they connect."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sqlite: list[str] = []
        self.postgres_files: list[Path] = []
        self._lock = threading.Lock()
        self._libc = ctypes.CDLL(None)

    def sqlite_callback(self) -> Callable[[str], None]:
        """A trace callback for one connection. SQLite reports a statement again for each
        trigger or foreign-key action it runs inside it (Python's callback is given the
        statement's text, not SQLite's "-- TRIGGER" note): those repeats, right after the
        statement on its connection, are not statements sent, and are left out. A read
        fires nothing: the same read twice in a row (a reader in autocommit, no ``BEGIN``
        between) is two statements."""
        last: list[str] = [""]

        def statement_run(statement: str) -> None:
            if statement != last[0] or _is_read(statement):
                self.sqlite.append(statement)
            last[0] = statement

        return statement_run

    def postgres_trace_file(self) -> Path:
        with self._lock:
            path = self.directory / f"connection-{len(self.postgres_files)}.trace"
            self.postgres_files.append(path)
        return path

    def postgres_lines(self) -> dict[Path, list[str]]:
        """Each trace file's lines so far."""
        # libpq writes its trace through a buffered C stream: flush every one first.
        self._libc.fflush(None)
        with self._lock:
            paths = list(self.postgres_files)
        return {path: _messages(path.read_text(errors="replace")) for path in paths}

    def snapshot(self) -> _Snapshot:
        return _Snapshot(list(self.sqlite), self.postgres_lines())

    def settled(self) -> _Snapshot:
        """A snapshot once nothing more has come for a moment: a connection goes back
        to its pool (a reset's ROLLBACK) after the response may have left."""
        earlier = self.snapshot()
        while True:
            time.sleep(SETTLE_SECONDS)
            later = self.snapshot()
            if later.sizes() == earlier.sizes():
                return later
            earlier = later


def _is_read(statement: str) -> bool:
    """A ``SELECT`` (with common table expressions, none of them writing)."""
    words = statement.upper().split()
    if not words or words[0] not in ("SELECT", "WITH"):
        return False
    return not {"INSERT", "UPDATE", "DELETE"} & set(words)


@dataclass(frozen=True)
class _Snapshot:
    sqlite: list[str]  # the statements SQLite ran, in order
    postgres: dict[Path, list[str]]  # each connection's trace lines

    def sizes(self) -> tuple[int, dict[Path, int]]:
        return len(self.sqlite), {path: len(lines) for path, lines in self.postgres.items()}

    def added_since(self, earlier: _Snapshot) -> tuple[list[str], list[str]]:
        """The SQLite statements and PostgreSQL trace lines added since ``earlier``."""
        postgres: list[str] = []
        for path, lines in self.postgres.items():
            postgres += lines[len(earlier.postgres.get(path, [])) :]
        return self.sqlite[len(earlier.sqlite) :], postgres


def _messages(trace: str) -> list[str]:
    """libpq's trace, one message a line: a statement's text may span lines."""
    messages: list[str] = []
    for line in trace.splitlines():
        if line.startswith(("F\t", "B\t")) or not messages:
            messages.append(line)
        else:
            messages[-1] += "\n" + line
    return messages


_PARSE = re.compile(r'"([^"]*)" "(.*)" \d+', re.DOTALL)  # statement name, text, parameters
_BIND = re.compile(r'"[^"]*" "([^"]*)"')  # portal, statement name


def _postgres_counts(
    lines: list[str], prepared: dict[str, str] | None = None
) -> tuple[int, int, list[str]]:
    """Statements sent, round trips waited for, and the statements' texts, of trace lines
    (``F|B <length> <message> <contents>``); ``prepared``: the texts of statements
    prepared before these lines, by name."""
    prepared = dict(prepared or {})
    statements = round_trips = 0
    texts: list[str] = []
    executing = ""  # the text of the statement the next Execute runs
    for line in lines:
        parts = line.split("\t", 3)
        if len(parts) < 3:
            continue
        direction, message = parts[0], parts[2]
        contents = parts[3].strip() if len(parts) > 3 else ""
        if direction == "B":
            round_trips += message in ("ReadyForQuery", "CopyInResponse")
        elif message == "Query":
            statements += 1
            texts.append(contents.strip('"'))
        elif message == "Parse" and (parse := _PARSE.match(contents)):
            executing = prepared[parse[1]] = parse[2]
        elif message == "Bind" and (bind := _BIND.match(contents)) and bind[1]:
            executing = prepared.get(bind[1], f"(prepared statement {bind[1]})")
        elif message == "Execute":
            statements += 1
            texts.append(executing)
    return statements, round_trips, texts


def _prepared_statements(lines: list[str]) -> dict[str, str]:
    """The texts of the named statements these trace lines prepare."""
    return {
        parse[1]: parse[2]
        for line in lines
        if "\tParse\t" in line and (parse := _PARSE.match(line.split("\t", 3)[-1].strip()))
        if parse[1]
    }


@contextmanager
def traced_drivers(tally: _Tally) -> Iterator[None]:
    """New sqlite3 and psycopg connections report to ``tally`` until the block ends."""
    sqlite_connect = sqlite3.connect
    dbapi_connect = sqlite3.dbapi2.connect
    module_connect = psycopg.connect  # Connection.connect, bound when psycopg was imported
    sync_connect = psycopg.Connection.connect
    async_connect = psycopg.AsyncConnection.connect

    def traced_sqlite(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = sqlite_connect(*args, **kwargs)
        connection.set_trace_callback(tally.sqlite_callback())
        return connection

    traced: list[tuple[Any, BinaryIO]] = []  # libpq connections, and the files they trace to

    def trace(connection: Any) -> None:
        stream = tally.postgres_trace_file().open("wb")
        connection.pgconn.trace(stream.fileno())
        connection.pgconn.set_trace_flags(
            psycopg.pq.Trace.SUPPRESS_TIMESTAMPS | psycopg.pq.Trace.REGRESS_MODE
        )
        traced.append((connection.pgconn, stream))

    def traced_sync(cls: Any, *args: Any, **kwargs: Any) -> Any:
        connection = sync_connect.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        trace(connection)
        return connection

    async def traced_async(cls: Any, *args: Any, **kwargs: Any) -> Any:
        connection = await async_connect.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        trace(connection)
        return connection

    sqlite3.connect = sqlite3.dbapi2.connect = traced_sqlite  # type: ignore[assignment]
    psycopg.Connection.connect = classmethod(traced_sync)  # type: ignore[method-assign,assignment]
    psycopg.connect = psycopg.Connection.connect  # type: ignore[assignment]
    psycopg.AsyncConnection.connect = classmethod(traced_async)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        sqlite3.connect, sqlite3.dbapi2.connect = sqlite_connect, dbapi_connect  # type: ignore[misc]
        psycopg.Connection.connect = sync_connect  # type: ignore[method-assign]
        psycopg.connect = module_connect
        psycopg.AsyncConnection.connect = async_connect  # type: ignore[method-assign]
        # Each file is closed only once libpq writes to its descriptor no more (a number
        # reused by another file would get its trace).
        for pgconn, stream in traced:
            with suppress(psycopg.Error):
                pgconn.untrace()
            stream.close()


@contextmanager
def serving_in_thread(database_url: str) -> Iterator[str]:
    """taskvars' app on uvicorn in a thread of this process; its base URL. No job
    executor: its polling would be counted with the requests."""
    from taskvars.app import create_app
    from taskvars.settings import Settings

    port = free_port()
    settings = Settings(
        database_url=database_url, port=port, log_level="warning", no_job_executor=True
    )
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="statement-counts-server")
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-process server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/engine-rest"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _upload(client: httpx.Client, name: str) -> None:
    body = multipart_body(Part("data", SMALL_VALUE, filename="v.bin"), Part("valueType", b"Bytes"))
    client.post(
        f"/task/bench/localVariables/{name}/data",
        content=body,
        headers={"Content-Type": content_type()},
    ).raise_for_status()


def _download(client: httpx.Client) -> None:
    response = client.get("/task/bench/localVariables/v0/data")
    response.raise_for_status()
    assert len(response.content) == len(SMALL_VALUE)


def _one_task_id(client: httpx.Client, instance_id: str) -> str:
    response = client.get("/task", params={"processInstanceId": instance_id})
    response.raise_for_status()
    (task,) = response.json()
    return str(task["id"])


def measure(
    database_url: str, database: str, rounds: int, warm_up_rounds: int = WARM_UP_ROUNDS
) -> StatementCounts:
    """Each operation ``rounds`` times after ``warm_up_rounds``, on an empty database."""
    result = StatementCounts(database, rounds)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-statements-") as scratch:
        tally = _Tally(Path(scratch))
        with (
            traced_drivers(tally),
            serving_in_thread(database_url) as base_url,
            httpx.Client(base_url=base_url, timeout=60) as client,
        ):
            client.post("/task/create", json={"id": "bench"}).raise_for_status()
            client.post(
                "/deployment/create",
                content=multipart_body(Part("data", MODEL.read_bytes(), filename=MODEL.name)),
                headers={"Content-Type": content_type()},
            ).raise_for_status()
            counted: dict[str, list[tuple[int, int | None, list[str]]]] = {
                operation: [] for operation in OPERATIONS
            }

            def count(operation: str, call: Callable[[], Any], record: bool) -> Any:
                before = tally.settled()
                value = call()
                if record:
                    counted[operation].append(_difference(before, tally.settled()))
                return value

            for round_number in range(warm_up_rounds + rounds):
                # The first rounds fill caches; psycopg prepares a statement on its fifth run.
                record = round_number >= warm_up_rounds
                name = f"v{round_number}"
                count(UPLOAD_NEW, lambda name=name: _upload(client, name), record)
                count(UPLOAD_REPLACE, lambda name=name: _upload(client, name), record)
                count(DOWNLOAD, lambda: _download(client), record)
                started = count(
                    START,
                    lambda: client.post(
                        "/process-definition/key/twoTasks/start",
                        json={"variables": {"order": {"value": "A-1", "type": "String"}}},
                    ).raise_for_status(),
                    record,
                )
                instance_id = started.json()["id"]
                for step in (COMPLETE_FIRST, COMPLETE_SECOND):
                    task_id = _one_task_id(client, instance_id)
                    count(
                        step,
                        lambda task_id=task_id: client.post(
                            f"/task/{task_id}/complete", json={}
                        ).raise_for_status(),
                        record,
                    )
    postgres = database == "postgresql"
    for operation, samples in counted.items():
        result.operations[operation] = Counts(
            statements=sum(statements for statements, _, _ in samples) / len(samples),
            round_trips=(
                sum(trips or 0 for _, trips, _ in samples) / len(samples) if postgres else None
            ),
        )
        result.texts[operation] = samples[-1][2]
    return result


def _difference(before: _Snapshot, after: _Snapshot) -> tuple[int, int | None, list[str]]:
    sqlite, postgres = after.added_since(before)
    if after.postgres:
        everything = [line for lines in after.postgres.values() for line in lines]
        return _postgres_counts(postgres, _prepared_statements(everything))
    return len(sqlite), None, sqlite


def run(
    rounds: int,
    url_factory: Callable[[Path, str], str] | None,
    warm_up_rounds: int = WARM_UP_ROUNDS,
) -> StatementCounts:
    """On an SQLite file, or (``url_factory``) on the database it gives."""
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-statements-db-") as scratch:
        directory = Path(scratch)
        if url_factory is None:
            url, database = f"sqlite:///{directory / 'statements.db'}", "sqlite"
        else:
            url, database = url_factory(directory, "statements"), "postgresql"
        return measure(url, database, rounds, warm_up_rounds)


def table_lines(results: dict[str, StatementCounts]) -> list[str]:
    """A markdown table: one row per operation; per database its statements, and its
    round trips where they differ from statements (PostgreSQL)."""
    titles: list[str] = []
    for database, result in results.items():
        titles.append(f"{database} statements")
        if _has_round_trips(result):
            titles.append(f"{database} round trips")
    lines = ["| operation | " + " | ".join(titles) + " |", "|---|" + "---:|" * len(titles)]
    for operation in OPERATIONS:
        cells: list[str] = []
        for result in results.values():
            counts = result.operations[operation]
            cells.append(f"{counts.statements:g}")
            if _has_round_trips(result):
                cells.append(f"{counts.round_trips or 0:g}")
        lines.append(f"| {operation} | " + " | ".join(cells) + " |")
    return lines


def _has_round_trips(result: StatementCounts) -> bool:
    return any(counts.round_trips is not None for counts in result.operations.values())


def print_table(result: StatementCounts, *, show: bool = False) -> None:
    trips = result.database == "postgresql"
    print(
        f"SQL per operation, one at a time, mean of {result.rounds} rounds, {result.database}"
        + ("; statements sent and round trips" if trips else "; statements SQLite ran")
    )
    print(f"{'operation':<56}{'statements':>11}" + (f"{'round trips':>13}" if trips else ""))
    for operation, counts in result.operations.items():
        line = f"{operation:<56}{counts.statements:>11g}"
        if counts.round_trips is not None:
            line += f"{counts.round_trips:>13g}"
        print(line)
        if show:
            for text in result.texts[operation]:
                print(f"    {' '.join(text.split())[:160]}")


def main(argv: list[str] | None = None) -> int:
    # Imported here: bench.__main__ imports this module.
    from bench.__main__ import DEFAULT_POSTGRES_URL, postgres_unreachable, schemas

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=FULL_ROUNDS)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--show", action="store_true", help="print each operation's statements")
    arguments = parser.parse_args(argv)
    print_table(run(arguments.rounds, None), show=arguments.show)
    reason = (
        "--no-postgres" if arguments.no_postgres else postgres_unreachable(arguments.postgres_url)
    )
    if reason is not None:
        print(f"skipped: PostgreSQL: {reason}")
        return 0
    print()
    with ExitStack() as stack:
        print_table(
            run(arguments.rounds, schemas(arguments.postgres_url, stack)), show=arguments.show
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
