"""A large upload's body read from the socket by a worker thread (web.socket_body), through
a real uvicorn server with taskvars's HTTP protocol and the whole app on SQLite: what is
stored, and what the connection does afterwards (the next request, kept alive or
pipelined, the rest of a body the thread left unread) and when the client stalls or
leaves. Every request is written by hand on a raw socket, so that the bytes on the wire
are exactly the ones each test means.

``socket_body.read_body`` is wrapped so that each test knows the body went through it;
it still runs as it is."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from taskvars.app import create_app
from taskvars.metrics.instruments import REGISTRY
from taskvars.settings import Settings
from taskvars.web import socket_body
from taskvars.web.framework import BODY_FROM_SOCKET_MIN_BYTES, SocketBody
from tests.uvicorn_thread import uvicorn_in_thread

PATIENCE_SECONDS = 20.0
BOUNDARY = "socket-body-boundary"
MIB = 1024 * 1024


@dataclass
class Served:
    server: uvicorn.Server
    thread: threading.Thread
    port: int
    content_directory: Path
    bodies_read_in_thread: list[int] = field(default_factory=list)

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port))
        connection.settimeout(PATIENCE_SECONDS)
        return connection


@contextmanager
def serving(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    client_timeout_seconds: int = 1,
    graceful_shutdown_seconds: float | None = None,
) -> Iterator[Served]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'taskvars.db'}",
        client_timeout_seconds=client_timeout_seconds,
    )
    with uvicorn_in_thread(
        create_app(settings), timeout_graceful_shutdown=graceful_shutdown_seconds
    ) as running:
        served = Served(
            running.server, running.thread, running.port, tmp_path / "taskvars.db-content"
        )
        yield from _counting_bodies_read_in_thread(served, monkeypatch)


def _counting_bodies_read_in_thread(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    read_body = socket_body.read_body

    async def counted(body: SocketBody, consume: Any) -> None:
        served.bodies_read_in_thread.append(len(body.received) + body.remaining)
        await read_body(body, consume)

    monkeypatch.setattr(socket_body, "read_body", counted)
    with served.connect() as connection:
        connection.sendall(json_post("/engine-rest/task/create", b'{"id": "t"}'))
        assert status_of(read_response(connection)) == 204
    yield served


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with serving(tmp_path, monkeypatch) as served:
        yield served


def json_post(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def upload_body(content: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"; filename="v.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def upload_head(name: str, length: int, *extra_headers: str) -> bytes:
    lines = [
        f"POST /engine-rest/task/t/localVariables/{name}/data HTTP/1.1",
        "Host: test",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}",
        *extra_headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def read_response(connection: socket.socket) -> tuple[bytes, bytes]:
    """The head and the body of the next response on ``connection``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        assert chunk, f"the connection closed after {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        assert chunk, "the connection closed inside a response"
        body += chunk
    return head, body[:length]


def status_of(response: tuple[bytes, bytes]) -> int:
    return int(response[0].split(b" ")[1])


def stored(served: Served, name: str) -> bytes | None:
    with served.connect() as connection:
        connection.sendall(get(f"/engine-rest/task/t/localVariables/{name}/data"))
        response = read_response(connection)
    return response[1] if status_of(response) == 200 else None


def content_files(served: Served) -> list[str]:
    return sorted(os.listdir(served.content_directory))


def wait_for_a_thread_to_read(served: Served) -> None:
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not served.bodies_read_in_thread:
        assert time.monotonic() < deadline, "the body was not handed to a thread"
        time.sleep(0.01)


