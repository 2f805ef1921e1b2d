"""The reference for one connection's transfer speed: a loopback HTTP server that only
reads and discards a request body, or sends N bytes, and does nothing else.

    python -m bench.sink PORT

It is the limit taskvars is judged against, so it does as little as a server can:
blocking sockets, a thread per connection, the body read with ``recv_into`` into one
preallocated 4 MiB buffer (no allocation per chunk, no event loop, no stream reader), and
the answer sent by ``sendfile`` from a 4 MiB file in the page cache, over and over: no
copy through user space at all (taskvars sends content files the same way, so it can at
best equal this).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading

BUFFER_BYTES = 4 * 1024 * 1024


def outgoing_file() -> int:
    """A descriptor of BUFFER_BYTES in the page cache (its name removed at once)."""
    with tempfile.NamedTemporaryFile(prefix="taskvars-sink-") as file:
        file.write(b"\x5a" * BUFFER_BYTES)
        file.flush()
        return os.open(file.name, os.O_RDONLY)


OUTGOING = outgoing_file()


def serve_connection(connection: socket.socket) -> None:
    buffer = bytearray(BUFFER_BYTES)
    view = memoryview(buffer)
    pending = 0  # bytes in buffer after the last request's head
    with connection:
        while True:
            head_end = buffer.find(b"\r\n\r\n", 0, pending)
            while head_end < 0:
                received = connection.recv_into(view[pending:])
                if not received:
                    return
                pending += received
                head_end = buffer.find(b"\r\n\r\n", 0, pending)
            head = bytes(view[:head_end]).decode("latin-1")
            after_head = head_end + 4
            request_line, *header_lines = head.split("\r\n")
            method, path, _ = request_line.split(" ", 2)
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            if method == "POST":
                if headers.get("expect", "").lower() == "100-continue":
                    connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                remaining = int(headers.get("content-length", "0"))
                in_buffer = min(remaining, pending - after_head)
                remaining -= in_buffer
                leftover = pending - after_head - in_buffer
                while remaining:
                    received = connection.recv_into(view[: min(remaining, BUFFER_BYTES)])
                    if not received:
                        return
                    remaining -= received
                    leftover = 0
                connection.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:  # GET /<size>: send that many bytes
                leftover = pending - after_head
                size = int(path.rsplit("/", 1)[1])
                connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                while size:
                    size -= os.sendfile(connection.fileno(), OUTGOING, 0, min(size, BUFFER_BYTES))
            # Keep what came after this request (a pipelined next one), at the start.
            if leftover:
                start = pending - leftover
                buffer[:leftover] = buffer[start:pending]
            pending = leftover


def main(port: int) -> None:
    with socket.create_server(("127.0.0.1", port), backlog=128) as server:
        while True:
            connection, _ = server.accept()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=serve_connection, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main(int(sys.argv[1]))
