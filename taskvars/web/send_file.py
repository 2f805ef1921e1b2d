"""Bytes of an open file to a client's socket by ``os.sendfile``: from the page cache to
the socket in the kernel, never copied through Python.

Runs in worker threads of its own capacity (a client that reads slowly holds one while
it waits), on the socket under the connection's transport, once that transport has
nothing of its own left to write. The socket stays non-blocking, as the event loop set
it: when it is full the thread waits with ``poll`` (``select`` cannot watch descriptors
above 1023), at most ``stall_seconds`` for the client to take something.
"""

from __future__ import annotations

import asyncio
import os
import select
from typing import Any, BinaryIO

import anyio

DEFAULT_STALL_SECONDS = 60.0
# Downloads sending at the same time; more wait for a turn.
SENDERS = 64
_senders: anyio.CapacityLimiter | None = None


async def flushed(transport: asyncio.Transport) -> None:
    """Wait until ``transport`` has written out everything it was given (the headers),
    so that the file's bytes follow them on the socket."""
    while transport.get_write_buffer_size() and not transport.is_closing():
        await asyncio.sleep(0.001)
    if transport.is_closing():
        raise ConnectionResetError("the connection closed before the content was sent")


async def send_span(
    transport: Any, file: BinaryIO, offset: int, count: int, stall_seconds: float
) -> None:
    """Send in a worker thread, on duplicates of the socket's and the file's descriptors:
    should the connection or the file be closed meanwhile (a client gone, a shutdown),
    their numbers may be reused at once for another connection or file, which the thread
    must never write to or read from. A duplicate keeps pointing where it pointed."""
    global _senders
    if _senders is None:
        _senders = anyio.CapacityLimiter(SENDERS)
    socket_fd = os.dup(transport.get_extra_info("socket").fileno())
    try:
        file_fd = os.dup(file.fileno())
    except BaseException:
        os.close(socket_fd)
        raise
    await anyio.to_thread.run_sync(
        _send_and_close, socket_fd, file_fd, offset, count, stall_seconds, limiter=_senders
    )


def _send_and_close(
    socket_fd: int, file_fd: int, offset: int, count: int, stall_seconds: float
) -> None:
    try:
        _send(socket_fd, file_fd, offset, count, stall_seconds)
    finally:
        os.close(file_fd)
        os.close(socket_fd)


def _send(socket_fd: int, file_fd: int, offset: int, count: int, stall_seconds: float) -> None:
    """``count`` bytes from ``offset``; waits at most ``stall_seconds`` at a time for the
    client to take more (a slow client that keeps reading is not cut off)."""
    end = offset + count
    poller = select.poll()
    poller.register(socket_fd, select.POLLOUT)
    while offset < end:
        try:
            sent = os.sendfile(socket_fd, file_fd, offset, end - offset)
        except BlockingIOError:
            if not poller.poll(stall_seconds * 1000):
                raise TimeoutError(
                    f"the client took no part of the response for {stall_seconds:g} s"
                ) from None
            continue
        if sent == 0:
            raise RuntimeError("the content file is shorter than its row says")
        offset += sent