def wait_for_content_files(served: Served, expected: list[str]) -> None:
    """A spooled file goes once its thread has seen the client go."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while content_files(served) != expected:
        assert time.monotonic() < deadline, "the spooled content file stayed"
        time.sleep(0.01)


def large_content() -> bytes:
    # A delimiter's first bytes inside the content, and a CR at the end of many reads.
    return (os.urandom(MIB) + b"\r\n--" + BOUNDARY[:-1].encode() + b"\r" * 4097) * 3


def test_a_large_upload_is_read_in_a_thread_and_stored_exactly(served: Served) -> None:
    content = large_content()
    body = upload_body(content)
    with served.connect() as connection:
        connection.sendall(upload_head("big", len(body)) + body)
        assert status_of(read_response(connection)) == 204
    assert served.bodies_read_in_thread == [len(body)]
    assert hashlib.sha256(stored(served, "big") or b"").digest() == hashlib.sha256(content).digest()


def test_a_body_shorter_than_the_threshold_is_received_on_the_event_loop(served: Served) -> None:
    body = upload_body(os.urandom(BODY_FROM_SOCKET_MIN_BYTES - 1000))
    with served.connect() as connection:
        connection.sendall(upload_head("small", len(body)) + body)
        assert status_of(read_response(connection)) == 204
    assert served.bodies_read_in_thread == []


def test_the_connection_serves_the_next_requests_after_a_body_read_in_a_thread(
    served: Served,
) -> None:
    first, second = large_content(), large_content()
    with served.connect() as connection:
        for name, content in (("first", first), ("second", second)):
            body = upload_body(content)
            connection.sendall(upload_head(name, len(body)) + body)
            assert status_of(read_response(connection)) == 204
        connection.sendall(get("/engine-rest/task/t/localVariables/first/data"))
        assert read_response(connection)[1] == first
    assert len(served.bodies_read_in_thread) == 2
    assert stored(served, "second") == second


def test_a_request_pipelined_behind_a_body_read_in_a_thread_is_answered(served: Served) -> None:
    content = large_content()
    body = upload_body(content)
    with served.connect() as connection:
        connection.sendall(upload_head("piped", len(body)) + body + get("/engine-rest/task/t"))
        assert status_of(read_response(connection)) == 204
        answer = read_response(connection)
    assert status_of(answer) == 200
    assert b'"id": "t"' in answer[1]
    assert stored(served, "piped") == content


def test_a_client_expecting_100_continue_is_told_to_go_on(served: Served) -> None:
    content = large_content()
    body = upload_body(content)
    with served.connect() as connection:
        connection.sendall(upload_head("asked", len(body), "Expect: 100-continue"))
        assert connection.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        connection.sendall(body)
        assert status_of(read_response(connection)) == 204
    assert served.bodies_read_in_thread == [len(body)]
    assert stored(served, "asked") == content


def test_a_body_that_stalls_is_answered_408_and_nothing_is_stored(served: Served) -> None:
    body = upload_body(large_content())
    before = content_files(served)
    with served.connect() as connection:
        connection.sendall(upload_head("stalled", len(body)) + body[: 2 * MIB + 100])
        head, answer = read_response(connection)
    assert status_of((head, answer)) == 408
    assert b"sent no part of the body for 1 s; nothing was stored" in answer
    assert served.bodies_read_in_thread == [len(body)]
    assert stored(served, "stalled") is None
    assert content_files(served) == before


def test_a_client_that_leaves_mid_body_leaves_nothing_stored(served: Served) -> None:
    body = upload_body(large_content())
    before = content_files(served)
    with served.connect() as connection:
        connection.sendall(upload_head("left", len(body)) + body[: 2 * MIB + 100])
        wait_for_a_thread_to_read(served)
    wait_for_content_files(served, before)
    assert stored(served, "left") is None


def test_the_rest_of_a_body_refused_midway_is_skipped_and_the_next_request_answered(
    served: Served,
) -> None:
    # Part headers too long: refused where they end, with most of the body still to come.
    broken = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="data"\r\n'
        f"X-Padding: {'p' * (3 * MIB)}\r\n\r\n"
    ).encode() + os.urandom(2 * MIB)
    with served.connect() as connection:
        connection.sendall(upload_head("refused", len(broken)))
        connection.sendall(broken)
        head, answer = read_response(connection)
        assert status_of((head, answer)) == 400
        connection.sendall(get("/engine-rest/task/t"))
        assert status_of(read_response(connection)) == 200
    assert served.bodies_read_in_thread == [len(broken)]
    assert stored(served, "refused") is None


def uploads_in_progress() -> float | None:
    return REGISTRY.get_sample_value("taskvars_uploads_in_progress")


def test_a_body_read_in_a_thread_is_counted_as_an_upload_and_its_bytes_as_received(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="taskvars.requests")
    content = large_content()
    body = upload_body(content)
    with served.connect() as connection:
        connection.sendall(upload_head("counted", len(body)) + body[:MIB])
        wait_for_a_thread_to_read(served)
        assert uploads_in_progress() == 1
        connection.sendall(body[MIB:])
        assert status_of(read_response(connection)) == 204
    assert uploads_in_progress() == 0
    [record] = [r for r in caplog.records if r.name == "taskvars.requests"]
    assert record.__dict__["bytes_in"] == len(body)


def test_a_client_that_resets_the_connection_mid_body_leaves_nothing_stored(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="taskvars.requests")
    body = upload_body(large_content())
    before = content_files(served)
    connection = served.connect()
    connection.sendall(upload_head("reset", len(body)) + body[: 2 * MIB + 100])
    wait_for_a_thread_to_read(served)
    # Closed with unread data and no lingering: the server's next read fails, not ends.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    wait_for_content_files(served, before)
    assert stored(served, "reset") is None
    # Taken for a client gone, as on the event loop; not a server error.
    uploads = [
        record.__dict__
        for record in caplog.records
        if record.name == "taskvars.requests" and record.__dict__["method"] == "POST"
    ]
    assert [upload["status"] for upload in uploads] == [400]


def test_with_every_reader_busy_a_large_body_is_received_on_the_event_loop(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket_body, "READERS", 0)
    content = large_content()
    body = upload_body(content)
    with served.connect() as connection:
        connection.sendall(upload_head("looped", len(body)) + body)
        assert status_of(read_response(connection)) == 204
    assert served.bodies_read_in_thread == []
    assert stored(served, "looped") == content


def test_a_server_that_stops_waiting_for_a_body_stops_its_thread_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn cancels the requests still running when its graceful shutdown times out:
    the reading thread is stopped and waited for before its descriptor, file and form go,
    instead of reading on for the client timeout (here a minute)."""
    with serving(
        tmp_path, monkeypatch, client_timeout_seconds=60, graceful_shutdown_seconds=0.5
    ) as served:
        body = upload_body(large_content())
        before = content_files(served)
        connection = served.connect()
        connection.sendall(upload_head("cut", len(body)) + body[: 2 * MIB + 100])
        wait_for_a_thread_to_read(served)
        stopping = time.monotonic()
        served.server.should_exit = True
        served.thread.join(PATIENCE_SECONDS)
        assert not served.thread.is_alive()
        assert time.monotonic() - stopping < 10
        connection.close()
        assert content_files(served) == before
        assert socket_body._reading == 0
