"""Content files sent without reading them: the response's messages, and sendfile on a
real socket."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from taskvars.persistence.values import FileSpan
from taskvars.web import file_span_response, send_file
from taskvars.web.file_span_response import FileSpanResponse
from taskvars.web.framework import ZERO_COPY_SEND

CONTENT = bytes(range(256)) * 40_000  # 10 MB


@pytest.fixture
def content_file(tmp_path: Path) -> Path:
    path = tmp_path / "content"
    path.write_bytes(CONTENT)
    return path


def answer(span: FileSpan, extensions: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    response = FileSpanResponse(span, status_code=206, headers={"Content-Length": str(span.count)})
    scope = {"type": "http", "method": "GET", "extensions": extensions}
    asyncio.run(response(scope, receive, send))
    return sent


def test_a_server_offering_zero_copy_gets_the_span_in_slices(content_file: Path) -> None:
    file = content_file.open("rb")
    sent = answer(FileSpan(file, 1000, 9_000_000), {ZERO_COPY_SEND: {}})
    assert sent[0]["type"] == "http.response.start"
    slices = sent[1:]
    assert all(message["type"] == ZERO_COPY_SEND and message["file"] is file for message in slices)
    assert [(m["offset"], m["count"]) for m in slices] == [
        (1000, file_span_response.SLICE_BYTES),
        (1000 + file_span_response.SLICE_BYTES, file_span_response.SLICE_BYTES),
        (1000 + 2 * file_span_response.SLICE_BYTES, 9_000_000 - 2 * file_span_response.SLICE_BYTES),
    ]
    assert [m["more_body"] for m in slices] == [True, True, False]
    assert file.closed


def test_a_server_without_zero_copy_gets_the_span_read(content_file: Path) -> None:
    file = content_file.open("rb")
    sent = answer(FileSpan(file, 1000, 9_000_000), {})
    body = b"".join(m["body"] for m in sent[1:])
    assert body == CONTENT[1000:9_001_000]
    assert sent[-1]["more_body"] is False
    assert file.closed


def test_sendfile_puts_exactly_the_span_on_the_socket(content_file: Path) -> None:
    sender, receiver = socket.socketpair()
    with sender, receiver, content_file.open("rb") as file:
        sender.setblocking(False)  # as the event loop keeps it
        received = bytearray()

        def read_all() -> None:
            while len(received) < 5_000_000:
                received.extend(receiver.recv(1 << 20))

        reader = threading.Thread(target=read_all)
        reader.start()
        send_file._send(sender.fileno(), file.fileno(), 123, 5_000_000, stall_seconds=10)
        reader.join(timeout=10)
    assert bytes(received) == CONTENT[123:5_000_123]


def test_sendfile_gives_up_on_a_client_that_reads_nothing(content_file: Path) -> None:
    sender, receiver = socket.socketpair()
    with sender, receiver, content_file.open("rb") as file:
        sender.setblocking(False)
        with pytest.raises(TimeoutError, match=r"took no part of the response for 0\.2 s"):
            send_file._send(sender.fileno(), file.fileno(), 0, len(CONTENT), stall_seconds=0.2)
