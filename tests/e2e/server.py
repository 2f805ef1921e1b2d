"""A real ``taskvars serve`` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Server:
    base_url: str  # http://127.0.0.1:PORT/engine-rest
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(
    database_url: str,
    log_dir: Path,
    *extra_args: str,
    startup_seconds: float = 30,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    port = free_port()
    log = log_dir / f"server-{port}.log"
    command = [sys.executable, "-m", "taskvars", "serve", "--port", str(port)]
    command += ["--database-url", database_url, *extra_args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TASKVARS_")}
    environment.update(env or {})
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
    server = Server(f"http://127.0.0.1:{port}/engine-rest", process, log)
    try:
        _wait_until_serving(server, startup_seconds)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(server: Server, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"taskvars serve exited early:\n{server.log.read_text()}")
        try:
            # 401: serving, behind --auth-file
            response = httpx.get(f"{server.base_url}/openapi.json", timeout=1)
            if response.status_code in (200, 401):
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"taskvars serve did not start in {seconds} s:\n{server.log.read_text()}")
