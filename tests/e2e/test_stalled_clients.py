"""Clients that stall cannot hold the server: a body that stops coming is a 408 with
nothing stored, a download nobody reads is abandoned, and the server serves on."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_client import Api
from tests.e2e.raw_clients import connect, impatient_server, start_upload, whole_response
from tests.e2e.server import Server
from tests.multipart_bodies import Part, multipart_body

pytestmark = pytest.mark.e2e

TIMEOUT_SECONDS = 1


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    with impatient_server(db_url, tmp_path, TIMEOUT_SECONDS) as server:
        yield server


def assert_serving(remote: Api) -> None:
    assert remote.get("/health").status_code == 200
    assert remote.client.put("/task/t/localVariables/after", json={"value": 1}).status_code == 204


def test_a_body_that_stops_coming_is_a_408_and_stores_nothing(server: Server, remote: Api) -> None:
    remote.create_task("t")
    body = multipart_body(Part("data", b"x" * 10_000))
    # and then nothing
    with start_upload(
        server, "/task/t/localVariables/doc/data", body[:5000], len(body)
    ) as connection:
        started = time.monotonic()
        answer = connection.recv(65536)
        waited = time.monotonic() - started
        answer = whole_response(connection, answer)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), answer
    assert b'"type": "RestException"' in rest
    assert TIMEOUT_SECONDS * 0.9 <= waited < TIMEOUT_SECONDS + 5
    assert remote.get("/task/t/localVariables/doc").status_code == 404
    assert_serving(remote)


def test_a_download_nobody_reads_is_abandoned(server: Server, remote: Api) -> None:
    remote.create_task("t")
    content = b"y" * (64 * 1024 * 1024)
    assert remote.upload("/task/t/localVariables/big", content).status_code == 204
    connection, base = connect(server)
    with connection:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = f"GET {base}/task/t/localVariables/big/data HTTP/1.1\r\nHost: x\r\n\r\n"
        connection.sendall(request.encode())
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        deadline = time.monotonic() + TIMEOUT_SECONDS + 10
        while "abandoned" not in server.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # the reader stalls; the server gives up on it
        assert "GET /engine-rest/task/t/localVariables/big/data abandoned" in server.log.read_text()
        assert_serving(remote)
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        assert len(client.get("/task/t/localVariables/big/data").content) == len(content)
