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
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.api_client import Api
from tests.content_digests import expected_digest
from tests.e2e.raw_clients import as_chunk, impatient_server, start_upload, whole_response
from tests.e2e.server import Server
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
UPLOAD_PATH = "/task/t/localVariables/doc/data"


@pytest.fixture
def database_kind() -> str:
    return "postgresql"


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    # A server of its own: its limits are not the session server's.
    limit = ("--max-upload-bytes", str(MAX_UPLOAD_BYTES))
    with impatient_server(db_url, tmp_path, TIMEOUT_SECONDS, *limit) as server:
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


def break_off(connection: socket.socket, body: bytes) -> bytes | None:
    connection.shutdown(socket.SHUT_RDWR)
    return None


def wait_for_the_answer(connection: socket.socket, body: bytes) -> bytes | None:
    return whole_response(connection)  # sending nothing more


def send_the_rest_in_chunks(connection: socket.socket, body: bytes) -> bytes | None:
    with contextlib.suppress(OSError):  # the server may answer and close meanwhile
        for offset in range(4 * MIB, len(body), MIB):
            connection.sendall(as_chunk(body[offset : offset + MIB]))
    return whole_response(connection)


@dataclass(frozen=True)
class FailedUpload:
    """A body of which ``sent`` goes at once (declaring ``declared_length``, or chunked
    if ``None``); then, once the copy began if ``mid_copy``, the client does ``then``,
    which returns the answer it read, if it reads one."""

    body: bytes
    sent: bytes
    declared_length: int | None
    mid_copy: bool
    then: Callable[[socket.socket, bytes], bytes | None]
    answer: tuple[bytes, ...] = ()  # what the answer holds, its status line first


_FILE_BODY = multipart_body(Part("data", PAYLOAD, filename="big.bin"), Part("valueType", "File"))
_BODY = multipart_body(Part("data", PAYLOAD))
_WITHOUT_CLOSING = _BODY[: -len(f"--{BOUNDARY}--\r\n")]
_TOO_LONG = multipart_body(Part("data", PAYLOAD * 2))

FAILED_UPLOADS = {
    "a body broken off mid-copy": FailedUpload(
        _FILE_BODY, _FILE_BODY[: len(_FILE_BODY) // 2], len(_FILE_BODY), True, break_off
    ),
    "a body that stalls mid-copy is a 408": FailedUpload(
        _BODY, _BODY[: len(_BODY) // 2], len(_BODY), True, wait_for_the_answer, (b"HTTP/1.1 408",)
    ),
    "a body without its closing boundary after the copy is a 400": FailedUpload(
        _WITHOUT_CLOSING,
        _WITHOUT_CLOSING,
        len(_WITHOUT_CLOSING),
        False,
        wait_for_the_answer,
        (b"HTTP/1.1 400", b"the body ends before its closing boundary"),
    ),
    "a chunked body past the size limit mid-copy is a 413": FailedUpload(
        _TOO_LONG, _TOO_LONG[: 4 * MIB], None, True, send_the_rest_in_chunks, (b"HTTP/1.1 413",)
    ),
}


@pytest.mark.parametrize("upload", FAILED_UPLOADS.values(), ids=FAILED_UPLOADS.keys())
def test_an_upload_that_fails_leaves_no_value_and_no_content_and_its_connection_back(
    server: Server, remote: Api, database: Engine, upload: FailedUpload
) -> None:
    remote.create_task("t")
    before = stored_rows(database)
    with start_upload(server, UPLOAD_PATH, upload.sent, upload.declared_length) as connection:
        if upload.mid_copy:
            wait_for(lambda: chunk_writers(database) > 0, "the copy to begin mid-body")
        answer = upload.then(connection, upload.body)
    if upload.answer:
        assert answer is not None
        status, *held = upload.answer
        assert answer.startswith(status), answer
        assert all(part in answer for part in held), answer
    wait_for(lambda: chunk_writers(database) == 0, "the copy to be rolled back")
    assert remote.get("/task/t/localVariables/doc").status_code == 404
    assert stored_rows(database) == before
    assert remote.client.put("/task/t/localVariables/after", json={"value": 1}).status_code == 204


def test_a_streamed_upload_is_stored_whole_with_its_hash(
    server: Server, remote: Api, database: Engine
) -> None:
    remote.create_task("t")
    response = remote.upload("/task/t/localVariables/doc", PAYLOAD, value_type="Bytes")
    assert response.status_code == 204, response.text
    download = remote.get("/task/t/localVariables/doc/data")
    assert download.content == PAYLOAD
    assert download.headers["etag"] == f'"{expected_digest(PAYLOAD)}"'
    with database.connect() as connection:
        sizes = connection.execute(
            text("SELECT length(data) FROM binary_chunk ORDER BY content_pk, seq")
        ).scalars()
        assert list(sizes) == [MIB] * 8  # chunk rows as the store has always cut them
