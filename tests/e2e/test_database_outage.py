"""PostgreSQL stopped under load and started again: while it is away every request is
answered quickly with a 503 in Camunda's JSON, the health endpoint says so, the server
serves again as soon as the database is back (no restart), and afterwards every
acknowledged upload is there and whole while no unacknowledged one is half there."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WRITERS = 4
# Small values share commits; those over 1 MiB have a transaction of their own.
SIZES = [10 * 1024, 3 * 1024 * 1024]
# Well within the server's client timeout (60 s): an outage must not make anyone wait.
ANSWER_WITHIN_SECONDS = 15
OUTAGE_SECONDS = 3


def content(name: str, size: int) -> bytes:
    return hashlib.sha256(name.encode()).digest() * (size // 32)


@dataclass
class Attempt:
    name: str
    size: int
    status: int | None  # None: no answer (the connection broke)
    seconds: float
    body: bytes = b""


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)


def write_until(stop: threading.Event, server: Server, writer: int, ledger: Ledger) -> None:
    """Upload new values, one after another, until told to stop."""
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        number = 0
        while not stop.is_set():
            name = f"w{writer}-{number}"
            size = SIZES[number % len(SIZES)]
            number += 1
            body = multipart_body(Part("data", content(name, size)))
            started = time.monotonic()
            try:
                response = client.post(
                    f"/task/t/localVariables/{name}/data",
                    content=body,
                    headers={"Content-Type": content_type()},
                )
                status: int | None = response.status_code
                answer = response.content
            except httpx.TransportError:
                status, answer = None, b""
            ledger.add(Attempt(name, size, status, time.monotonic() - started, answer))
            if status == 503:
                time.sleep(0.05)  # as a client that backs off a little would


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as cluster:
        yield cluster


def test_a_postgres_outage_answers_503_quickly_and_loses_no_acknowledged_upload(
    cluster: PrivatePostgres, tmp_path: Path
) -> None:
    with (
        running_server(cluster.url, tmp_path) as server,
        httpx.Client(base_url=server.base_url, timeout=120) as client,
    ):
        assert client.post("/task/create", json={"id": "t"}).status_code == 204
        ledger, stop = Ledger(), threading.Event()
        writers = [
            threading.Thread(target=write_until, args=(stop, server, n, ledger))
            for n in range(WRITERS)
        ]
        for thread in writers:
            thread.start()
        try:
            time.sleep(1)
            cluster.stop()
            outage_started = time.monotonic()
            while time.monotonic() - outage_started < OUTAGE_SECONDS:
                assert_unavailable(client)
                time.sleep(0.2)
            cluster.start()
            back_after = wait_until_healthy(client)
            resumed = len(ledger.attempts)
            time.sleep(1.5)
        finally:
            stop.set()
            for thread in writers:
                thread.join()

        attempts = ledger.attempts
        statuses = {attempt.status for attempt in attempts}
        assert statuses <= {204, 503}, sorted(statuses, key=str)
        assert any(a.status == 503 for a in attempts), "no write met the outage"
        assert any(a.status == 204 for a in attempts[resumed:]), "no write after the outage"
        slowest = max(attempt.seconds for attempt in attempts)
        assert slowest < ANSWER_WITHIN_SECONDS, slowest
        for attempt in attempts:
            if attempt.status == 503:
                assert_camunda_503(attempt.body)
        for attempt in attempts:
            stored = client.get(f"/task/t/localVariables/{attempt.name}/data")
            if attempt.status == 204:
                assert stored.status_code == 200, (attempt, stored.text)
            if stored.status_code == 200:
                # Acknowledged, or committed just as the database went away: whole.
                assert stored.content == content(attempt.name, attempt.size), attempt.name
            else:
                assert stored.status_code == 404, stored.text
        log = server.log.read_text()
        assert "unexpected error" not in log
        print(f"{len(attempts)} uploads, back {back_after:.1f} s after the restart")


def assert_unavailable(client: httpx.Client) -> None:
    started = time.monotonic()
    health = client.get("/health")
    assert health.status_code == 503, health.text
    assert_camunda_503(health.content)
    read = client.get("/task/t/variables")
    assert read.status_code == 503, read.text
    assert_camunda_503(read.content)
    assert time.monotonic() - started < ANSWER_WITHIN_SECONDS


def assert_camunda_503(body: bytes) -> None:
    error = httpx.Response(503, content=body).json()
    assert error["type"] == "RestException"
    assert error["message"].startswith(("The database is unavailable", "The database did not"))
    assert set(error) == {"type", "message", "code"}


def wait_until_healthy(client: httpx.Client, seconds: float = 30) -> float:
    """Seconds until the health endpoint says 200 again."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if client.get("/health").status_code == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail("the server did not serve again after the database came back")
