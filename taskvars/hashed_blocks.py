"""An upload's bytes hashed in one thread and stored in another while the event loop
receives the next ones: the pipeline the upload spool (``web.spool``) and PostgreSQL's
streamed upload (``persistence.postgres_upload``) share.

Receiving, hashing and storing each cost about as much CPU, so doing them one after
another on the event loop would take three times as long; both threads release the GIL
for large buffers (the hasher's ``update``, ``pwrite``, the driver's socket writes).
Blocks are handed over in order, as views where possible, and at most
``max_in_flight_bytes`` of them wait for the threads at any time: memory stays flat
whatever the size.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from taskvars import content_digest

T = TypeVar("T")

Buffer = memoryview | bytearray


class HashedBlocks:
    """The digest (``content_digest``) of every block submitted, and each block's
    storing, off the event loop.

    ``store_thread_name``: the prefix of the storing thread's name (as ``ps`` shows it).
    """

    def __init__(self, store_thread_name: str, max_in_flight_bytes: int) -> None:
        self._store_thread_name = store_thread_name
        self._max_in_flight_bytes = max_in_flight_bytes
        self._threads: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
        # (length, hashed, stored, what to do on the event loop once both are done)
        self._in_flight: deque[tuple[int, Future[None], Future[Any], Callable[[], None] | None]]
        self._in_flight = deque()
        self.in_flight_bytes = 0
        self._digest = content_digest.new_hasher()

    def hash_now(self, data: Buffer) -> None:
        """Hash ``data`` on the calling thread (content small enough to stay in memory);
        only before any block was submitted, or after all of them were waited for."""
        self._digest.update(data)

    def hexdigest(self) -> str:
        """The stored digest of everything hashed (``content_digest.stored_form``);
        call once every block was waited for."""
        return content_digest.stored_form(self._digest.hexdigest())

    def submit(
        self,
        block: Sequence[Buffer],
        store: Callable[[], Any],
        when_done: Callable[[], None] | None = None,
    ) -> None:
        """Hash ``block`` (after every block before it) and run ``store`` in the storing
        thread (after all that was run there before); ``when_done`` runs on the caller's
        thread once both are done, as the caller waits."""
        hasher, storer = self._running_threads()
        hashed = hasher.submit(_hash, self._digest, block)
        stored = storer.submit(store)
        length = sum(len(view) for view in block)
        self._in_flight.append((length, hashed, stored, when_done))
        self.in_flight_bytes += length

    def in_storing_thread(self, work: Callable[..., T], *arguments: Any) -> Future[T]:
        """Run ``work(*arguments)`` in the storing thread, after what was submitted."""
        _, storer = self._running_threads()
        return storer.submit(work, *arguments)

    async def drain(self) -> None:
        """Wait while more than ``max_in_flight_bytes`` are not yet hashed and stored."""
        while self.in_flight_bytes > self._max_in_flight_bytes:
            await self._wait_oldest()

    async def wait_all(self) -> None:
        """Wait until every block submitted is hashed and stored."""
        while self._in_flight:
            await self._wait_oldest()

    def shutdown(self, *, wait: bool) -> None:
        """End the threads once their work is done; ``wait``: until then. Blocks not
        waited for are forgotten."""
        if self._threads is not None:
            for executor in self._threads:
                executor.shutdown(wait=wait)
            self._threads = None
        self._in_flight.clear()
        self.in_flight_bytes = 0

    def _running_threads(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        if self._threads is None:
            self._threads = (
                ThreadPoolExecutor(1, thread_name_prefix="taskvars-hash"),
                ThreadPoolExecutor(1, thread_name_prefix=self._store_thread_name),
            )
        return self._threads

    async def _wait_oldest(self) -> None:
        length, hashed, stored, when_done = self._in_flight[0]
        await asyncio.wrap_future(hashed)
        await asyncio.wrap_future(stored)
        self._in_flight.popleft()
        self.in_flight_bytes -= length
        if when_done is not None:
            when_done()


def _hash(digest: Any, block: Sequence[Buffer]) -> None:
    for view in block:
        digest.update(view)
