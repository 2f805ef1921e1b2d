"""The rest of a large request body, read from the client's socket in a worker thread
that hands each read, in place, to whoever stores it.

Received on the event loop, an upload's bytes were copied out of the read buffer into a
new object per read and handed to the spool's storing thread, which hashed and wrote them
some milliseconds later, from memory long out of the cache. A thread that reads into one
buffer and searches, hashes and writes each read from there, while it is still in the
cache, stores a 64 MiB upload close to what a server doing nothing else takes
(``python -m bench.store_floor``: 50.3 ms against 47.3 for the minimal one, where it
took 63-65; docs/benchmarks.md, "Measurements behind design decisions").

The socket stays non-blocking, as the event loop set it, with its reading paused meanwhile
(:func:`taskvars.web.framework.body_from_socket`); the thread reads a duplicate of its
descriptor, which keeps pointing at this connection should the loop close its own, and
waits with ``poll`` at most ``stall_seconds`` at a time for the client to send more, as
the client timeout bounds a wait on the loop. A request cancelled meanwhile (a server
that stops waiting for it) stops the thread and waits for it before anything it uses is
released.
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from starlette.types import Scope

from taskvars.errors import ClientDisconnectedError, RequestTimeoutError
from taskvars.web.framework import READ_BUFFER_BYTES, SocketBody, body_from_socket

# Bodies read at the same time; past it, a body is received on the event loop.
READERS = 64

_reading = 0  # bodies taken and not yet given back (counted on the event loop)
_readers: ThreadPoolExecutor | None = None

Consume = Callable[[bytes | memoryview], None]


def take(scope: Scope) -> SocketBody | None:
    """This request's body to read from the socket, if a reader is free and the connection
    hands it over; it must then go to :func:`read_body`, or back through
    :func:`give_back`. ``None``: receive it as usual."""
    global _reading
    if _reading >= READERS:
        return None
    body = body_from_socket(scope)
    if body is not None:
        _reading += 1
    return body


def give_back(body: SocketBody, bytes_read: int = 0) -> None:
    """The socket back to its connection, ``bytes_read`` of the body read (once: again
    does nothing)."""
    global _reading
    if body.given_back:
        return
    _reading -= 1
    body.done(bytes_read)


async def read_body(body: SocketBody, consume: Consume) -> None:
    """In a worker thread: ``consume`` what the connection had received of the body, then
    each read of the rest from the socket. Each view is of a buffer the next read
    overwrites: ``consume`` must be done with it when it returns. The socket goes back to
    the connection afterwards, however it ends."""
    global _readers
    if _readers is None:
        _readers = ThreadPoolExecutor(READERS, thread_name_prefix="taskvars-body")
    reader = _Reader(body, consume)
    try:
        reading = _readers.submit(reader.run)
        try:
            await asyncio.wrap_future(reading)
        except asyncio.CancelledError:
            reader.stop()
            await _finished(reading)
            raise
    finally:
        reader.close()
        give_back(body, reader.bytes_read)


async def _finished(future: Future[None]) -> None:
    """Wait until ``future`` has ended, however often the wait is cancelled meanwhile: no
    descriptor, file or form it uses may be released while its thread runs."""
    waiter = asyncio.wrap_future(future)
    while not waiter.done():
        try:
            await asyncio.shield(waiter)
        except asyncio.CancelledError:
            continue
    if not waiter.cancelled():
        waiter.exception()  # its outcome is beside the point now; retrieved, not logged


class _StoppedError(Exception):
    """The request was cancelled: the thread stops reading."""


class _Reader:
    """One body's reading thread: what it reads from, how far it got, and how to stop it
    (a flag it checks after each read, and a pipe that wakes it from ``poll``)."""

    def __init__(self, body: SocketBody, consume: Consume) -> None:
        self._body = body
        self._consume = consume
        self.bytes_read = 0
        self._stopped = threading.Event()
        self._wake_read, self._wake_write = os.pipe()

    def stop(self) -> None:
        self._stopped.set()
        os.write(self._wake_write, b"\0")

    def close(self) -> None:
        """Once the thread is done (or never started)."""
        os.close(self._wake_read)
        os.close(self._wake_write)

    def run(self) -> None:
        body, consume = self._body, self._consume
        if body.received:
            consume(body.received)
        count = body.remaining
        buffer = memoryview(bytearray(min(READ_BUFFER_BYTES, count)))
        poller = select.poll()
        poller.register(body.fd, select.POLLIN)
        poller.register(self._wake_read, select.POLLIN)
        while self.bytes_read < count:
            if self._stopped.is_set():
                raise _StoppedError()
            try:
                read = os.readv(body.fd, [buffer[: min(len(buffer), count - self.bytes_read)]])
            except BlockingIOError:
                if not poller.poll(body.stall_seconds * 1000):
                    raise RequestTimeoutError.body_stalled(body.stall_seconds) from None
                continue
            except OSError:
                # Reset, timed out, unreachable: uvloop reports each as the client gone.
                raise ClientDisconnectedError() from None
            if not read:
                raise ClientDisconnectedError()
            self.bytes_read += read
            consume(buffer[:read])
