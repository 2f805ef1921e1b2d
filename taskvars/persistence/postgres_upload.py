"""A large upload's bytes COPYed into PostgreSQL while its body is still arriving.

Spooled to a file first and then copied, an upload took the time of both, one after the
other (1.64x a plain ``COPY`` of the same bytes at 1 GiB). Here the ``data`` part of a
variable upload is written into its chunk rows as it is received: a worker thread hashes
each block and runs the ``COPY`` (:class:`taskvars.hashed_blocks.HashedBlocks`), and the
event loop goes on receiving; at most :data:`MAX_IN_FLIGHT_BYTES` wait for it, so
memory stays flat.

The content row and its chunks are written in a transaction of the upload's own, which
the upload's write then joins (:class:`StreamedContent`, ``UnitOfWork(streamed=...)``):
the value is stored whole, with its size and digest, or not at all. A body that breaks
off, does not parse, is refused or is never stored rolls that transaction back.

That transaction is open while the client sends, so it is bounded:

- it takes no lock anybody else waits for: its one content row is new and invisible to
  others; the variable's and task's rows are locked only by the write, once the whole
  body is in;
- it starts only past :data:`STREAM_FROM_BYTES` (smaller values share a group commit as
  before), and at most :data:`MAX_STREAMED_UPLOADS` at a time hold a pooled connection
  for it: a crowd of slow clients cannot take the pool the other requests need; past
  that, an upload is spooled to a file and copied afterwards, as before;
- a client that stalls is cut off by the client timeout (``web.client_timeout``), which
  ends the request and with it the transaction.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, insert, update

from taskvars.hashed_blocks import HashedBlocks
from taskvars.persistence import postgres_copy
from taskvars.persistence.content_files import UploadFile
from taskvars.persistence.models import BinaryContent

if TYPE_CHECKING:
    from taskvars.web.multipart import PartSink

# Below this a part stays in memory (or its spool) and is stored by the write as before:
# as large as the largest value that shares a group commit (unit_of_work), so that only
# writes that have a transaction of their own anyway are streamed.
STREAM_FROM_BYTES = 1024 * 1024
# Streamed uploads open at once, each holding a pooled connection while its body arrives.
MAX_STREAMED_UPLOADS = 4
# Received bytes are handed to the threads in blocks of about this size (views, not
# copies), and at most MAX_IN_FLIGHT_BYTES of them wait at any time.
BLOCK_BYTES = 1024 * 1024
MAX_IN_FLIGHT_BYTES = 8 * BLOCK_BYTES
# Smaller pieces are copied together instead of kept as views (see web.spool).
MIN_SHARED_BYTES = 16 * 1024

_CONTENT = cast(Table, BinaryContent.__table__)
# Size and digest are known once the last byte is in: the row is completed then.
_INSERT_CONTENT = (
    insert(_CONTENT).values(size=0, digest="", file_name=None).returning(_CONTENT.c.pk)
)
_COMPLETE_CONTENT = (
    update(_CONTENT)
    .where(_CONTENT.c.pk == bindparam("content_pk"))
    .values(size=bindparam("size"), digest=bindparam("digest"))
)


class StreamedContent:
    """A content row and its chunks, written by ``COPY`` in a transaction of their own
    on ``connection``; used from one thread at a time."""

    def __init__(self, connection: Connection, chunk_bytes: int, release: Callable[[], None]):
        self.connection = connection
        self._chunk_bytes = chunk_bytes
        self._release = release
        self._stack = ExitStack()
        self.content_pk: int = connection.execute(_INSERT_CONTENT).scalar_one()
        cursor = self._stack.enter_context(postgres_copy.driver_cursor(connection))
        self._copy = self._stack.enter_context(postgres_copy.chunk_copy(cursor))
        self._seq = 0
        self._chunk = bytearray()
        self._copying = True
        # Set by the store when the write names this content. A write that commits
        # without naming it deletes it first (UnitOfWork.commit): no orphan content.
        # (A serialized object's or a transient value's write never joins, or never
        # commits: the content goes with the rolled-back transaction.)
        self.adopted = False

    @classmethod
    def begin(
        cls, engine: Engine, chunk_bytes: int, release: Callable[[], None]
    ) -> StreamedContent:
        connection = engine.connect()
        try:
            connection.begin()
            return cls(connection, chunk_bytes, release)
        except BaseException:
            connection.close()
            release()
            raise

    def write(self, views: list[memoryview | bytearray]) -> None:
        """Append ``views`` to the chunk rows, each row ``chunk_bytes`` long but the last."""
        for view in views:
            offset = 0
            while offset < len(view):
                taken = min(len(view) - offset, self._chunk_bytes - len(self._chunk))
                self._chunk += view[offset : offset + taken]
                offset += taken
                if len(self._chunk) == self._chunk_bytes:
                    self._write_chunk()

    def end(self, size: int, digest: str) -> None:
        """The last row sent, the ``COPY`` ended, and the content row completed."""
        if self._chunk:
            self._write_chunk()
        self._copying = False
        self._stack.close()
        self.connection.execute(
            _COMPLETE_CONTENT, {"content_pk": self.content_pk, "size": size, "digest": digest}
        )

    def adopted_by(self, connection: Connection) -> int:
        """The content pk, for a write on ``connection``: the one this content is on
        (elsewhere its rows are not visible, and would be stored as nothing)."""
        if _driver(connection) is not _driver(self.connection):
            raise RuntimeError("streamed content stored outside its own transaction")
        self.adopted = True
        return self.content_pk

    def read(self, _chunk_bytes: int) -> Iterator[bytes]:
        """The content as stored so far (ended first), in its own transaction."""
        return postgres_copy.copy_chunks_out(self.connection, self.content_pk)

    def commit(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        """Roll back whatever was not committed (a ``COPY`` still open is cancelled) and
        give the connection back."""
        try:
            if self._copying:
                self._copying = False
                error = _BodyAbandonedError("the upload did not complete")
                with suppress(Exception):  # the COPY's own error: rolled back anyway
                    self._stack.__exit__(type(error), error, None)
            self.connection.close()
        finally:
            self._release()

    def _write_chunk(self) -> None:
        chunk, self._chunk = self._chunk, bytearray()
        self._copy.write_row((self.content_pk, self._seq, chunk))
        self._seq += 1


def _driver(connection: Connection) -> Any:
    return connection.connection.driver_connection


class _BodyAbandonedError(Exception):
    """Ends a ``COPY`` whose body will never complete (it is rolled back)."""


class StreamedUploads:
    """Where a database's large uploads are streamed: at most ``slots`` at a time."""

    def __init__(self, engine: Engine, chunk_bytes: int, slots: int = MAX_STREAMED_UPLOADS):
        self._engine = engine
        self._chunk_bytes = chunk_bytes
        self._slot_count = slots
        self._slots = threading.BoundedSemaphore(slots)

    def wait_until_closed(self, timeout: float) -> bool:
        """Whether every streamed content gave its connection back within ``timeout``
        seconds. A content is closed by its copying thread after the request let go of
        it; the engine is disposed of only after that, because a connection checked in
        to a disposed pool stays open until the garbage collector finds it (psycopg then
        warns, wherever that happens)."""
        deadline = time.monotonic() + timeout
        taken = 0
        try:
            while taken < self._slot_count:
                if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    return False
                taken += 1
            return True
        finally:
            for _ in range(taken):
                self._slots.release()

    def part_sink(self, new_spool: Callable[[], PartSink]) -> CopySpool:
        """A sink for a ``data`` part; ``new_spool``: the spool it replaces, used when
        no slot is free (see ``web.multipart.FormLimits.streamed_part_sink``)."""
        return CopySpool(self, new_spool)

    def try_begin(self) -> Callable[[], StreamedContent] | None:
        """How to begin a streamed content (I/O: in a worker thread), if a slot is free."""
        if not self._slots.acquire(blocking=False):
            return None
        return lambda: StreamedContent.begin(self._engine, self._chunk_bytes, self._slots.release)


