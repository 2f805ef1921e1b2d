"""The soak run: minutes of mixed load on one server process, watching for leaks.

A real ``taskvars serve`` (one process, a fresh SQLite file or a private PostgreSQL
schema) takes, from 16 connections at once, uploads of 1 KiB to 4 MiB (over a third
larger than the 1 MiB the server keeps in memory, so SQLite stores them as content
files), downloads whose SHA-256 is checked against the last upload, JSON reads and writes
and deletes. Each connection writes only variables of its own, so it always knows what
they must hold. Every ~5 s the server's RSS, open file descriptors and database size are
sampled; every request's latency and status is kept.

Targets (issue 14): no error; RSS and descriptors at the end within 10% of their value
after the warm-up (the first minute, or 20% of the run if shorter); on SQLite, the
content directory holding exactly the bytes of the content files the database's rows
name, read from the database once the server has stopped. The report is printed, written
to ``docs/soak.md`` and copied into ``docs/benchmarks.md`` (see ``bench/report.py``).
Exits 1 on an error or a content mismatch; RSS and descriptors are judged in the report.

    python -m bench soak [--minutes 5] [--connections 16] [--database sqlite|postgresql]
                         [--output docs]
    tox -e soak -- --minutes 3

Not part of the full run (``python -m bench``) nor of CI, which runs it for a few seconds
(tests/e2e/test_bench_smoke.py).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench import report
from bench.transfer import status_kib
from taskvars.persistence.content_files import content_directory
from taskvars.persistence.models import BinaryContent
from taskvars.settings import Settings
from tests.api_client import Api
from tests.databases import private_schema
from tests.e2e.server import running_server

KIB = 1024
MIB = 1024**2
SAMPLE_SECONDS = 5.0
MAX_WARMUP_SECONDS = 60.0
WARMUP_FRACTION = 0.2
MAX_DRIFT = 0.10  # RSS and descriptors: the end within this fraction of after warm-up
REQUEST_TIMEOUT_SECONDS = 120.0
# Before a quiet sample, the time the server gets to finish what follows its last
# response (closing a downloaded file, say), so that the sample sees it at rest.
SETTLE_SECONDS = 0.5
# Larger uploads outgrow the server's in-memory spool: on SQLite they become content
# files, on PostgreSQL temporary files copied into chunk rows.
CONTENT_FILE_MIN_BYTES = Settings().spool_memory_bytes + 1
LARGEST_UPLOAD_BYTES = 4 * MIB
# Uploads up to this size are Bytes values, whose JSON carries them in Base64; larger ones
# are File values, which JSON answers name without their content.
LARGEST_BYTES_VALUE = 16 * KIB

# The mix, as relative weights.
MIX = {"upload": 30, "download": 25, "json read": 15, "json write": 20, "delete": 10}
WRITES = frozenset({"upload", "json write", "delete"})
DEFAULT_CONNECTIONS = 16
TASKS = 4  # connection i works on task soak-(i mod TASKS): neighbours share a task
FILES_PER_CONNECTION = 3
TEXTS_PER_CONNECTION = 2


@dataclass(frozen=True)
class RequestRecord:
    started: float  # seconds since the load began
    operation: str
    milliseconds: float
    error: str | None  # None: answered as expected


class Payloads:
    """Distinct upload contents, cut from one random block (generating megabytes of
    random bytes per upload would cost the client more than the server)."""

    def __init__(self) -> None:
        self._block = os.urandom(LARGEST_UPLOAD_BYTES)

    def make(self, rng: random.Random, size: int, tag: str) -> bytes:
        # The tag (connection and counter) makes every upload's SHA-256 a new one.
        head = tag.encode().ljust(32, b".")
        offset = rng.randrange(len(self._block) - size + 1)
        return head + self._block[offset : offset + size - len(head)]


def upload_size(rng: random.Random) -> int:
    """40% small Bytes values, 25% File values kept in memory, 35% past the spool."""
    draw = rng.random()
    if draw < 0.40:
        return rng.randint(KIB, LARGEST_BYTES_VALUE)
    if draw < 0.65:
        return rng.randint(LARGEST_BYTES_VALUE + 1, CONTENT_FILE_MIN_BYTES - 1)
    return rng.randint(CONTENT_FILE_MIN_BYTES, LARGEST_UPLOAD_BYTES)


class Gate:
    """Lets the main thread hold every connection between two requests, so that the
    samples after warm-up and at the end both see the server at rest, with every
    connection open: a sample taken mid-request counts whatever files that moment's
    uploads and downloads hold open."""

    def __init__(self, connections: int) -> None:
        self._condition = threading.Condition()
        self._connections = connections
        self._holding = False
        self._waiting = 0
        self._gone = 0

    def checkpoint(self) -> None:
        """Called by a connection between requests: waits while the gate is held."""
        with self._condition:
            if not self._holding:
                return
            self._waiting += 1
            self._condition.notify_all()
            self._condition.wait_for(lambda: not self._holding)
            self._waiting -= 1

    def leave(self) -> None:
        """A connection that stopped no longer needs to be waited for."""
        with self._condition:
            self._gone += 1
            self._condition.notify_all()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._condition:
            self._holding = True
            self._condition.wait_for(lambda: self._waiting + self._gone == self._connections)
        try:
            yield
        finally:
            with self._condition:
                self._holding = False
                self._condition.notify_all()


class Connection:
    """One client connection running the mix over variables only it writes: it knows
    what each must hold, so every download and JSON read is checked."""

    def __init__(self, index: int, base_url: str, payloads: Payloads, origin: float) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS)
        self.api = Api(self.client, base="")
        self.index = index
        self.task_id = task_name(index)
        self.rng = random.Random(index)
        self.payloads = payloads
        self.origin = origin
        self.file_names = [f"c{index}-file{n}" for n in range(FILES_PER_CONNECTION)]
        self.text_names = [f"c{index}-text{n}" for n in range(TEXTS_PER_CONNECTION)]
        self.files: dict[str, str] = {}  # name -> SHA-256 of its last upload
        self.texts: dict[str, str] = {}  # name -> its last written String
        # Names whose write failed: stored or not, nobody knows until written again.
        self.unsure: set[str] = set()
        self.records: list[RequestRecord] = []
        self.errors = 0
        self.writes = 0

    def run(self, gate: Gate, stop: threading.Event) -> None:
        try:
            while True:
                gate.checkpoint()
                if stop.is_set():
                    return
                self.step()
        finally:
            gate.leave()

    def step(self) -> None:
        operation, name = self.choose()
        started = time.perf_counter()
        try:
            error = self.perform(operation, name)
        except Exception as exception:  # a soak counts every failure, whatever it is
            error = type(exception).__name__
        finished = time.perf_counter()
        if error is not None:
            self.errors += 1
            if operation in WRITES:
                self.forget(name)
        record = RequestRecord(started - self.origin, operation, (finished - started) * 1000, error)
        self.records.append(record)

    def choose(self) -> tuple[str, str]:
        """The next operation and the variable it is about."""
        operation = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if operation == "download" and not self.files:
            operation = "upload"
        if operation == "delete" and not (self.files or self.texts):
            operation = "json write"
        candidates = {
            "upload": self.file_names,
            "download": sorted(self.files),
            "json read": [""],
            "json write": self.text_names,
            "delete": sorted([*self.files, *self.texts]),
        }[operation]
        return operation, self.rng.choice(candidates)

    def perform(self, operation: str, name: str) -> str | None:
        """Sends one request; the kind of error it met, or ``None``."""
        actions: dict[str, Callable[[str], str | None]] = {
            "upload": self.upload,
            "download": self.download,
            "json read": self.read_json,
            "json write": self.write_json,
            "delete": self.delete,
        }
        return actions[operation](name)

    def variable_path(self, name: str) -> str:
        return f"/task/{self.task_id}/variables/{name}"

    def upload(self, name: str) -> str | None:
        size = upload_size(self.rng)
        self.writes += 1
        content = self.payloads.make(self.rng, size, f"c{self.index} upload {self.writes}")
        is_bytes = size <= LARGEST_BYTES_VALUE
        response = self.api.upload(
            self.variable_path(name),
            content,
            value_type="Bytes" if is_bytes else "File",
            filename=None if is_bytes else f"{name}.bin",
            content_type_header="application/octet-stream",
        )
        if response.status_code != 204:
            return f"HTTP {response.status_code}"
        self.files[name] = hashlib.sha256(content).hexdigest()
        self.unsure.discard(name)
        return None

    def download(self, name: str) -> str | None:
        response = self.client.get(f"{self.variable_path(name)}/data")
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        if hashlib.sha256(response.content).hexdigest() != self.files[name]:
            return "SHA-256 differs from the last upload"
        return None

    def read_json(self, _name: str) -> str | None:
        response = self.client.get(f"/task/{self.task_id}/variables")
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        variables: dict[str, Any] = response.json()
        for name in [*self.file_names, *self.text_names]:
            if name in self.unsure:
                continue
            expected_present = name in self.files or name in self.texts
            if (name in variables) != expected_present:
                return "a variable present or absent against expectation"
            if name in self.texts and variables[name].get("value") != self.texts[name]:
                return "a String differs from the last write"
        return None

    def write_json(self, name: str) -> str | None:
        self.writes += 1
        value = f"c{self.index} write {self.writes}"
        response = self.client.put(
            self.variable_path(name), json={"value": value, "type": "String"}
        )
        if response.status_code != 204:
            return f"HTTP {response.status_code}"
        self.texts[name] = value
        self.unsure.discard(name)
        return None

    def delete(self, name: str) -> str | None:
        response = self.client.delete(self.variable_path(name))
        if response.status_code != 204:
            return f"HTTP {response.status_code}"
        self.files.pop(name, None)
        self.texts.pop(name, None)
        return None

    def forget(self, name: str) -> None:
        """After a failed write its variable may hold anything: check it no longer."""
        self.files.pop(name, None)
        self.texts.pop(name, None)
        self.unsure.add(name)

    def close(self) -> None:
        self.client.close()


def task_name(connection: int) -> str:
    return f"soak-{connection % TASKS}"


# --- what is sampled on the server ---


@dataclass(frozen=True)
class Sample:
    elapsed: float  # seconds since the load began
    rss_kib: int
    descriptors: int
    database_bytes: int
    content_bytes: int | None  # SQLite's content directory; None on PostgreSQL


class Storage(Protocol):
    def sizes(self) -> tuple[int, int | None]:
        """The database's bytes, and of them those in the content directory (if any)."""


