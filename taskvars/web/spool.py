"""Where an uploaded binary waits between the socket and the database.

Up to a limit in memory; past it in a file (from the database, see
:meth:`taskvars.persistence.unit_of_work.Database.new_upload_file`) that two worker
threads write and hash while the event loop receives the next bytes: receiving, hashing
and writing each cost about as much CPU, so doing them one after another on the event
loop would take three times as long (both threads release the GIL). Received chunks are
handed over as memoryviews, never copied, in blocks of about 1 MiB, and at most
``MAX_IN_FLIGHT_BYTES`` wait for the threads at any time: memory stays flat whatever the
size.

Before :meth:`Spool.finish` returns, a file that will be the stored value (a content file
beside an SQLite database) is on disk (``fdatasync``): a row that names it may be
committed. Writeback is started every few MiB so that the final sync waits for little. A
staging file whose bytes the store copies into the database (PostgreSQL) is neither
synced nor written back early: it is read again at once, from the page cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from taskvars.persistence.content_files import UploadFile

BLOCK_BYTES = 1024 * 1024
MAX_IN_FLIGHT_BYTES = 8 * BLOCK_BYTES
# Views of received chunks are kept without copying when they are this large and of
# immutable bytes; smaller pieces (a body full of CRs arrives as many) are copied together,
# so that a block never holds more than a few dozen pieces.
MIN_SHARED_BYTES = 16 * 1024
# Ask the kernel to start writing back what was written, this often.
WRITEBACK_BYTES = 32 * BLOCK_BYTES


class Spool:
    """One part's bytes. Feed with :meth:`write` (and :meth:`drain` between feeds),
    then :meth:`finish`; read back with :meth:`chunks`; end with :meth:`close`."""

    def __init__(self, memory_bytes: int, open_file: Callable[[], UploadFile]) -> None:
        self._memory_bytes = memory_bytes
        self._open_file = open_file
        self._memory = bytearray()
        self._block: list[memoryview | bytearray] = []
        self._block_bytes = 0
        self._file: UploadFile | None = None
        self._threads: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None
        self._in_flight: deque[tuple[int, Future[None], Future[None]]] = deque()
        self._in_flight_bytes = 0
        self._digest = hashlib.sha256()
        self.size = 0
        self.sha256 = ""

    @property
    def file(self) -> UploadFile | None:
        """The file holding the content, or ``None`` while it fits in memory."""
        return self._file

    @property
    def path(self) -> Path | None:
        return self._file.path if self._file is not None else None

    def write(self, data: memoryview) -> None:
        """Take ``data``. A large view of immutable ``bytes`` is kept as it is until
        written; anything else is copied."""
        self.size += len(data)
        if self._file is None:
            self._memory += data
            if len(self._memory) > self._memory_bytes:
                self._spill()
            return
        if isinstance(data.obj, bytes) and len(data) >= MIN_SHARED_BYTES:
            self._block.append(data)
        elif self._block and isinstance(self._block[-1], bytearray):
            self._block[-1] += data
        else:
            self._block.append(bytearray(data))
        self._block_bytes += len(data)
        if self._block_bytes >= BLOCK_BYTES:
            self._submit_block()

    async def drain(self) -> None:
        """Wait while more than ``MAX_IN_FLIGHT_BYTES`` are not yet written."""
        while self._in_flight_bytes > MAX_IN_FLIGHT_BYTES:
            await self._wait_oldest()

    async def finish(self) -> None:
        """Everything written, hashed and, if in a file, on disk."""
        if self._file is None:
            self._digest.update(self._memory)
        else:
            self._submit_block()
            while self._in_flight:
                await self._wait_oldest()
            if self._file.durable:
                _, writer = self._running_threads()
                await asyncio.wrap_future(writer.submit(os.fdatasync, self._file.fd))
        self.sha256 = self._digest.hexdigest()

    def chunks(self, chunk_bytes: int) -> Iterator[bytes]:
        if self._file is None:
            view = memoryview(self._memory)
            for offset in range(0, len(view), chunk_bytes):
                yield bytes(view[offset : offset + chunk_bytes])
            return
        offset = 0
        while chunk := os.pread(self._file.fd, chunk_bytes, offset):
            offset += len(chunk)
            yield chunk

    def read_all(self) -> bytes:
        return b"".join(self.chunks(BLOCK_BYTES))

    def close(self) -> None:
        if self._threads is not None:
            for executor in self._threads:
                executor.shutdown(wait=True)  # no thread may touch the file after this
            self._threads = None
        self._in_flight.clear()
        self._block.clear()
        if self._file is not None:
            self._file.release()  # which leaves it on disk if the store kept it

    def _spill(self) -> None:
        self._file = self._open_file()
        self._block = [memoryview(self._memory)]
        self._block_bytes = len(self._memory)
        self._memory = bytearray()
        self._submit_block()

    def _running_threads(self) -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
        if self._threads is None:
            self._threads = (
                ThreadPoolExecutor(1, thread_name_prefix="taskvars-hash"),
                ThreadPoolExecutor(1, thread_name_prefix="taskvars-spool"),
            )
        return self._threads

    def _submit_block(self) -> None:
        if not self._block:
            return
        assert self._file is not None
        block, length = self._block, self._block_bytes
        offset = self.size - self._block_bytes
        self._block, self._block_bytes = [], 0
        hasher, writer = self._running_threads()
        hashed = hasher.submit(_hash, self._digest, block)
        written = writer.submit(_write, self._file.fd, block, offset, self._file.durable)
        self._in_flight.append((length, hashed, written))
        self._in_flight_bytes += length

    async def _wait_oldest(self) -> None:
        length, hashed, written = self._in_flight[0]
        await asyncio.wrap_future(hashed)
        await asyncio.wrap_future(written)
        self._in_flight.popleft()
        self._in_flight_bytes -= length


def _hash(digest: Any, block: list[memoryview | bytearray]) -> None:
    for view in block:
        digest.update(view)


def _write(fd: int, block: list[memoryview | bytearray], offset: int, durable: bool) -> None:
    end = offset + sum(len(view) for view in block)
    position = offset
    while block:
        written = os.pwritev(fd, block, position)
        position += written
        block = _after(block, written)
    # Start writing back each WRITEBACK_BYTES as it completes; the final fdatasync then
    # waits for the last stretch only. (On Linux, DONTNEED starts writeback of dirty
    # pages and drops only those already clean.)
    crossed = end // WRITEBACK_BYTES != offset // WRITEBACK_BYTES
    if durable and crossed and hasattr(os, "posix_fadvise"):
        start = (end // WRITEBACK_BYTES - 1) * WRITEBACK_BYTES
        os.posix_fadvise(fd, start, WRITEBACK_BYTES, os.POSIX_FADV_DONTNEED)


def _after(block: list[memoryview | bytearray], written: int) -> list[memoryview | bytearray]:
    """What is left of ``block`` once its first ``written`` bytes are out."""
    while block and written >= len(block[0]):
        written -= len(block[0])
        block = block[1:]
    if block and written:
        block = [memoryview(block[0])[written:], *block[1:]]
    return block
