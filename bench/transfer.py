"""Upload and download speed and peak memory of File values, beside two references.

For each size, one value goes up and comes back down through a real ``taskvars serve``
and through the sink (bench/sink.py), over one connection from the same client. Prints
wall time, MB/s, the ratio to the sink, the server's CPU time for the transfer (all its
threads, and its event loop's thread alone: figures that hardly change with the load on
the machine, where the wall time does), and how far the server's peak RSS rose above its
resident size before the transfer. Peak RSS is the kernel's high-water mark (``VmHWM``),
reset before each transfer through ``/proc/PID/clear_refs``: exact, not sampled. Linux
only.

The second reference is the disk: right before each upload, the same number of bytes is
written to a file beside the database and synced, as a stored upload must be. Every
transfer starts after ``os.sync()``, and every upload and reference with the same supply
of just-freed memory (bench/page_cache.py: on this virtual machine that alone made the
same write of 1 GiB take 0.2 or 2.5 s).
On PostgreSQL the third reference is psycopg's binary ``COPY`` of the same bytes
(bench/postgres_reference.py).

Both servers run at once, and each size is measured in ``RUNS`` (3) rounds: in each, the
sink's upload, the disk, taskvars' upload, the ``COPY`` (in, then out), the sink's
download and taskvars' download, one after the other. Every figure is the best of its
rounds. Measured minute by minute instead, a reference taken before a slow spell of this
shared machine (or after it) moved a ratio by a third (PostgreSQL's 64 MiB download:
1.26-1.59x ``COPY`` out in runs of the same code).

    python -m bench.transfer --sizes 1KiB,1MiB,64MiB,1GiB [--database-url URL]

Exits 1 when a transfer raised the server's peak RSS by more than ``--max-growth-mib``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench import postgres_reference
from bench.page_cache import supply_warm_pages
from bench.process_cpu import cpu_seconds
from tests.databases import private_schema
from tests.e2e.server import free_port, running_server

UNITS = {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}
MIB = 1024**2
BOUNDARY = "taskvars-bench"


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # "5": reset the peak RSS (VmHWM)


def loop_thread_seconds(pid: int) -> float:
    """CPU time of the server's main thread (its event loop), in nanoseconds from the
    scheduler (``/proc/PID/schedstat``; the process's ``stat`` counts 10 ms ticks)."""
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9


@dataclass(frozen=True)
class CpuMark:
    """Where a server's CPU counters stood, to subtract from a later mark."""

    process: float
    loop: float

    @classmethod
    def of(cls, pid: int) -> CpuMark:
        return cls(cpu_seconds(pid) or 0.0, loop_thread_seconds(pid))

    def since(self, pid: int) -> tuple[float, float]:
        """Process and loop-thread CPU milliseconds from this mark to now."""
        now = CpuMark.of(pid)
        return (now.process - self.process) * 1000, (now.loop - self.loop) * 1000


@dataclass(frozen=True)
class Transfer:
    size: int
    seconds: float
    growth_mib: float
    cpu_ms: float = 0.0  # the server's, every thread
    loop_ms: float = 0.0  # the server's event loop thread alone

    @property
    def megabytes_per_second(self) -> float:
        return self.size / 1e6 / self.seconds


# Every transfer and reference is measured this many times and its best time kept: one
# run on a shared machine can be off by half, either way, for the server or its limit.
RUNS = 3


def best(runs: list[Transfer]) -> Transfer:
    """The fastest of ``runs``, with the largest RSS growth any of them had and the least
    CPU time (the run least disturbed)."""
    fastest = min(runs, key=lambda run: run.seconds)
    return Transfer(
        fastest.size,
        fastest.seconds,
        max(run.growth_mib for run in runs),
        min(run.cpu_ms for run in runs),
        min(run.loop_ms for run in runs),
    )


def parse_size(text: str) -> int:
    for unit, factor in UNITS.items():
        if text.endswith(unit):
            return int(text[: -len(unit)]) * factor
    return int(text)


def label(size: int) -> str:
    for unit, factor in reversed(UNITS.items()):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def body(size: int) -> tuple[bytes, bytes, int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="valueType"\r\n\r\nFile\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="v.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def stream(head: bytes, size: int, tail: bytes) -> Iterator[bytes]:
    yield head
    block = hashlib.sha256(b"bench").digest() * (MIB // 32)
    sent = 0
    while sent < size:
        piece = block[: min(MIB, size - sent)]
        sent += len(piece)
        yield piece
    yield tail


def disk_write_seconds(directory: Path, size: int) -> float:
    """Time to write ``size`` bytes to a new file in ``directory`` and sync it."""
    os.sync()
    block = hashlib.sha256(b"disk").digest() * (MIB // 32)
    path = directory / "disk-reference.bin"
    supply_warm_pages(directory, size)
    started = time.perf_counter()
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            written += os.write(fd, block[: min(MIB, size - written)])
        os.fdatasync(fd)
    finally:
        os.close(fd)
    seconds = time.perf_counter() - started
    path.unlink()
    os.sync()
    return seconds


def curl_upload(base_url: str, pid: int, url: str, size: int, body_file: Path) -> Transfer:
    """The upload sent by curl from a file in the page cache: a client that costs
    next to nothing, so that what is measured is the server (httpx as the client spends
    more time per megabyte than the sink does)."""
    os.sync()
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    supply_warm_pages(body_file.parent, size)
    cpu = CpuMark.of(pid)
    seconds = _curl(
        "-X",
        "POST",
        "-T",
        str(body_file),
        "-H",
        "Expect:",
        "-H",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        base_url + url,
        expected="204",
    )
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024, *cpu.since(pid))


def curl_download(base_url: str, pid: int, url: str, size: int) -> Transfer:
    os.sync()
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    cpu = CpuMark.of(pid)
    seconds = _curl(base_url + url, expected="200", expected_size=size)
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024, *cpu.since(pid))


def _curl(*arguments: str, expected: str, expected_size: int | None = None) -> float:
    written = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download} %{time_total}",
            *arguments,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    status, downloaded, seconds = written[0], int(written[1]), float(written[2])
    if status != expected or (expected_size is not None and downloaded != expected_size):
        raise SystemExit(f"curl {arguments}: {status}, {downloaded} bytes")
    return seconds


def write_body_file(path: Path, size: int) -> Path:
    head, tail, _ = body(size)
    with path.open("wb") as file:
        for piece in stream(head, size, tail):
            file.write(piece)
    return path


def upload(client: httpx.Client, pid: int, url: str, size: int, scratch: Path) -> Transfer:
    os.sync()
    head, tail, length = body(size)
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    supply_warm_pages(scratch, size)
    cpu = CpuMark.of(pid)
    started = time.perf_counter()
    response = client.post(
        url,
        content=stream(head, size, tail),
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
    )
    seconds = time.perf_counter() - started
    response.raise_for_status()
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024, *cpu.since(pid))


