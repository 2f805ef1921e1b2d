"""CPU per request of taskvars' whole ASGI app, in-process (no server, no sockets), and
what connexion does per request: calls of ``inspect.signature``, routes tried
(``Route.matches`` / ``Mount.matches`` of Starlette), form parses (Starlette's
``Request.form``).

    python docs/upstream/measure_taskvars.py [--requests 2000] [--profile upload.prof]
    python docs/upstream/measure_taskvars.py --floor   # bench/connexion_floor.py, same loop

Load on the machine changes wall-clock time, not ``time.process_time()`` much: run it
twice and take the lower figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import inspect
import pstats
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import starlette.requests
import starlette.routing

COUNTS: Counter[str] = Counter()
BOUNDARY = "measure-boundary"
UPLOAD_BODY = (
    (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="data"; filename="blob"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    + b"x" * 1024
    + (
        f"\r\n--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="valueType"\r\n\r\nBytes\r\n'
        f"--{BOUNDARY}--\r\n"
    ).encode()
)


def count_calls(owner: Any, name: str, label: str) -> None:
    original = getattr(owner, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        COUNTS[label] += 1
        return original(*args, **kwargs)

    setattr(owner, name, counted)


def install_counters() -> None:
    count_calls(inspect, "signature", "inspect.signature")
    count_calls(starlette.routing.Route, "matches", "routes tried")
    count_calls(starlette.routing.Mount, "matches", "routes tried")
    count_calls(starlette.requests.Request, "form", "form parses")


class Lifespan:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def start(self) -> None:
        self.state: dict[str, Any] = {}  # filled by the app's lifespan, as uvicorn's
        self.task = asyncio.ensure_future(
            self.app({"type": "lifespan", "state": self.state}, self.inbox.get, self.outbox.put)
        )
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self.outbox.get()
        assert message["type"] == "lifespan.startup.complete", message

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.task


async def request(
    app: Any,
    state: dict[str, Any],
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-length", str(len(body)).encode())]
        + (headers or []),
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 8080),
        "state": dict(state),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(
    label: str, n: int, call: Callable[[], Any], profile: cProfile.Profile | None
) -> None:
    for _ in range(50):  # warm up: first-request caches, the connection pool
        await call()
    COUNTS.clear()
    started, started_here = time.process_time(), time.thread_time()
    if profile is not None:
        profile.enable()
    for _ in range(n):
        await call()
    if profile is not None:
        profile.disable()
    cpu, cpu_here = time.process_time() - started, time.thread_time() - started_here
    per_request = ", ".join(f"{name} {count / n:g}" for name, count in sorted(COUNTS.items()))
    print(
        f"{label}: {cpu / n * 1e6:.0f} us CPU/request (process), "
        f"{cpu_here / n * 1e6:.0f} us (event loop thread: connexion's part is here) "
        f"over {n}; per request: {per_request}"
    )


async def idle_cpu(seconds: float = 2.0) -> None:
    """What the process burns doing nothing (background threads), to subtract."""
    started = time.process_time()
    await asyncio.sleep(seconds)
    print(f"idle: {(time.process_time() - started) / seconds * 1e3:.1f} ms CPU per second")


async def taskvars(n: int, profile_path: str | None) -> None:
    from taskvars.app import create_app
    from taskvars.settings import Settings

    directory = tempfile.mkdtemp(prefix="measure-taskvars-")
    settings = Settings(
        database_url=f"sqlite:///{Path(directory) / 'taskvars.db'}",
        no_job_executor=True,
        log_level="warning",
    )
    app = create_app(settings)
    lifespan = Lifespan(app)
    await lifespan.start()
    state = lifespan.state
    json = [(b"content-type", b"application/json")]
    status, answer = await request(
        app, state, "POST", "/engine-rest/task/create", b'{"id": "t1"}', json
    )
    assert status == 204, (status, answer)
    multipart = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]

    async def upload() -> None:
        status, answer = await request(
            app, state, "POST", "/engine-rest/task/t1/variables/blob/data", UPLOAD_BODY, multipart
        )
        assert status == 204, (status, answer)

    async def get_task() -> None:
        status, answer = await request(app, state, "GET", "/engine-rest/task/t1")
        assert status == 200, (status, answer)

    await idle_cpu()
    for label, call in (("upload 1 KiB", upload), ("GET task", get_task)):
        profile = cProfile.Profile() if profile_path else None
        await measure(label, n, call, profile)
        if profile is not None and profile_path:
            profile.dump_stats(f"{profile_path}.{label.split()[0]}")
            # Python function calls in the event loop thread: unlike CPU time, the same
            # whatever the load on the machine.
            calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
            print(f"  {label}: {calls / n:.0f} Python function calls/request (cProfile)")
    await lifespan.stop()


async def floor(n: int) -> None:
    from bench.connexion_floor import app

    lifespan = Lifespan(app)
    await lifespan.start()
    multipart = [(b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())]

    async def upload() -> None:
        status, answer = await request(
            app, {}, "POST", "/engine-rest/task/t1/localVariables/blob/data", UPLOAD_BODY, multipart
        )
        assert status == 204, (status, answer)

    await measure("connexion floor, upload 1 KiB", n, upload, None)
    await lifespan.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", help="write cProfile stats to PROFILE.upload, PROFILE.GET")
    parser.add_argument("--floor", action="store_true", help="measure bench/connexion_floor.py")
    arguments = parser.parse_args()
    install_counters()
    if arguments.floor:
        asyncio.run(floor(arguments.requests))
    else:
        asyncio.run(taskvars(arguments.requests, arguments.profile))


if __name__ == "__main__":
    main()