class SqliteFiles:
    """The database file, its WAL and its content directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.content = content_directory(str(path))

    def sizes(self) -> tuple[int, int | None]:
        wal = self.path.with_name(self.path.name + "-wal")
        files = sum(path.stat().st_size for path in (self.path, wal) if path.exists())
        content = directory_bytes(self.content) if self.content is not None else 0
        return files + content, content


class PostgresSchema:
    """The tables of one schema (the run's private one), with indexes and TOAST."""

    SIZE = text(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
    )

    def __init__(self, url: str) -> None:
        self.engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))

    def sizes(self) -> tuple[int, int | None]:
        with self.engine.connect() as connection:
            return int(connection.execute(self.SIZE).scalar_one()), None


def directory_bytes(directory: Path) -> int:
    """The sizes of the files in ``directory``; one the server removes while they are
    counted (it replaces and deletes values all the time) counts as gone."""
    total = 0
    for entry in os.scandir(directory):
        try:
            total += entry.stat().st_size
        except FileNotFoundError:
            continue
    return total


def sample(pid: int, storage: Storage, elapsed: float) -> Sample:
    database_bytes, content_bytes = storage.sizes()
    return Sample(
        elapsed=elapsed,
        rss_kib=status_kib(pid, "VmRSS"),
        descriptors=len(os.listdir(f"/proc/{pid}/fd")),
        database_bytes=database_bytes,
        content_bytes=content_bytes,
    )