def download(client: httpx.Client, pid: int, url: str, size: int) -> Transfer:
    os.sync()
    before = status_kib(pid, "VmRSS")
    reset_peak(pid)
    cpu = CpuMark.of(pid)
    received = 0
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_raw(MIB):
            received += len(chunk)
    seconds = time.perf_counter() - started
    if received != size:
        raise SystemExit(f"downloaded {received} bytes of {size}")
    return Transfer(size, seconds, (status_kib(pid, "VmHWM") - before) / 1024, *cpu.since(pid))


@dataclass(frozen=True)
class SizeResult:
    size: int
    upload: Transfer
    download: Transfer
    sink_upload: Transfer
    sink_download: Transfer
    disk_seconds: float
    # PostgreSQL only: the same bytes through COPY in and out (bench/postgres_reference.py)
    copy_in_seconds: float | None = None
    copy_out_seconds: float | None = None

    @property
    def upload_vs_copy(self) -> float | None:
        if self.copy_in_seconds is None:
            return None
        return self.upload.seconds / self.copy_in_seconds

    @property
    def download_vs_copy(self) -> float | None:
        if self.copy_out_seconds is None:
            return None
        return self.download.seconds / self.copy_out_seconds

    @property
    def upload_vs_sink(self) -> float:
        return self.upload.seconds / self.sink_upload.seconds

    @property
    def download_vs_sink(self) -> float:
        return self.download.seconds / self.sink_download.seconds

    def table_rows(self) -> list[tuple[str, tuple[str, ...]]]:
        """Per direction, the cells under :data:`TABLE_COLUMNS`."""
        rows: list[tuple[str, tuple[str, ...]]] = []
        for direction, ours, sink, disk, copy in (
            ("upload", self.upload, self.sink_upload, self.disk_seconds, self.copy_in_seconds),
            ("download", self.download, self.sink_download, None, self.copy_out_seconds),
        ):
            cells = (
                f"{ours.seconds:.3f}",
                f"{ours.megabytes_per_second:.1f}",
                f"{sink.seconds:.3f}",
                "" if disk is None else f"{disk:.3f}",
                f"{ours.seconds / sink.seconds:.2f}",
                "" if copy is None else f"{copy:.3f}",
                "" if copy is None else f"{ours.seconds / copy:.2f}",
                f"{ours.cpu_ms:.0f}",
                f"{ours.loop_ms:.1f}",
                f"{ours.growth_mib:.1f}",
            )
            rows.append((direction, cells))
        return rows


