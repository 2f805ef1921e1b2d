"""Clients that misbehave in the middle of a request (stall, break off, send too much),
speaking HTTP over a raw socket, and the server with a short client timeout that tests of
them run against."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.server import Server, running_server
from tests.multipart_bodies import BOUNDARY


@contextmanager
def impatient_server(
    db_url: str, log_dir: Path, timeout_seconds: float, *extra_args: str
) -> Iterator[Server]:
    """A server of its own that gives up on a stalled client after ``timeout_seconds``;
    patient itself, as the loaded machines this runs on can take longer than the default
    to start it."""
    arguments = ("--client-timeout-seconds", str(timeout_seconds), *extra_args)
    with running_server(db_url, log_dir, *arguments, startup_seconds=120) as server:
        yield server


def connect(server: Server) -> tuple[socket.socket, str]:
    """A connection to ``server``, and the path its API is under."""
    url = urlsplit(server.base_url)
    return socket.create_connection((url.hostname, url.port), timeout=30), url.path


def start_upload(
    server: Server, path: str, sent: bytes, declared_length: int | None
) -> socket.socket:
    """A connection that sent the head of a multipart ``POST`` to ``path`` (under the
    API) and ``sent`` of its body: ``declared_length`` long, or chunked if ``None``."""
    connection, base = connect(server)
    framing = (
        "Transfer-Encoding: chunked"
        if declared_length is None
        else f"Content-Length: {declared_length}"
    )
    head = (
        f"POST {base}{path} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
    )
    connection.sendall(head.encode() + (sent if declared_length is not None else as_chunk(sent)))
    return connection


def as_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def whole_response(connection: socket.socket, received: bytes = b"") -> bytes:
    """The response whose first bytes were ``received``, read to the end of its body:
    the head and the body may arrive in separate segments."""
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
