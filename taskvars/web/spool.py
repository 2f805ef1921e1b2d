"""Where an uploaded binary waits between the socket and the database.

Up to a limit in memory; past it in a file (from the database, see
:meth:`taskvars.persistence.unit_of_work.Database.new_upload_file`) that two worker
threads write and hash while the event loop receives the next bytes
(:class:`taskvars.hashed_blocks.HashedBlocks`). Received chunks are handed over as
memoryviews, never copied, in blocks of about 1 MiB, and at most ``MAX_IN_FLIGHT_BYTES``
wait for the threads at any time: memory stays flat whatever the size.

Before :meth:`Spool.finish` returns, a file that will be the stored value (a content file
beside an SQLite database) is on disk, its name too (:meth:`UploadFile.sync`): a row that
names it may be committed. Such a file is written with ``O_DIRECT`` where the file system
allows it: the received bytes are copied once into page-aligned blocks, which the disk reads itself.
Through the page cache the kernel's copy, page allocation and writeback bookkeeping cost
six times the CPU of that copy here, and a loaded machine's dirty-page throttling made
the write four times slower (measured: 1 GiB, 1.2 s CPU and 4.7 s against 0.18 s and
1.5 s). Where ``O_DIRECT`` is refused, the file is written through the page cache and
writeback is started every few MiB so that the final sync waits for little. A staging
file whose bytes the store copies into the database (PostgreSQL) is neither synced nor
written back early: it is read again at once, from the page cache.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from taskvars.hashed_blocks import HashedBlocks
from taskvars.persistence.content_files import UploadFile, open_direct
from taskvars.web.aligned_blocks import AlignedBlock, BlockShelf

BLOCK_BYTES = 1024 * 1024
MAX_IN_FLIGHT_BYTES = 8 * BLOCK_BYTES
# Views of received chunks are kept without copying when they are this large and of
# immutable bytes; smaller pieces (a body full of CRs arrives as many) are copied together,
# so that a block never holds more than a few dozen pieces.
MIN_SHARED_BYTES = 16 * 1024
# Ask the kernel to start writing back what was written, this often.
WRITEBACK_BYTES = 32 * BLOCK_BYTES
# Each O_DIRECT write waits for the disk, so it is made large: the device splits it into
# several requests in flight at once (1 GiB here: 1.4 s in 1 MiB writes, 0.65 s in 4 MiB).
ALIGNED_BLOCK_BYTES = 4 * BLOCK_BYTES
# O_DIRECT writes need their memory, offset and length aligned to the device's logical
# block: 4096 covers every device (512 or 4096).
DIRECT_ALIGNMENT = 4096
# The aligned blocks of every upload, kept between uploads: as many as one upload uses
# at once (those in flight, one more submitted before drain waits, the one being filled).
ALIGNED_BLOCKS_KEPT = MAX_IN_FLIGHT_BYTES // ALIGNED_BLOCK_BYTES + 2
ALIGNED_BLOCKS = BlockShelf(ALIGNED_BLOCK_BYTES, keep=ALIGNED_BLOCKS_KEPT)


class Spool:
    """One part's bytes. Feed with :meth:`write` (and :meth:`drain` between feeds),
    then :meth:`finish`; read back with :meth:`chunks`; end with :meth:`close`."""

    def __init__(
        self,
        memory_bytes: int,
        open_file: Callable[[], UploadFile],
        *,
        aligned_blocks: BlockShelf = ALIGNED_BLOCKS,
    ) -> None:
        self._memory_bytes = memory_bytes
        self._open_file = open_file
        self._memory = bytearray()
        self._block: list[memoryview | bytearray] = []
        self._block_bytes = 0
        self._file: UploadFile | None = None
        self._pipeline = HashedBlocks("taskvars-spool", MAX_IN_FLIGHT_BYTES)
        # Written with O_DIRECT: received bytes are copied into page-aligned blocks
        # (reused once written, given back to the shelf at close) instead of being kept
        # as views.
        self._direct_fd: int | None = None
        self._shelf = aligned_blocks
        self._taken: list[AlignedBlock] = []  # every block taken from the shelf
        self._aligned: AlignedBlock | None = None
        self._free_aligned: list[AlignedBlock] = []
        self._direct_offset = 0  # where the next aligned block goes in the file
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
        if self._direct_fd is not None:
            self._copy_aligned(data)
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
            self._submit_aligned()
            # Queued behind the last write, the sync starts as soon as that is out, while
            # the hashing thread may still be on the last blocks (it is the slower one),
            # not once the event loop has seen both done. A failed write is reported
            # first: wait_all raises it.
            synced = (
                self._pipeline.in_storing_thread(self._file.sync) if self._file.durable else None
            )
            await self._pipeline.wait_all()
            if synced is not None:
                await asyncio.wrap_future(synced)
        self.sha256 = self._pipeline.hexdigest()

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
        self._block.clear()
        self._aligned = None
        self._free_aligned.clear()
        for block in self._taken:  # none is written any more
            self._shelf.give_back(block)
        self._taken.clear()
        if self._direct_fd is not None:
            os.close(self._direct_fd)
            self._direct_fd = None
        if self._file is not None:
            self._file.release()  # which leaves it on disk if the store kept it

    def _spill(self) -> None:
        self._file = self._open_file()
        memory, self._memory = self._memory, bytearray()
        if self._file.durable:
            self._direct_fd = open_direct(self._file)
            # While the bytes arrive: the final sync then waits for the data only. (If
            # it fails, sync does it again and reports it.)
            self._pipeline.in_storing_thread(self._file.sync_name)
        if self._direct_fd is not None:
            self._copy_aligned(memoryview(memory))
            return
        self._block = [memoryview(memory)]
        self._block_bytes = len(memory)
        self._submit_block()

    def _copy_aligned(self, data: memoryview) -> None:
        """Copy ``data`` into the current aligned block; each full block goes out."""
        while data:
            if self._aligned is None:
                self._aligned = self._free_aligned.pop() if self._free_aligned else self._take()
            taken = self._aligned.append(data)
            data = data[taken:]
            if self._aligned.full:
                self._submit_aligned()

    def _take(self) -> AlignedBlock:
        block = self._shelf.take()
        self._taken.append(block)
        return block

    def _submit_aligned(self) -> None:
        block, self._aligned = self._aligned, None
        if block is None or not block.used:
            if block is not None:
                self._free_aligned.append(block)
            return
        assert self._file is not None
        assert self._direct_fd is not None
        offset, self._direct_offset = self._direct_offset, self._direct_offset + block.used
        view = block.view()
        write = functools.partial(_write_direct, self._direct_fd, self._file.fd, view, offset)
        self._pipeline.submit([view], write, functools.partial(self._reuse, block))

    def _reuse(self, block: AlignedBlock) -> None:
        block.used = 0
        self._free_aligned.append(block)

    def _submit_block(self) -> None:
        if not self._block:
            return
        assert self._file is not None
        block = self._block
        offset = self.size - self._block_bytes
        self._block, self._block_bytes = [], 0
        write = functools.partial(_write, self._file.fd, block, offset, self._file.durable)
        self._pipeline.submit(block, write)


def _write_direct(direct_fd: int, fd: int, view: memoryview, offset: int) -> None:
    """Write ``view`` at ``offset`` bypassing the page cache; the unaligned tail of the
    last block (and everything, if the file system turns O_DIRECT down after all) goes
    through ``fd`` and the page cache."""
    aligned = len(view) - len(view) % DIRECT_ALIGNMENT
    done = 0
    try:
        while done < aligned:
            done += os.pwrite(direct_fd, view[done:aligned], offset + done)
    except OSError as error:
        if error.errno != errno.EINVAL:
            raise
        done -= done % DIRECT_ALIGNMENT
    while done < len(view):
        done += os.pwrite(fd, view[done:], offset + done)


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
