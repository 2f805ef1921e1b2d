"""Large uploads on PostgreSQL are copied into the database while their body arrives
(persistence.postgres_upload): a body that breaks off mid-way, stalls, or turns out
malformed after its content was copied in leaves no value and no content row behind,
and gives its connection back."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.api_client import Api
from tests.e2e.server import Server, running_server
from tests.multipart_bodies import BOUNDARY, Part, multipart_body

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

TIMEOUT_SECONDS = 2
MIB = 1024 * 1024
MAX_UPLOAD_BYTES = 12 * MIB
# Past what is kept in memory before the copy begins (postgres_upload.STREAM_FROM_BYTES).
PAYLOAD = hashlib.sha256(b"streamed").digest() * (8 * MIB // 32)
# How long the server may take to begin or end the copy; a bound, not a measurement.
WAIT_SECONDS = 20
# Locks held by other sessions on the schema's chunk table: a write into it in progress.
CHUNK_WRITERS = text(
    "SELECT count(*) FROM pg_locks WHERE relation = 'binary_chunk'::regclass "
    "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
)


@pytest.fixture
def database_kind() -> str:
    return "postgresql"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    arguments = (
        *("--client-timeout-seconds", str(TIMEOUT_SECONDS)),
        *("--max-upload-bytes", str(MAX_UPLOAD_BYTES)),
    )
    # A server of its own (its limits are not the session server's); patient, as the
    # loaded machines this runs on can take longer than the default to start it.
    with running_server(db_url, tmp_path, *arguments, startup_seconds=120) as server:
        yield server


@pytest.fixture
def database(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def stored_rows(database: Engine) -> tuple[int, int]:
    """(content rows, chunk rows), as committed."""
    with database.connect() as connection:
        contents = connection.scalar(text("SELECT count(*) FROM binary_content"))
        chunks = connection.scalar(text("SELECT count(*) FROM binary_chunk"))
    return int(contents or 0), int(chunks or 0)


def chunk_writers(database: Engine) -> int:
    with database.connect() as connection:
        return int(connection.scalar(CHUNK_WRITERS) or 0)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s for {what}"
        time.sleep(0.05)


def start_upload(server: Server, body: bytes, declared_length: int | None) -> socket.socket:
    """A connection that sent ``body`` (``declared_length`` of it: chunked if ``None``)."""
    url = urlsplit(server.base_url)
    connection = socket.create_connection((url.hostname, url.port), timeout=30)
    framing = (
        "Transfer-Encoding: chunked"
        if declared_length is None
        else f"Content-Length: {declared_length}"
    )
    head = (
        f"POST {url.path}/task/t/localVariables/doc/data HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
    )
    connection.sendall(head.encode() + (body if declared_length else as_chunk(body)))
    return connection


def as_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def answer_of(connection: socket.socket) -> bytes:
    """The whole response: its head and body may arrive in separate segments."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def assert_nothing_left(remote: Api, database: Engine, before: tuple[int, int]) -> None:
    wait_for(lambda: chunk_writers(database) == 0, "the copy to be rolled back")
    assert remote.get("/task/t/localVariables/doc").status_code == 404
    assert stored_rows(database) == before
    assert remote.client.put("/task/t/localVariables/after", json={"value": 1}).status_code == 204


def test_a_body_broken_off_mid_copy_leaves_no_value_and_no_content(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    before = stored_rows(database)
    body = multipart_body(Part("data", PAYLOAD, filename="big.bin"), Part("valueType", "File"))
    connection = start_upload(server, body[: len(body) // 2], len(body))
    with connection:
        wait_for(lambda: chunk_writers(database) > 0, "the copy to begin mid-body")
        connection.shutdown(socket.SHUT_RDWR)
    assert_nothing_left(remote, database, before)


def test_a_body_that_stalls_mid_copy_is_a_408_and_leaves_nothing(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    before = stored_rows(database)
    body = multipart_body(Part("data", PAYLOAD))
    connection = start_upload(server, body[: len(body) // 2], len(body))
    with connection:
        wait_for(lambda: chunk_writers(database) > 0, "the copy to begin mid-body")
        answer = answer_of(connection)  # and then nothing more is sent
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert_nothing_left(remote, database, before)


def test_a_body_without_its_closing_boundary_after_the_copy_leaves_nothing(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    before = stored_rows(database)
    body = multipart_body(Part("data", PAYLOAD))
    truncated = body[: -len(f"--{BOUNDARY}--\r\n")]
    connection = start_upload(server, truncated, len(truncated))
    with connection:
        answer = answer_of(connection)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    assert b"the body ends before its closing boundary" in answer
    assert_nothing_left(remote, database, before)


def test_a_chunked_body_past_the_size_limit_mid_copy_is_a_413_and_leaves_nothing(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    before = stored_rows(database)
    body = multipart_body(Part("data", PAYLOAD * 2))
    connection = start_upload(server, body[: 4 * MIB], None)
    with connection:
        wait_for(lambda: chunk_writers(database) > 0, "the copy to begin mid-body")
        with contextlib.suppress(OSError):  # the server may answer and close meanwhile
            for offset in range(4 * MIB, len(body), MIB):
                connection.sendall(as_chunk(body[offset : offset + MIB]))
        answer = answer_of(connection)
    assert answer.startswith(b"HTTP/1.1 413"), answer
    assert_nothing_left(remote, database, before)


def test_a_streamed_upload_is_stored_whole_with_its_hash(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    response = remote.upload("/task/t/localVariables/doc", PAYLOAD, value_type="Bytes")
    assert response.status_code == 204, response.text
    download = remote.get("/task/t/localVariables/doc/data")
    assert download.content == PAYLOAD
    assert download.headers["etag"] == f'"{hashlib.sha256(PAYLOAD).hexdigest()}"'
    with database.connect() as connection:
        sizes = connection.execute(
            text("SELECT length(data) FROM binary_chunk ORDER BY content_pk, seq")
        ).scalars()
        assert list(sizes) == [MIB] * 8  # chunk rows as the store has always cut them
