"""1 KiB uploads, then downloads, under concurrent connections: taskvars beside a
hand-written reference.

Both servers run one process on a fresh SQLite file with the same engine settings; wrk
(Debian package ``wrk``) sends the same multipart body to each for the same time over the
same number of connections, then asks each as long for one of the values it stored.
Prints requests/s, p50 and p99 latency, errors, and the server's CPU time per request
(user + system, its process and workers, read from ``/proc`` around each wrk run,
divided by the requests wrk completed: a cost the machine's load does not change).
The servers take turns, ``--rounds`` times; each row is the server's median round.

    python -m bench.small_uploads [--connections 8] [--seconds 10] [--rounds 3]
        [--postgres-url URL]

``--postgres-url``: on that PostgreSQL server instead, each server in a private schema.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from bench.process_cpu import cpu_seconds
from tests.databases import private_schema
from tests.e2e.server import free_port, running_server

BOUNDARY = "taskvars-bench"
NAME = "NAME"  # in a URL given to wrk: replaced by each request's variable name
BODY = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="valueType"\r\n\r\nBytes\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="v.bin"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n" + "x" * 1024 + f"\r\n--{BOUNDARY}--\r\n"
)


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0  # completed in the run
    # The server's CPU time (all its processes) over the run / requests; None: unknown.
    cpu_ms_per_request: float | None = None


@dataclass(frozen=True)
class Measured:
    uploads: LoadResult
    downloads: LoadResult | None = None


# The value the download measurement asks for: one the upload script stores.
DOWNLOADED = "v0-1"


def lua_script(directory: Path) -> Path:
    escaped = (
        BODY.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    )
    script = directory / "upload.lua"
    # Each request names its own variable (NAME in the URL's path): wrk thread t, request n
    # writes "v<t>-<n mod 1000>", so no two requests in flight write the same variable (a
    # lost race would be a correct 409, not a measure of speed), and after the first
    # thousand every upload replaces a value.
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{escaped}"\n'
        f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={BOUNDARY}"\n'
        "local threads = 0\n"
        "function setup(thread)\n"
        "  thread:set('id', threads)\n"
        "  threads = threads + 1\n"
        "end\n"
        "local n = 0\n"
        "function request()\n"
        "  n = n + 1\n"
        "  local name = string.format('v%d-%d', id, n % 1000)\n"
        "  return wrk.format(nil, (wrk.path:gsub('NAME', name)))\n"
        "end\n"
    )
    return script


def run_wrk(
    url: str, script: Path | None, connections: int, seconds: int, server_pid: int | None = None
) -> LoadResult:
    """wrk's GET of ``url``, or what ``script`` makes of it; with ``server_pid``, the
    CPU time that process and its children spent per request meanwhile."""
    cpu_before = cpu_seconds(server_pid) if server_pid is not None else None
    scripted = ["-s", str(script)] if script is not None else []
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            *scripted,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu_after = cpu_seconds(server_pid) if server_pid is not None else None
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    requests = int(re.search(r"(\d+) requests in", output)[1])
    cpu_ms = (
        (cpu_after - cpu_before) * 1000 / requests
        if cpu_before is not None and cpu_after is not None and requests
        else None
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return LoadResult(
        requests_per_second=rate,
        p50_ms=_milliseconds(re.search(r"\s50%\s+([\d.]+\w+)", output)[1]),
        p99_ms=_milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output)[1]),
        errors=(int(errors[1]) if errors else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
        requests=requests,
        cpu_ms_per_request=cpu_ms,
    )


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure_app(
    app: str,
    path: str,
    script: Path,
    connections: int,
    seconds: int,
    database_url: str = "sqlite://",
    *,
    downloads: bool = False,
) -> Measured:
    """One uvicorn process serving ``app`` (module:attribute), loaded at ``path``;
    ``downloads``: then GET at ``path`` one of the values uploaded."""
    port = free_port()
    environment = {**os.environ, "TASKVARS_REFERENCE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=environment)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.post(
                    url.replace(NAME, "warm-up"),
                    content=BODY,
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                ).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        return _uploads_then_downloads(url, script, connections, seconds, downloads, process.pid)
    finally:
        process.terminate()
        process.wait()


def _uploads_then_downloads(
    url: str, script: Path, connections: int, seconds: int, downloads: bool, server_pid: int
) -> Measured:
    uploads = run_wrk(url, script, connections, seconds, server_pid)
    if not downloads:
        return Measured(uploads)
    # Stored once more now: a slow run may not have come round to this name (wrk builds
    # one request per thread before it starts, so thread 0's first upload is "v0-2").
    download_url = url.replace(NAME, DOWNLOADED)
    httpx.post(
        download_url,
        content=BODY,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=60,
    ).raise_for_status()
    return Measured(uploads, run_wrk(download_url, None, connections, seconds, server_pid))


def measure_taskvars(
    database_url: str,
    directory: Path,
    script: Path,
    connections: int,
    seconds: int,
    workers: int = 1,
    *,
    downloads: bool = False,
) -> Measured:
    arguments = ("--log-level", "warning", "--workers", str(workers))
    # Worker processes start slowly on a loaded machine: give them more than the default.
    with running_server(database_url, directory, *arguments, startup_seconds=120) as server:
        httpx.post(f"{server.base_url}/task/create", json={"id": "bench"}).raise_for_status()
        url = f"{server.base_url}/task/bench/localVariables/{NAME}/data"
        return _uploads_then_downloads(
            url, script, connections, seconds, downloads, server.process.pid
        )


@dataclass(frozen=True)
class SmallUploadsResult:
    connections: int
    seconds: int
    rows: dict[str, LoadResult]  # by server label, the reference first
    # 1 KiB downloads of one stored value: the reference, then taskvars (one process).
    downloads: dict[str, LoadResult]
    rounds: int = 1  # of each server, in turn: each row is its median round

    @property
    def reference(self) -> LoadResult:
        return next(iter(self.rows.values()))

    @property
    def download_reference(self) -> LoadResult:
        return self.downloads[REFERENCE]


REFERENCE = "FastAPI reference"
FLOOR = "connexion, no-op"
# Each server measured this many times, the servers taking turns: a spell of load on the
# machine (other tenants of its host) meets one round of each, not all of one server's.
ROUNDS = 3


def run(
    connections: int,
    seconds: int,
    database_url: Callable[[Path, str], str] | None = None,
    taskvars_workers: tuple[int, ...] = (1,),
    rounds: int = ROUNDS,
) -> SmallUploadsResult:
    """The reference, the connexion floor, then taskvars with each number of workers, in
    turn, ``rounds`` times; each server's row is its median round (:func:`median_round`).
    ``database_url(directory, name)`` gives each run an empty database (default: SQLite
    files)."""
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)

        def url(label: str) -> str:
            if database_url is not None:
                return database_url(directory, label)
            return f"sqlite:///{directory}/{label}.db"

        script = lua_script(directory)
        measured: dict[str, list[Measured]] = {}
        for round_number in range(rounds):

            def fresh(label: str, number: int = round_number) -> str:
                return url(f"{label}-{number}")

            measured.setdefault(REFERENCE, []).append(
                measure_app(
                    "bench.reference_app:app",
                    f"/upload/{NAME}",
                    script,
                    connections,
                    seconds,
                    fresh("reference"),
                    downloads=True,
                )
            )
            measured.setdefault(FLOOR, []).append(
                measure_app(
                    "bench.connexion_floor:app",
                    f"/engine-rest/task/bench/localVariables/{NAME}/data",
                    script,
                    connections,
                    seconds,
                )
            )
            for workers in taskvars_workers:
                label = "taskvars" if workers == 1 else f"taskvars, {workers} workers"
                measured.setdefault(label, []).append(
                    measure_taskvars(
                        fresh(f"taskvars{workers}"),
                        directory,
                        script,
                        connections,
                        seconds,
                        workers,
                        downloads=workers == 1,
                    )
                )
    downloads = {
        label: [each.downloads for each in results if each.downloads is not None]
        for label, results in measured.items()
    }
    return SmallUploadsResult(
        connections,
        seconds,
        rows={
            label: median_round([each.uploads for each in results])
            for label, results in measured.items()
        },
        downloads={label: median_round(rows) for label, rows in downloads.items() if rows},
        rounds=rounds,
    )


def median_round(rounds: list[LoadResult]) -> LoadResult:
    """The round with the median requests/s (the higher middle one of an even number),
    its latencies and CPU as measured in it; errors are those of every round."""
    middle = sorted(rounds, key=lambda each: each.requests_per_second)[len(rounds) // 2]
    return replace(middle, errors=sum(each.errors for each in rounds))


def print_table(result: SmallUploadsResult, database: str) -> None:
    for title, rows, reference in (
        ("uploads", result.rows, result.reference),
        ("downloads", result.downloads, result.download_reference),
    ):
        print(
            f"1 KiB Bytes {title}, {result.connections} connections, {result.seconds} s, "
            f"{rounds_text(result.rounds)}, {database}; reference: {REFERENCE}"
        )
        print(
            f"{'server':<26}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'x ref':>8}"
            f"{'CPU ms/req':>12}"
        )
        for label, row in rows.items():
            ratio = row.requests_per_second / reference.requests_per_second
            print(
                f"{label:<26}{row.requests_per_second:>12.1f}{row.p50_ms:>9.2f}"
                f"{row.p99_ms:>9.2f}{row.errors:>8}{ratio:>8.2f}{cpu_cell(row):>12}"
            )


def rounds_text(rounds: int) -> str:
    return "one round" if rounds == 1 else f"median of {rounds} rounds"


def cpu_cell(row: LoadResult) -> str:
    return "n/a" if row.cpu_ms_per_request is None else f"{row.cpu_ms_per_request:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="of each server, in turn")
    parser.add_argument(
        "--postgres-url",
        help="a PostgreSQL server: each server gets a private schema on it, not a SQLite file",
    )
    arguments = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.small_uploads needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    if arguments.postgres_url is None:
        print_table(
            run(arguments.connections, arguments.seconds, rounds=arguments.rounds),
            "sqlite, one process",
        )
        return 0
    with ExitStack() as stack:

        def new_schema(_directory: Path, _name: str) -> str:
            return stack.enter_context(private_schema(arguments.postgres_url))

        measured = run(
            arguments.connections, arguments.seconds, new_schema, rounds=arguments.rounds
        )
        print_table(measured, "postgresql, one process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