@contextmanager
def database(kind: str, directory: Path, postgres_url: str) -> Iterator[tuple[str, Storage]]:
    """A database URL the server creates its tables in, and how to measure it."""
    if kind == "sqlite":
        path = directory / "soak.db"
        yield f"sqlite:///{path}", SqliteFiles(path)
        return
    # Never the public schema: one of its own, dropped afterwards (as the full run does).
    with private_schema(postgres_url) as url:
        storage = PostgresSchema(url)
        try:
            yield url, storage
        finally:
            storage.engine.dispose()


# --- content files against the rows that name them (SQLite) ---


@dataclass(frozen=True)
class ContentCheck:
    directory_bytes: int
    directory_files: int
    named_bytes: int  # the sizes of the values whose rows name a content file
    named_files: int
    unnamed: int  # files no row names (left over)
    missing: int  # rows naming a file that is not there

    @property
    def met(self) -> bool:
        return self.directory_bytes == self.named_bytes and self.unnamed == self.missing == 0


def check_content_files(path: Path) -> ContentCheck:
    """Read from the database itself, after the server stopped: exact, where summing
    what the API reports would depend on where the server draws the line."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(BinaryContent.file_name, BinaryContent.size).where(
                    BinaryContent.file_name.is_not(None)
                )
            )
            named = {str(name): int(size) for name, size in rows}
    finally:
        engine.dispose()
    directory = content_directory(str(path))
    assert directory is not None
    present = {entry.name: entry.stat().st_size for entry in directory.iterdir()}
    return ContentCheck(
        directory_bytes=sum(present.values()),
        directory_files=len(present),
        named_bytes=sum(named.values()),
        named_files=len(named),
        unnamed=len(present.keys() - named.keys()),
        missing=len(named.keys() - present.keys()),
    )


# --- the run ---


@dataclass(frozen=True)
class SoakResult:
    started: datetime
    command: str
    machine: str
    database: str
    connections: int
    seconds: float  # how long the load was to run; it ends at end.elapsed
    warmup_seconds: float
    records: list[RequestRecord]
    samples: list[Sample]  # every ~SAMPLE_SECONDS, under load
    after_warmup: Sample  # at rest, every connection held
    end: Sample  # at rest, every connection held
    content: ContentCheck | None  # SQLite only

    @property
    def errors(self) -> Counter[str]:
        return Counter(
            f"{record.operation}: {record.error}" for record in self.records if record.error
        )

    @property
    def passed(self) -> bool:
        """No error, and no content file too many or too few: the correctness targets."""
        return not self.errors and (self.content is None or self.content.met)


def warmup_seconds(seconds: float) -> float:
    return min(MAX_WARMUP_SECONDS, WARMUP_FRACTION * seconds)


def quiet_sample(gate: Gate, measure: Callable[[], Sample]) -> Sample:
    with gate.held():
        time.sleep(SETTLE_SECONDS)
        return measure()


def drive(
    connections: list[Connection], measure: Callable[[], Sample], origin: float, seconds: float
) -> tuple[list[Sample], Sample, Sample]:
    """Runs the connections for ``seconds``; the periodic samples, the one after warm-up
    and the one at the end."""
    gate, stop = Gate(len(connections)), threading.Event()
    threads = [
        threading.Thread(target=connection.run, args=(gate, stop), name=f"soak-{n}")
        for n, connection in enumerate(connections)
    ]
    for thread in threads:
        thread.start()
    periodic: list[Sample] = []
    after_warmup: Sample | None = None
    next_sample = 0.0
    while (elapsed := time.perf_counter() - origin) < seconds:
        if after_warmup is None and elapsed >= warmup_seconds(seconds):
            after_warmup = quiet_sample(gate, measure)
            print_progress("after warm-up", after_warmup, connections)
        if elapsed >= next_sample:
            periodic.append(measure())
            print_progress("", periodic[-1], connections)
            next_sample += SAMPLE_SECONDS
        time.sleep(0.1)
    with gate.held():
        time.sleep(SETTLE_SECONDS)
        end = measure()
        stop.set()
    print_progress("end", end, connections)
    for thread in threads:
        thread.join()
    assert after_warmup is not None
    return periodic, after_warmup, end


def print_progress(label: str, taken: Sample, connections: list[Connection]) -> None:
    requests = sum(len(connection.records) for connection in connections)
    errors = sum(connection.errors for connection in connections)
    print(
        f"{taken.elapsed:7.1f} s: {requests:,} requests, {errors} errors, "
        f"RSS {taken.rss_kib / 1024:.1f} MiB, {taken.descriptors} descriptors, "
        f"database {taken.database_bytes / MIB:.1f} MiB {label}".rstrip(),
        flush=True,
    )


def create_tasks(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        api = Api(client, base="")
        for connection in range(TASKS):
            api.create_task(task_name(connection))


def run(
    seconds: float, connection_count: int, kind: str, postgres_url: str, command: str
) -> SoakResult:
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as name, ExitStack() as stack:
        directory = Path(name)
        url, storage = stack.enter_context(database(kind, directory, postgres_url))
        # Idle connections stay open while held at the gate, for as long as that takes.
        keep_alive = {"TASKVARS_KEEP_ALIVE_SECONDS": str(int(REQUEST_TIMEOUT_SECONDS))}
        server = stack.enter_context(
            running_server(url, directory, "--log-level", "warning", env=keep_alive)
        )
        create_tasks(server.base_url)
        payloads, origin = Payloads(), time.perf_counter()
        connections = [
            Connection(n, server.base_url, payloads, origin) for n in range(connection_count)
        ]
        pid = server.process.pid
        try:
            samples, after_warmup, end = drive(
                connections,
                lambda: sample(pid, storage, time.perf_counter() - origin),
                origin,
                seconds,
            )
        finally:
            for connection in connections:
                connection.close()
        stack.close()  # stops the server, so that its files can be compared with its rows
        content = check_content_files(directory / "soak.db") if kind == "sqlite" else None
    return SoakResult(
        started=started,
        command=command,
        machine=report.machine(),
        database=kind,
        connections=connection_count,
        seconds=seconds,
        warmup_seconds=warmup_seconds(seconds),
        records=sorted(
            (record for connection in connections for record in connection.records),
            key=lambda record: record.started,
        ),
        samples=samples,
        after_warmup=after_warmup,
        end=end,
        content=content,
    )


# --- the report ---


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def drift(before: float, after: float) -> float:
    return (after - before) / before if before else 0.0


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def target_lines(result: SoakResult) -> list[str]:
    errors = sum(result.errors.values())
    lines = [
        f"- no error: {errors} errors in {len(result.records):,} requests: {_verdict(not errors)}"
    ]
    start, end = result.after_warmup, result.end
    for label, before, after, shown in (
        ("server RSS", start.rss_kib, end.rss_kib, lambda kib: f"{kib / 1024:.1f} MiB"),
        ("open file descriptors", start.descriptors, end.descriptors, str),
    ):
        change = drift(before, after)
        lines.append(
            f"- {label} flat (end within {MAX_DRIFT:.0%} of after warm-up): "
            f"{shown(before)} -> {shown(after)} ({change:+.1%}): "
            f"{_verdict(abs(change) <= MAX_DRIFT)}"
        )
    content = result.content
    if content is None:
        lines.append(
            "- content directory equal to the live values' bytes: not applicable "
            f"({result.database} keeps every value in rows)"
        )
    else:
        lines.append(
            "- content directory equal to the live values' bytes (rows naming a content "
            f"file, read after the server stopped): {content.directory_bytes:,} bytes in "
            f"{content.directory_files} files, rows name {content.named_bytes:,} bytes in "
            f"{content.named_files} files, {content.unnamed} unnamed, {content.missing} "
            f"missing: {_verdict(content.met)}"
        )
    return lines


def _mib(size: int | None) -> str:
    return "" if size is None else f"{size / MIB:.1f}"


def _resources_table(result: SoakResult) -> list[str]:
    """At rest after warm-up and at the end (the targets' figures), and the range the
    samples under load spanned in between (which shows a trend the two ends could hide)."""
    start, end = result.after_warmup, result.end
    under_load = [s for s in result.samples if s.elapsed >= start.elapsed] or [start, end]
    figures: list[tuple[str, Callable[[Sample], int | None], Callable[[int | None], str]]] = [
        ("server RSS, MiB", lambda s: s.rss_kib * KIB, _mib),
        ("open file descriptors", lambda s: s.descriptors, str),
        ("database, MiB", lambda s: s.database_bytes, _mib),
    ]
    if result.content is not None:
        figures.append(("of it content files, MiB", lambda s: s.content_bytes, _mib))
    lines = [
        f"| | after warm-up ({start.elapsed:.0f} s) | end ({end.elapsed:.0f} s) "
        "| under load in between, min to max |",
        "|---|---:|---:|---:|",
    ]
    for label, figure, shown in figures:
        spanned = [value for value in map(figure, under_load) if value is not None]
        lines.append(
            f"| {label} | {shown(figure(start))} | {shown(figure(end))} "
            f"| {shown(min(spanned))} to {shown(max(spanned))} |"
        )
    return lines


def _operations_table(result: SoakResult) -> list[str]:
    lines = ["| operation | requests | errors | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    for operation in MIX:
        records = [record for record in result.records if record.operation == operation]
        latencies = [record.milliseconds for record in records]
        errors = sum(1 for record in records if record.error)
        lines.append(
            f"| {operation} | {len(records):,} | {errors} | {percentile(latencies, 0.5):.1f} | "
            f"{percentile(latencies, 0.99):.1f} |"
        )
    return lines


def _errors_table(result: SoakResult) -> list[str]:
    if not result.errors:
        return ["None."]
    lines = ["| error | count |", "|---|---:|"]
    return lines + [f"| {kind} | {count} |" for kind, count in result.errors.most_common()]


def minute_of(elapsed: float, seconds: float) -> int:
    """The minute of a ``seconds`` long load that ``elapsed`` falls in. The few requests
    started after the planned end, before every connection is held, count in the last
    minute rather than in a row of their own."""
    last = max(0, math.ceil(seconds / 60) - 1)
    return min(int(elapsed // 60), last)


def by_minute(records: list[RequestRecord], seconds: float) -> dict[int, list[RequestRecord]]:
    """The records of each minute of load, in order."""
    minutes: dict[int, list[RequestRecord]] = {}
    for record in records:
        minutes.setdefault(minute_of(record.started, seconds), []).append(record)
    return minutes


def _minutes_table(result: SoakResult) -> list[str]:
    """Per minute of load: requests, latency, and the last sample taken in it."""
    lines = [
        "| minute | requests | errors | p50 ms | p99 ms | RSS MiB | descriptors | database MiB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for minute, records in by_minute(result.records, result.seconds).items():
        latencies = [record.milliseconds for record in records]
        errors = sum(1 for record in records if record.error)
        taken = [s for s in result.samples if minute_of(s.elapsed, result.seconds) == minute]
        last = taken[-1] if taken else None
        resources = (
            f"{last.rss_kib / 1024:.1f} | {last.descriptors} | {_mib(last.database_bytes)}"
            if last
            else " | | "
        )
        lines.append(
            f"| {minute + 1} | {len(records):,} | {errors} | {percentile(latencies, 0.5):.1f} | "
            f"{percentile(latencies, 0.99):.1f} | {resources} |"
        )
    return lines


def markdown(result: SoakResult) -> str:
    p99s = [
        percentile([record.milliseconds for record in records], 0.99)
        for records in by_minute(result.records, result.seconds).values()
    ]
    return "\n".join(
        [
            "# Soak run",
            "",
            f"Last run: {result.started:%Y-%m-%d %H:%M} UTC, `{result.command}`, "
            f"{result.database}, on {result.machine}. {result.connections} connections for "
            f"{result.seconds:.0f} s against one `taskvars serve` process "
            "(`bench/soak.py`): uploads of 1 KiB to 4 MiB (Bytes values up to 16 KiB, File "
            "values above; a third past 1 MiB, which SQLite keeps as content files), "
            "downloads checked against the SHA-256 of the last upload, JSON reads checked "
            "against the last writes, String writes and deletes, "
            + ", ".join(f"{weight}% {operation}s" for operation, weight in MIX.items())
            + f". Warm-up: the first {result.warmup_seconds:.0f} s. The after-warm-up and "
            "end figures are taken with every connection held between two requests.",
            "",
            "## Targets",
            "",
            *target_lines(result),
            "",
            "## Server resources",
            "",
            *_resources_table(result),
            "",
            f"## Requests: {len(result.records):,} in {result.end.elapsed:.0f} s "
            f"({len(result.records) / result.end.elapsed:.0f}/s), p99 per minute "
            f"{min(p99s, default=0):.1f} to {max(p99s, default=0):.1f} ms",
            "",
            *_operations_table(result),
            "",
            "## Errors",
            "",
            *_errors_table(result),
            "",
            "## Per minute",
            "",
            *_minutes_table(result),
            "",
        ]
    )


def write(result: SoakResult, directory: Path) -> list[Path]:
    """``soak.md``, and its copy in ``benchmarks.md`` when there is one."""
    directory.mkdir(parents=True, exist_ok=True)
    document = markdown(result)
    soak = directory / report.SOAK_DOCUMENT
    soak.write_text(document)
    written = [soak]
    benchmarks = directory / report.BENCHMARKS_DOCUMENT
    if benchmarks.exists():
        benchmarks.write_text(report.with_soak_section(benchmarks.read_text(), document))
        written.append(benchmarks)
    return written


def described(arguments: argparse.Namespace) -> str:
    """The command line as the report shows it: never the PostgreSQL URL, which may
    hold a password."""
    words = ["python -m bench soak", f"--minutes {arguments.minutes:g}"]
    if arguments.connections != DEFAULT_CONNECTIONS:
        words.append(f"--connections {arguments.connections}")
    if arguments.database != "sqlite":
        words.append(f"--database {arguments.database}")
    return " ".join(words)


def main(argv: list[str], default_postgres_url: str) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--minutes", type=float, default=5.0, help="how long the load runs (default 5; 0.1 = 6 s)"
    )
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=default_postgres_url,
        help="--database postgresql: the run gets a private schema in this database",
    )
    parser.add_argument("--output", type=Path, default=Path("docs"))
    arguments = parser.parse_args(argv)
    command = described(arguments)
    result = run(
        arguments.minutes * 60,
        arguments.connections,
        arguments.database,
        arguments.postgres_url,
        command,
    )
    print()
    print(markdown(result))
    written = write(result, arguments.output)
    print(f"wrote {', '.join(str(path) for path in written)}")
    return 0 if result.passed else 1
