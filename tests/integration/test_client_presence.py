"""A parked request notices that its client left, and is answered when the server stops,
through a real uvicorn server with taskvars's HTTP protocol, and a connexion app with
taskvars's own body validator, the middlewares that wrap ``receive`` (client timeout,
body limit) and the runtime state, as the server's app has them."""

from __future__ import annotations

import json
import queue
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from connexion import AsyncApp
from connexion.datastructures import MediaTypeDict
from connexion.middleware import MiddlewarePosition

from taskvars.handlers.http.client_presence import client_gone_probe
from taskvars.handlers.http.runtime import STATE_KEY, Runtime, parked_fetches
from taskvars.persistence.unit_of_work import Database
from taskvars.services.long_polling import FetchOutcome, ParkedFetches
from taskvars.settings import Settings
from taskvars.web.body_limit import BodyLimitMiddleware
from taskvars.web.client_timeout import ClientTimeoutMiddleware
from taskvars.web.json_validator import json_body_validator
from tests.uvicorn_thread import uvicorn_in_thread

PATIENCE_SECONDS = 20.0
SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "parking", "version": "1"},
    "paths": {
        "/park": {
            "post": {
                "operationId": f"{__name__}.park",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"timeoutSeconds": {"type": "number"}},
                            }
                        }
                    },
                },
                "responses": {"200": {"description": "the tasks found"}},
            }
        }
    },
}


@dataclass
class Served:
    server: uvicorn.Server
    port: int
    parked: ParkedFetches
    # One entry per answered request: whether its client had left by then.
    client_left: queue.Queue[bool]


_SERVED: list[Served] = []


async def park(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The handler: waits for tasks that never come, as fetchAndLock would."""

    async def nothing() -> FetchOutcome:
        return FetchOutcome([])

    client_gone = client_gone_probe()
    parked = parked_fetches()
    tasks = await parked.wait_for_tasks(nothing, ["topic"], body["timeoutSeconds"], client_gone)
    _SERVED[-1].client_left.put(await client_gone())
    return tasks


def tiny_app(database: Database, served: list[ParkedFetches]) -> AsyncApp:
    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[dict[str, Any]]:
        parked = ParkedFetches(max_parked=10, recheck_seconds=3600, client_check_seconds=0.2)
        served.append(parked)
        settings = Settings(database_url=str(database.engine.url))
        yield {STATE_KEY: Runtime(settings=settings, database=database, parked_fetches=parked)}
        parked.close()

    app = AsyncApp(__name__, lifespan=lifespan)
    app.add_api(
        SPEC,
        strict_validation=True,
        validator_map={"body": MediaTypeDict({"*/*json": json_body_validator()})},
    )
    app.add_middleware(ClientTimeoutMiddleware, MiddlewarePosition.BEFORE_ROUTING, seconds=60)
    app.add_middleware(BodyLimitMiddleware, MiddlewarePosition.BEFORE_ROUTING, max_body_bytes=1024)
    return app


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    hubs: list[ParkedFetches] = []
    database = Database(f"sqlite:///{tmp_path / 'unused.db'}")  # the handler needs none
    try:
        with uvicorn_in_thread(tiny_app(database, hubs)) as running:
            _SERVED.append(Served(running.server, running.port, hubs[0], queue.Queue()))
            try:
                yield _SERVED[-1]
            finally:
                _SERVED.pop()
    finally:
        database.dispose()


def send_park(port: int, timeout_seconds: float) -> socket.socket:
    body = json.dumps({"timeoutSeconds": timeout_seconds}).encode()
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(
        b"POST /park HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return connection


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def test_a_parked_request_whose_client_left_gives_its_slot_up(served: Served) -> None:
    connection = send_park(served.port, timeout_seconds=3600)
    wait_until(lambda: served.parked.parked == 1)
    connection.close()
    assert served.client_left.get(timeout=PATIENCE_SECONDS) is True
    wait_until(lambda: served.parked.parked == 0)


def answer_to(connection: socket.socket) -> bytes:
    connection.settimeout(PATIENCE_SECONDS)
    answer = b""
    while not answer.rstrip().endswith(b"[]"):
        chunk = connection.recv(4096)
        assert chunk, f"the connection closed after {answer!r}"
        answer += chunk
    return answer


def test_a_client_that_stays_is_not_taken_for_gone(served: Served) -> None:
    with send_park(served.port, timeout_seconds=1) as connection:
        wait_until(lambda: served.parked.parked == 1)
        assert answer_to(connection).startswith(b"HTTP/1.1 200 ")
    assert served.client_left.get(timeout=PATIENCE_SECONDS) is False


def test_a_server_told_to_stop_answers_its_parked_requests_at_once(served: Served) -> None:
    """uvicorn waits for requests in flight before the lifespan ends (here, as
    uvicorn.Config's default, for ever): the protocol answers parked ones first."""
    with send_park(served.port, timeout_seconds=3600) as connection:
        wait_until(lambda: served.parked.parked == 1)
        served.server.should_exit = True
        answer = answer_to(connection)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" in answer.lower()
