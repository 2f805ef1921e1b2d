"""1 KiB uploads under concurrent connections: taskvars beside a hand-written reference.

Both servers run one process on a fresh SQLite file with the same engine settings; wrk
(Debian package ``wrk``) sends the same multipart body to each for the same time over the
same number of connections. Prints requests/s, p50 and p99 latency and errors.

    python -m bench.small_uploads [--connections 8] [--seconds 10]
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
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.server import free_port, running_server

BOUNDARY = "taskvars-bench"
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


def lua_script(directory: Path) -> Path:
    escaped = (
        BODY.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    )
    script = directory / "upload.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.body = "{escaped}"\n'
        f'wrk.headers["Content-Type"] = "multipart/form-data; boundary={BOUNDARY}"\n'
    )
    return script


def run_wrk(url: str, script: Path, connections: int, seconds: int) -> LoadResult:
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
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
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
    )


def _milliseconds(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def measure_app(
    app: str, path: str, directory: Path, script: Path, connections: int, seconds: int
) -> LoadResult:
    """One uvicorn process serving ``app`` (module:attribute), loaded at ``path``."""
    port = free_port()
    environment = {**os.environ, "TASKVARS_REFERENCE_DATABASE_URL": f"sqlite:///{directory}/ref.db"}
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=environment)
    try:
        url = f"http://127.0.0.1:{port}{path}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.post(
                    url,
                    content=BODY,
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
                ).raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        return run_wrk(url, script, connections, seconds)
    finally:
        process.terminate()
        process.wait()


def measure_taskvars(directory: Path, script: Path, connections: int, seconds: int) -> LoadResult:
    url = f"sqlite:///{directory}/taskvars.db"
    with running_server(url, directory, "--log-level", "warning") as server:
        httpx.post(f"{server.base_url}/task/create", json={"id": "bench"}).raise_for_status()
        url = f"{server.base_url}/task/bench/localVariables/small/data"
        return run_wrk(url, script, connections, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    arguments = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench.small_uploads needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        script = lua_script(directory)
        reference = measure_app(
            "bench.reference_app:app",
            "/upload/small",
            directory,
            script,
            arguments.connections,
            arguments.seconds,
        )
        floor = measure_app(
            "bench.connexion_floor:app",
            "/engine-rest/task/bench/localVariables/small/data",
            directory,
            script,
            arguments.connections,
            arguments.seconds,
        )
        ours = measure_taskvars(directory, script, arguments.connections, arguments.seconds)
    print(
        f"1 KiB Bytes uploads, {arguments.connections} connections, {arguments.seconds} s, "
        "SQLite, one process"
    )
    print(f"{'server':<22}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    rows = (("FastAPI reference", reference), ("connexion, no-op", floor), ("taskvars", ours))
    for label, result in rows:
        print(
            f"{label:<22}{result.requests_per_second:>12.1f}{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}{result.errors:>8}"
        )
    print(f"taskvars / reference: {ours.requests_per_second / reference.requests_per_second:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