TABLE_COLUMNS = (
    "taskvars s",
    "MB/s",
    "sink s",
    "disk s",
    "x sink",
    "COPY s",
    "x COPY",
    "CPU ms",
    "loop ms",
    "RSS +MiB",
)


@dataclass(frozen=True)
class Server:
    """A server under measurement: where it answers, its process, and the URL of one
    value on it (``{size}`` filled in per size)."""

    base_url: str
    pid: int
    upload_path: str
    download_path: str


class Client:
    """Uploads and downloads through curl when ``bodies`` holds each size's body file,
    else through httpx, one connection per server (``scratch``: where the pages an
    upload starts on are freed)."""

    def __init__(self, bodies: dict[int, Path] | None, scratch: Path) -> None:
        self.bodies = bodies
        self.scratch = scratch
        self._connections: dict[str, httpx.Client] = {}

    def upload(self, server: Server, size: int) -> Transfer:
        path = server.upload_path.format(size=size)
        if self.bodies is not None:
            return curl_upload(server.base_url, server.pid, path, size, self.bodies[size])
        return upload(self._connection(server), server.pid, path, size, self.scratch)

    def download(self, server: Server, size: int) -> Transfer:
        path = server.download_path.format(size=size)
        if self.bodies is not None:
            return curl_download(server.base_url, server.pid, path, size)
        return download(self._connection(server), server.pid, path, size)

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()

    def _connection(self, server: Server) -> httpx.Client:
        if server.base_url not in self._connections:
            self._connections[server.base_url] = httpx.Client(
                base_url=server.base_url, timeout=3600
            )
        return self._connections[server.base_url]


@contextmanager
def running_sink() -> Iterator[Server]:
    with running_module(lambda port: ["bench.sink", str(port)], "/", "/{size}") as sink:
        yield sink


