"""An upload's bytes hashed and stored in a thread of their own while the event loop
receives the next ones: the pipeline the upload spool (``web.spool``) and PostgreSQL's
streamed upload (``persistence.postgres_upload``) share.

The thread hashes each block just before it stores it: with XXH3-128
(``content_digest``) hashing costs about a fifteenth of storing (0.03 s of CPU a GiB),
less than handing every block to a second thread did; SHA-256 had a thread of its own.
The hasher and the store release the GIL for large buffers (``update``, ``pwrite``, the
driver's socket writes), so the event loop goes on receiving meanwhile. Blocks are handed over in
order, as views where possible, and at most ``max_in_flight_bytes`` of them wait for the
thread at any time: memory stays flat whatever the size.
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
    storing, in one thread off the event loop.

    ``store_thread_name``: the prefix of the storing thread's name (as ``ps`` shows it).
    """

    def __init__(self, store_thread_name: str, max_in_flight_bytes: int) -> None:
        self._store_thread_name = store_thread_name
        self._max_in_flight_bytes = max_in_flight_bytes
        self._thread: ThreadPoolExecutor | None = None
        # (length, hashed and stored, what to do on the event loop once that is done)
        self._in_flight: deque[tuple[int, Future[Any], Callable[[], None] | None]]
        self._in_flight = deque()
        self.in_flight_bytes = 0
        self._digest = content_digest.new_hasher()

    def hash_now(self, data: Buffer) -> None:
        """Hash ``data`` on the calling thread (content small enough to stay in memory, or
        each write of a spool that writes through); only before any block was
        submitted, or after all of them were waited for."""
        self._digest.update(data)

    def stored_digest(self) -> str:
        """The stored digest of everything hashed (``content_digest.stored_form``);
        call once every block was waited for."""
        return content_digest.stored_form(self._digest.hexdigest())

    def submit(
        self,
        block: Sequence[Buffer],
        store: Callable[[], Any],
        when_done: Callable[[], None] | None = None,
    ) -> None:
        """Hash ``block``, then run ``store``, in the storing thread (after all that was
        run there before); ``when_done`` runs on the caller's thread once both are done,
        as the caller waits."""
        done = self._running_thread().submit(_hash_then_store, self._digest, block, store)
        length = sum(len(view) for view in block)
        self._in_flight.append((length, done, when_done))
        self.in_flight_bytes += length

    def in_storing_thread(self, work: Callable[..., T], *arguments: Any) -> Future[T]:
        """Run ``work(*arguments)`` in the storing thread, after what was submitted."""
        return self._running_thread().submit(work, *arguments)

    async def drain(self) -> None:
        """Wait while more than ``max_in_flight_bytes`` are not yet hashed and stored."""
        while self.in_flight_bytes > self._max_in_flight_bytes:
            await self._wait_oldest()

    async def wait_all(self) -> None:
        """Wait until every block submitted is hashed and stored."""
        while self._in_flight:
            await self._wait_oldest()

    def shutdown(self, *, wait: bool) -> None:
        """End the thread once its work is done; ``wait``: until then. Blocks not
        waited for are forgotten."""
        if self._thread is not None:
            self._thread.shutdown(wait=wait)
            self._thread = None
        self._in_flight.clear()
        self.in_flight_bytes = 0

    def _running_thread(self) -> ThreadPoolExecutor:
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix=self._store_thread_name)
        return self._thread

    async def _wait_oldest(self) -> None:
        length, done, when_done = self._in_flight[0]
        if done.done():
            # Usually so: the thread keeps up. wrap_future would hand even a finished
            # future's result over through call_soon_threadsafe, a wake-up of the event
            # loop (an eventfd write and read) for every block.
            done.result()
        else:
            await asyncio.wrap_future(done)
        self._in_flight.popleft()
        self.in_flight_bytes -= length
        if when_done is not None:
            when_done()


def _hash_then_store(
    digest: content_digest.Hasher, block: Sequence[Buffer], store: Callable[[], Any]
) -> Any:
    for view in block:
        digest.update(view)
    return store()
