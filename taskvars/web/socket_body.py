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
the client timeout bounds a wait on the loop.
"""

from __future__ import annotations

import os
import select
from collections.abc import Callable

import anyio

from taskvars.errors import ClientDisconnectedError, RequestTimeoutError
from taskvars.web.framework import SocketBody

# The buffer each read goes into: what one read may take.
READ_BYTES = 1024 * 1024
# Bodies read at the same time; past it, a body is received on the event loop.
READERS = 64

_readers: anyio.CapacityLimiter | None = None


def reader_free() -> bool:
    """Whether a thread may read one more body now."""
    global _readers
    if _readers is None:
        _readers = anyio.CapacityLimiter(READERS)
    return _readers.available_tokens > 0


async def read_body(body: SocketBody, consume: Callable[[bytes | memoryview], None]) -> None:
    """In a worker thread: ``consume`` what the connection had received of the body, then
    each read of the rest from the socket. Each view is of a buffer the next read
    overwrites: ``consume`` must be done with it when it returns. The socket goes back to
    the connection afterwards, however it ends. Ask :func:`reader_free` first, in the same
    step of the event loop as :func:`taskvars.web.framework.body_from_socket`."""
    assert _readers is not None, "reader_free() was not asked"
    progress = _Progress()
    try:
        await anyio.to_thread.run_sync(
            _consume_all,
            body.fd,
            body.received,
            body.remaining,
            consume,
            body.stall_seconds,
            progress,
            limiter=_readers,
        )
    finally:
        # Not before the thread is done: a cancelled run_sync waits for it.
        body.done(progress.bytes_read)


class _Progress:
    bytes_read = 0


def _consume_all(
    fd: int,
    received: bytes,
    count: int,
    consume: Callable[[bytes | memoryview], None],
    stall_seconds: float,
    progress: _Progress,
) -> None:
    if received:
        consume(received)
    buffer = memoryview(bytearray(min(READ_BYTES, count)))
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while progress.bytes_read < count:
        try:
            read = os.readv(fd, [buffer[: min(len(buffer), count - progress.bytes_read)]])
        except BlockingIOError:
            if not poller.poll(stall_seconds * 1000):
                raise RequestTimeoutError.body_stalled(stall_seconds) from None
            continue
        except ConnectionError:
            raise ClientDisconnectedError() from None
        if not read:
            raise ClientDisconnectedError()
        progress.bytes_read += read
        consume(buffer[:read])