@contextmanager
def running_module(
    arguments: Callable[[int], list[str]], upload_path: str, download_path: str
) -> Iterator[Server]:
    """A reference server, ``python -m`` with ``arguments(port)`` for a free port, in a
    process of its own; yielded once it accepts connections."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", *arguments(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield Server(f"http://127.0.0.1:{port}", process.pid, upload_path, download_path)
    finally:
        process.terminate()
        process.wait()


@contextmanager
def running_taskvars(database_url: str, directory: Path, max_size: int) -> Iterator[Server]:
    extra = ["--max-upload-bytes", str(max_size + MIB)]
    with running_server(database_url, directory, *extra) as server:
        with httpx.Client(base_url=server.base_url, timeout=3600) as client:
            client.post("/task/create", json={"id": "bench"}).raise_for_status()
            upload(
                client, server.process.pid, "/task/bench/localVariables/warm/data", MIB, directory
            )
        path = "/task/bench/localVariables/v{size}/data"
        yield Server(server.base_url, server.process.pid, path, path)


def measure_round(
    size: int,
    client: Client,
    sink: Server,
    taskvars: Server,
    directory: Path,
    database_url: str,
) -> SizeResult:
    """One transfer each way through the sink and through taskvars, each beside its
    references, measured within seconds of each other."""
    sink_upload = client.upload(sink, size)
    disk = disk_write_seconds(directory, size)
    ours_upload = client.upload(taskvars, size)
    copy_in = copy_out = None
    if database_url.startswith("postgresql"):
        copy_in, copy_out = postgres_reference.copy_seconds(
            database_url, size, before_write=lambda: supply_warm_pages(directory, size)
        )
    sink_download = client.download(sink, size)
    ours_download = client.download(taskvars, size)
    return SizeResult(
        size, ours_upload, ours_download, sink_upload, sink_download, disk, copy_in, copy_out
    )


def best_round(rounds: list[SizeResult]) -> SizeResult:
    """Each transfer's and each reference's best over ``rounds``."""

    def fastest(seconds: list[float | None]) -> float | None:
        known = [value for value in seconds if value is not None]
        return min(known) if known else None

    return SizeResult(
        rounds[0].size,
        best([r.upload for r in rounds]),
        best([r.download for r in rounds]),
        best([r.sink_upload for r in rounds]),
        best([r.sink_download for r in rounds]),
        min(r.disk_seconds for r in rounds),
        fastest([r.copy_in_seconds for r in rounds]),
        fastest([r.copy_out_seconds for r in rounds]),
    )


def client_name() -> str:
    """curl when it is installed (the cheaper client), else httpx."""
    return "curl" if shutil.which("curl") else "httpx"


def run(sizes: list[int], database_url: str | None = None) -> list[SizeResult]:
    """Every size through the sink and through taskvars (a fresh SQLite file unless
    ``database_url`` is given), from the same client, in :data:`RUNS` interleaved rounds:
    a machine whose speed drifts over minutes moves a transfer and its references alike."""
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        url = database_url or f"sqlite:///{directory}/bench.db"
        bodies = None
        if client_name() == "curl":
            bodies = {size: write_body_file(directory / f"body-{size}", size) for size in sizes}
        client = Client(bodies, directory)
        with (
            closing(client),
            running_sink() as sink,
            running_taskvars(url, directory, max(sizes)) as taskvars,
        ):
            return [
                best_round(
                    [
                        measure_round(size, client, sink, taskvars, directory, url)
                        for _ in range(RUNS)
                    ]
                )
                for size in sizes
            ]


def print_table(results: list[SizeResult], database: str) -> None:
    print(
        f"File values, one connection from {client_name()}, {database}; "
        "references: loopback sink, disk"
    )
    print(f"{'size':>8} {'direction':<9} " + " ".join(f"{c:>10}" for c in TABLE_COLUMNS))
    for result in results:
        for direction, cells in result.table_rows():
            print(f"{label(result.size):>8} {direction:<9} " + " ".join(f"{v:>10}" for v in cells))


def worst_growth_mib(results: list[SizeResult]) -> float:
    return max(max(r.upload.growth_mib, r.download.growth_mib) for r in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1KiB,1MiB,64MiB,1GiB")
    parser.add_argument(
        "--database-url",
        help="default: a fresh SQLite file; on PostgreSQL, in a schema of its own, dropped after",
    )
    parser.add_argument("--max-growth-mib", type=float, default=64)
    arguments = parser.parse_args(argv)
    sizes = [parse_size(text) for text in arguments.sizes.split(",")]
    with ExitStack() as schemas:
        database_url = arguments.database_url
        if database_url is not None and make_url(database_url).get_backend_name() == "postgresql":
            # A schema of its own: the run creates the task "bench", which a second run
            # in the same schema would find taken (409).
            database_url = schemas.enter_context(private_schema(database_url))
        results = run(sizes, database_url)
    database = (arguments.database_url or "sqlite").split(":", 1)[0]
    print_table(results, database)
    worst = worst_growth_mib(results)
    if worst > arguments.max_growth_mib:
        print(f"peak RSS rose by {worst:.1f} MiB, over the target of {arguments.max_growth_mib}")
        return 1
    print(f"peak RSS growth within the target of {arguments.max_growth_mib} MiB at every size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
