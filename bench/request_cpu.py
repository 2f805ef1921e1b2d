"""Server CPU per small request, measured in-process: no sockets, no client, no load.

The app is driven through ASGI directly (its lifespan, then requests built as uvicorn
builds them), so ``time.process_time()`` around N requests counts only the server's work:
the event loop, the worker threads and the database. Load on the machine changes the
wall-clock time, hardly the CPU time. Compares the fast path (``taskvars.web.fast_path``)
with the full pipeline.

    python -m bench.request_cpu [--requests 400] [--rounds 5] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging.config
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from taskvars.app import create_app
from taskvars.log_config import logging_config
from taskvars.settings import Settings
from tests.databases import private_schema
from tests.multipart_bodies import Part, content_type, multipart_body

ASGIApp = Callable[..., Awaitable[None]]
KIB = 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class InProcessServer:
    """An ASGI app after its lifespan started, answering requests given as scopes."""

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
        body: bytes = b"",
    ) -> Answer:
        all_headers = [(b"host", b"bench"), *(headers or [])]
        if body:
            all_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "root_path": "",
            "headers": all_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8080),
            "state": self.state.copy(),
            "extensions": {},
        }
        sent = False
        forever = asyncio.get_running_loop().create_future()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await forever  # past the body: the client is still there
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        response_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        finally:
            forever.cancel()
        return Answer(status, response_headers, b"".join(chunks))


@contextlib.asynccontextmanager
async def started(app: ASGIApp) -> AsyncIterator[InProcessServer]:
    """The app's lifespan run as uvicorn runs it; stopped on leaving."""
    state: dict[str, Any] = {}
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    message = await outbox.get()
    if message["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {message}")
    try:
        yield InProcessServer(app, state)
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


UPLOAD_BODY = multipart_body(Part("data", b"x" * KIB, filename="one.bin"))
UPLOAD_HEADERS = [(b"content-type", content_type().encode())]


async def _create_task(server: InProcessServer, task_id: str) -> None:
    body = f'{{"id": "{task_id}", "name": "bench"}}'.encode()
    json_type = [(b"content-type", b"application/json")]
    answer = await server.request("POST", "/engine-rest/task/create", headers=json_type, body=body)
    assert answer.status == 204, answer


Operation = Callable[[InProcessServer], Awaitable[None]]
UPLOAD_PATH = "/engine-rest/task/t1/variables/v/data"


async def upload(server: InProcessServer) -> None:
    answer = await server.request("POST", UPLOAD_PATH, headers=UPLOAD_HEADERS, body=UPLOAD_BODY)
    assert answer.status == 204, answer


async def download(server: InProcessServer) -> None:
    answer = await server.request("GET", UPLOAD_PATH)
    assert answer.status == 200, answer
    assert len(answer.body) == KIB


async def get_variable(server: InProcessServer) -> None:
    answer = await server.request("GET", "/engine-rest/task/t1/variables/v")
    assert answer.status == 200, answer


async def get_task(server: InProcessServer) -> None:
    answer = await server.request("GET", "/engine-rest/task/t1")
    assert answer.status == 200, answer


OPERATIONS: list[tuple[str, Operation]] = [
    ("upload 1 KiB", upload),
    ("download 1 KiB", download),
    ("getTaskVariable", get_variable),
    ("getTask", get_task),
]


class CallCounter:
    """Python function calls on the event loop's thread (and threads started meanwhile;
    not the worker threads, started before): the work of the HTTP layer, whatever the
    load. The database work in the worker threads is the same on both paths."""

    def __init__(self) -> None:
        self.calls = 0

    def _profile(self, _frame: Any, event: str, _arg: Any) -> None:
        if event == "call":
            self.calls += 1

    def __enter__(self) -> CallCounter:
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc_info: object) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


async def measure(settings: dict[str, Settings], requests: int, rounds: int) -> dict[str, Any]:
    """CPU milliseconds per request of each operation on each app: the median of
    ``rounds`` rounds, the apps taking turns so that a change of load meets both; and
    Python calls per request, counted in a round of its own."""
    cpu: dict[tuple[str, str], list[float]] = {}
    calls: dict[tuple[str, str], float] = {}
    async with contextlib.AsyncExitStack() as stack:
        servers = {
            label: await stack.enter_async_context(started(create_app(each)))
            for label, each in settings.items()
        }
        for server in servers.values():
            await _create_task(server, "t1")
            await upload(server)
        for name, call in OPERATIONS:
            for label, server in servers.items():
                for _ in range(50):  # warm-up: caches, pools, first compilations
                    await call(server)
                with CallCounter() as counter:
                    for _ in range(100):
                        await call(server)
                calls[label, name] = counter.calls / 100
            for _ in range(rounds):
                for label, server in servers.items():
                    started_cpu = time.process_time()
                    for _ in range(requests):
                        await call(server)
                    per_request = (time.process_time() - started_cpu) * 1000 / requests
                    cpu.setdefault((label, name), []).append(per_request)
    return {"cpu": {key: statistics.median(values) for key, values in cpu.items()}, "calls": calls}


def log_as_served_to_nowhere() -> None:
    """The server's logging at info level, as served (the request log is part of the
    cost), written to the null device."""
    config = logging_config("text", "info")
    config["handlers"]["default"] = {
        "class": "logging.FileHandler",
        "filename": os.devnull,
        "formatter": "default",
    }
    logging.config.dictConfig(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--postgres-url",
        help="a PostgreSQL server: each app gets a private schema on it, not a SQLite file",
    )
    arguments = parser.parse_args()
    log_as_served_to_nowhere()
    with (
        tempfile.TemporaryDirectory(prefix="taskvars-bench-cpu-") as scratch,
        contextlib.ExitStack() as schemas,
    ):

        def database_url(label: str) -> str:
            if arguments.postgres_url is None:
                return f"sqlite:///{Path(scratch) / label}.db"
            return schemas.enter_context(private_schema(arguments.postgres_url))

        settings = {
            label: Settings(
                database_url=database_url(label),
                no_job_executor=True,
                **_fast(label == "fast path"),
            )
            for label in ("full pipeline", "fast path")
        }
        result = asyncio.run(measure(settings, arguments.requests, arguments.rounds))
    print(
        f"server CPU ms per request (median of {arguments.rounds} rounds of "
        f"{arguments.requests}), and Python calls per request on the event loop's thread; "
        f"{'SQLite' if arguments.postgres_url is None else 'PostgreSQL'}, in-process"
    )
    print(
        f"{'operation':<16} {'CPU full':>9} {'CPU fast':>9} {'calls full':>11} {'calls fast':>11}"
    )
    for name, _ in OPERATIONS:
        cpu_full, cpu_fast = (result["cpu"][label, name] for label in settings)
        calls_full, calls_fast = (result["calls"][label, name] for label in settings)
        numbers = f"{cpu_full:>10.3f} {cpu_fast:>10.3f} {calls_full:>10.0f} {calls_fast:>10.0f}"
        print(f"{name:<16} {numbers}")


def _fast(enabled: bool) -> dict[str, Any]:
    """The setting, where this version has it."""
    names = Settings.__dataclass_fields__
    return {"no_fast_path": not enabled} if "no_fast_path" in names else {}


if __name__ == "__main__":
    main()