class CopySpool:
    """A ``data`` part's bytes, as :class:`taskvars.web.spool.Spool` takes them: in
    memory up to :data:`STREAM_FROM_BYTES`, then streamed into a :class:`StreamedContent`
    (or, if none can be had, into a spool made by ``new_spool``, as before)."""

    def __init__(self, uploads: StreamedUploads, new_spool: Callable[[], PartSink]) -> None:
        self._uploads = uploads
        self._new_spool = new_spool
        self._memory = bytearray()
        self._fallback: PartSink | None = None  # once streaming was not possible
        self._opening: Future[StreamedContent] | None = None
        self.streamed: StreamedContent | None = None
        self._pipeline = HashedBlocks("taskvars-copy", MAX_IN_FLIGHT_BYTES)
        self._block: list[memoryview | bytearray] = []
        self._block_bytes = 0
        # Blocks received while the transaction opens, submitted once it is open: kept
        # as the socket's buffers, not gathered into one growing copy (which, past
        # glibc's mmap threshold, had fresh pages faulted in for every upload).
        self._waiting: list[list[memoryview | bytearray]] = []
        self._waiting_bytes = 0
        self.size = 0
        self.digest = ""

    @property
    def file(self) -> UploadFile | None:
        return self._fallback.file if self._fallback is not None else None

    @property
    def path(self) -> Path | None:
        return self._fallback.path if self._fallback is not None else None

    def write(self, data: memoryview) -> None:
        if self._fallback is not None:
            self._fallback.write(data)
            self.size = self._fallback.size
            return
        self.size += len(data)
        if self._opening is None:
            self._memory += data
            if len(self._memory) > STREAM_FROM_BYTES:
                self._start_streaming()
            return
        if isinstance(data.obj, bytes) and len(data) >= MIN_SHARED_BYTES:
            self._block.append(data)
        elif self._block and isinstance(self._block[-1], bytearray):
            self._block[-1] += data
        else:
            self._block.append(bytearray(data))
        self._block_bytes += len(data)
        if self._block_bytes >= BLOCK_BYTES:
            if self.streamed is not None:
                self._submit_block()
            else:
                self._wait_with_block()

    async def drain(self) -> None:
        if self._fallback is not None:
            await self._fallback.drain()
            return
        if self._opening is not None and self.streamed is None:
            # What arrived meanwhile waits for the transaction, bounded.
            if not self._opening.done() and self._waiting_bytes <= MAX_IN_FLIGHT_BYTES:
                return
            await self._opened()
        await self._pipeline.drain()

    async def finish(self) -> None:
        if self._opening is not None and self.streamed is None:
            await self._opened()
        if self._fallback is not None:
            await self._fallback.finish()
            self.digest = self._fallback.digest
            return
        if self.streamed is None:
            self._pipeline.hash_now(self._memory)
            self.digest = self._pipeline.stored_digest()
            return
        self._submit_block()
        await self._pipeline.wait_all()
        self.digest = self._pipeline.stored_digest()
        end = self._pipeline.in_storing_thread(self.streamed.end, self.size, self.digest)
        await asyncio.wrap_future(end)

    def chunks(self, chunk_bytes: int) -> Iterator[bytes]:
        if self._fallback is not None:
            return self._fallback.chunks(chunk_bytes)
        if self.streamed is not None:
            return self.streamed.read(chunk_bytes)
        return _memory_chunks(self._memory, chunk_bytes)

    def read_all(self) -> bytes:
        return b"".join(self.chunks(BLOCK_BYTES))

    def close(self) -> None:
        """Let go of everything. The streamed content is closed (rolled back unless the
        write committed it) by the copying thread, after whatever it is still doing and
        without anyone waiting: this may run on the event loop, which must not wait for
        the database."""
        opening, self._opening = self._opening, None
        streamed, self.streamed = self.streamed, None
        if streamed is not None:
            self._pipeline.in_storing_thread(streamed.close)
        elif opening is not None:
            self._pipeline.in_storing_thread(_close_when_begun, opening)
        self._pipeline.shutdown(wait=False)
        self._block.clear()
        self._waiting.clear()
        if self._fallback is not None:
            self._fallback.close()

    def _start_streaming(self) -> None:
        begin = self._uploads.try_begin()
        if begin is None:
            self._spool_instead()
            return
        self._opening = self._pipeline.in_storing_thread(begin)

    async def _opened(self) -> None:
        assert self._opening is not None
        try:
            self.streamed = await asyncio.wrap_future(self._opening)
        except Exception:
            # The database refused the transaction: spooled as before, the write reports
            # the failure the way it always has.
            self._opening = None
            self._spool_instead()
            return
        first: list[memoryview | bytearray] = [self._memory]
        self._memory = bytearray()
        waiting, self._waiting, self._waiting_bytes = self._waiting, [], 0
        for block in [first, *waiting]:
            self._pipeline.submit(block, functools.partial(self.streamed.write, block))

    def _wait_with_block(self) -> None:
        self._waiting.append(self._block)
        self._waiting_bytes += self._block_bytes
        self._block, self._block_bytes = [], 0

    def _spool_instead(self) -> None:
        memory, self._memory = self._memory, bytearray()
        self._fallback = self._new_spool()
        self._fallback.write(memoryview(memory))
        self._wait_with_block()
        waiting, self._waiting, self._waiting_bytes = self._waiting, [], 0
        for view in (view for block in waiting for view in block):
            self._fallback.write(memoryview(view))

    def _submit_block(self) -> None:
        if not self._block:
            return
        assert self.streamed is not None
        block = self._block
        self._block, self._block_bytes = [], 0
        self._pipeline.submit(block, functools.partial(self.streamed.write, block))


def _close_when_begun(opening: Future[StreamedContent]) -> None:
    """Close what ``opening`` began, if it began anything (run after it, in its thread)."""
    if opening.exception() is None:
        opening.result().close()


def _memory_chunks(memory: bytearray, chunk_bytes: int) -> Iterator[bytes]:
    view = memoryview(memory)
    for offset in range(0, len(view), chunk_bytes):
        yield bytes(view[offset : offset + chunk_bytes])
