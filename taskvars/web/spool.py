"""Where an uploaded binary waits between the socket and the database.

Up to a limit in memory; past it in a file (from the database, see
:meth:`taskvars.persistence.unit_of_work.Database.new_upload_file`) that a worker
thread hashes and writes while the event loop receives the next bytes
(:class:`taskvars.hashed_blocks.HashedBlocks`). Received chunks are handed over as
memoryviews, never copied, in blocks of about 1 MiB, and at most ``MAX_IN_FLIGHT_BYTES``
wait for the thread at any time: memory stays flat whatever the size. A large body read
from the socket by a thread of its own (:mod:`taskvars.web.socket_body`) is written
through instead: each write hashed and written by that thread before it reads on.

Before :meth:`Spool.finish` returns, a file that will be the stored value (a content file
beside an SQLite database) is on disk, its name too (:meth:`UploadFile.sync`): a row that
names it may be committed. Such a file is written through the page cache and flushed
every ``FLUSH_BYTES`` while the rest arrives (:class:`taskvars.web.early_flush.EarlyFlush`),
so that the final sync waits for the last stretch only. It used to be written with
``O_DIRECT`` from page-aligned blocks, which costs less CPU (1 GiB: 1.55 s of server CPU
against 1.8 s), but each such write waits for the disk, one at a time, and the disk's
flush still comes after the last byte: a 1 GiB upload took 1.9-2.5 s against 1.5-1.8 s
now, 64 MiB 0.14-0.2 s against 0.11-0.13 (``python -m bench.transfer``, A/B on the same
machine; its disk alone takes 1.4 s and 0.09 s). The early flushes also keep the dirty
pages of an upload to a few MiB, so that the kernel's dirty-page throttling of a loaded
machine does not slow it. A staging file whose bytes the store copies into the database
(PostgreSQL) is never synced: it is read again at once, from the page cache.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from taskvars.hashed_blocks import HashedBlocks
from taskvars.persistence.content_files import UploadFile
from taskvars.web.early_flush import EarlyFlush

BLOCK_BYTES = 1024 * 1024
MAX_IN_FLIGHT_BYTES = 8 * BLOCK_BYTES
# Views of received chunks are kept without copying when they are this large and of
# immutable bytes; smaller pieces (a body full of CRs arrives as many) are copied together,
# so that a block never holds more than a few dozen pieces.
MIN_SHARED_BYTES = 16 * 1024
# A content file is flushed to disk this often while it is written: 8 MiB made a 64 MiB
# upload end 1.2-1.4x the disk's own time, 16 MiB 1.5-1.6x (bench.transfer); each flush
# costs about 1 ms.
FLUSH_BYTES = 8 * BLOCK_BYTES


class Spool:
    """One part's bytes. Feed with :meth:`write` (and :meth:`drain` between feeds),
    then :meth:`finish`; read back with :meth:`chunks`; end with :meth:`close`.

    ``write_through``: each :meth:`write` hashes and writes its bytes before it returns,
    in the caller's thread, and keeps nothing of them; for a body read in a thread of its
    own (:mod:`taskvars.web.socket_body`), whose buffer the next read overwrites.
    """

    def __init__(
        self,
        memory_bytes: int,
        open_file: Callable[[], UploadFile],
        *,
        write_through: bool = False,
    ) -> None:
        self._memory_bytes = memory_bytes
        self._open_file = open_file
        self._write_through = write_through
        self._memory = bytearray()
        self._block: list[memoryview | bytearray] = []
        self._block_bytes = 0
        self._file: UploadFile | None = None
        self._pipeline = HashedBlocks("taskvars-spool", MAX_IN_FLIGHT_BYTES)
        self._early_flush: EarlyFlush | None = None  # for a file that must be durable
        self.size = 0
        self.digest = ""

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
        if self._write_through:
            self._write_now(data, self.size - len(data))
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
        await self._pipeline.drain()

    async def finish(self) -> None:
        """Everything written, hashed and, if in a file, on disk."""
        if self._file is None:
            self._pipeline.hash_now(self._memory)
        else:
            self._submit_block()
            # Queued behind the last write, the sync starts as soon as that is out, not
            # once the event loop has seen it done. A failed write is reported first:
            # wait_all raises it. (A file that must be durable has its early flush.)
            early_flush = self._early_flush
            synced = (
                self._pipeline.in_storing_thread(self._sync, self._file, early_flush)
                if early_flush is not None
                else None
            )
            await self._pipeline.wait_all()
            if synced is not None:
                await asyncio.wrap_future(synced)
        self.digest = self._pipeline.stored_digest()

    @staticmethod
    def _sync(file: UploadFile, early_flush: EarlyFlush) -> None:
        file.sync()
        early_flush.raise_failure()  # an error the final sync may not see again

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
        self._pipeline.shutdown(wait=True)  # no thread may touch the file after this
        if self._early_flush is not None:
            self._early_flush.close()
        self._block.clear()
        if self._file is not None:
            self._file.release()  # which leaves it on disk if the store kept it

    def _spill(self) -> None:
        self._file = self._open_file()
        memory, self._memory = self._memory, bytearray()
        if self._file.durable:
            self._early_flush = EarlyFlush(self._file.fd, FLUSH_BYTES)
            # While the bytes arrive: the final sync then waits for the data only. (If
            # it fails, sync does it again and reports it.)
            self._pipeline.in_storing_thread(self._file.sync_name)
        if self._write_through:
            self._write_now(memory, 0)
            return
        self._block = [memoryview(memory)]
        self._block_bytes = len(memory)
        self._submit_block()

    def _write_now(self, data: memoryview | bytearray, offset: int) -> None:
        assert self._file is not None
        self._pipeline.hash_now(data)  # no block is ever submitted: the order holds
        _write(self._file.fd, [data], offset, self._early_flush)

    def _submit_block(self) -> None:
        if not self._block:
            return
        assert self._file is not None
        block = self._block
        offset = self.size - self._block_bytes
        self._block, self._block_bytes = [], 0
        write = functools.partial(_write, self._file.fd, block, offset, self._early_flush)
        self._pipeline.submit(block, write)


def _write(
    fd: int, block: list[memoryview | bytearray], offset: int, early_flush: EarlyFlush | None
) -> None:
    position = offset
    while block:
        written = os.pwritev(fd, block, position)
        position += written
        block = _after(block, written)
    if early_flush is not None:
        early_flush.written(position)


def _after(block: list[memoryview | bytearray], written: int) -> list[memoryview | bytearray]:
    """What is left of ``block`` once its first ``written`` bytes are out."""
    while block and written >= len(block[0]):
        written -= len(block[0])
        block = block[1:]
    if block and written:
        block = [memoryview(block[0])[written:], *block[1:]]
    return block
