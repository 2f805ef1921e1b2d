"""A ``data`` part copied into PostgreSQL as it arrives (persistence.postgres_upload):
stored whole in the write's transaction, or not at all; and only so many at a time."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.pool import NullPool

from taskvars.persistence.content_files import TemporaryUploadFile
from taskvars.persistence.models import BinaryChunk, BinaryContent
from taskvars.persistence.postgres_upload import (
    BLOCK_BYTES,
    MAX_IN_FLIGHT_BYTES,
    STREAM_FROM_BYTES,
    CopySpool,
    StreamedContent,
    StreamedUploads,
)
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import BinarySource
from taskvars.web.spool import Spool
from tests.content_digests import expected_digest

pytestmark = pytest.mark.postgres

MIB = 1024 * 1024
PAYLOAD = hashlib.sha256(b"streamed").digest() * (3 * MIB // 32) + b"tail"


@pytest.fixture
def database_kind() -> str:
    return "postgresql"


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


class HeldOpening(StreamedUploads):
    """Streamed uploads whose transaction begins only once ``release`` is set: a
    database slow to hand out a connection."""

    def __init__(self, engine: Engine, chunk_bytes: int) -> None:
        super().__init__(engine, chunk_bytes)
        self.release = threading.Event()

    def try_begin(self) -> Callable[[], StreamedContent] | None:
        begin = super().try_begin()
        if begin is None:
            return None

        def held() -> StreamedContent:
            assert self.release.wait(30)
            return begin()

        return held


def rows(database: Database) -> tuple[int, int]:
    with database.engine.connect() as connection:
        contents = connection.scalar(select(func.count()).select_from(BinaryContent))
        chunks = connection.scalar(select(func.count()).select_from(BinaryChunk))
    return int(contents or 0), int(chunks or 0)


def new_spool() -> Spool:
    return Spool(MIB, lambda: pytest.fail("the spool was not expected to need a file"))


def spool_into_file() -> Spool:
    return Spool(MIB, TemporaryUploadFile)


async def received(sink: CopySpool, payload: bytes) -> None:
    """``payload`` fed as a body's part arrives, in 64 KiB pieces."""
    for offset in range(0, len(payload), 64 * 1024):
        sink.write(memoryview(payload[offset : offset + 64 * 1024]))
        await sink.drain()
    await sink.finish()


def store(database: Database, sink: CopySpool) -> int:
    """The content in a write joining the sink's transaction; its content pk."""
    source = BinarySource(sink.chunks, sink.size, sink.digest, streamed=sink.streamed)

    def write(uow: UnitOfWork) -> int:
        pk = uow.store.contents.write(source)
        uow.commit()
        return pk

    return database.write(write, streamed=sink.streamed)


def test_a_streamed_part_is_stored_by_the_write_that_joins_it(database: Database) -> None:
    assert database.streamed_uploads is not None
    before = rows(database)
    sink = database.streamed_uploads.part_sink(new_spool)
    try:
        asyncio.run(received(sink, PAYLOAD))
        assert sink.streamed is not None
        assert rows(database) == before  # not committed yet
        content_pk = store(database, sink)
    finally:
        sink.close()
    with database.engine.connect() as connection:
        size, digest = connection.execute(
            select(BinaryContent.size, BinaryContent.digest).where(BinaryContent.pk == content_pk)
        ).one()
        data = connection.scalars(
            select(BinaryChunk.data)
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
        ).all()
    assert (size, digest) == (len(PAYLOAD), expected_digest(PAYLOAD))
    assert [len(chunk) for chunk in data] == [MIB, MIB, MIB, 4]
    assert b"".join(data) == PAYLOAD


def test_a_streamed_part_nobody_stores_is_rolled_back(database: Database) -> None:
    assert database.streamed_uploads is not None
    before = rows(database)
    sink = database.streamed_uploads.part_sink(new_spool)
    asyncio.run(received(sink, PAYLOAD))
    assert sink.streamed is not None
    assert sink.read_all() == PAYLOAD  # a serialized object's content is read back
    sink.close()
    assert rows(database) == before


def test_past_its_slots_a_part_is_spooled_as_before(database: Database) -> None:
    uploads = StreamedUploads(database.engine, database.chunk_bytes, slots=1)
    first, second = uploads.part_sink(new_spool), uploads.part_sink(spool_into_file)
    try:
        asyncio.run(received(first, PAYLOAD))
        asyncio.run(received(second, PAYLOAD))
        assert first.streamed is not None
        assert second.streamed is None
        assert second.file is not None
        assert second.digest == expected_digest(PAYLOAD)
        assert second.read_all() == PAYLOAD
    finally:
        first.close()
        second.close()


def test_a_small_part_stays_in_memory(database: Database) -> None:
    assert database.streamed_uploads is not None
    before = rows(database)
    sink = database.streamed_uploads.part_sink(new_spool)
    try:
        asyncio.run(received(sink, b"small" * 1000))
        assert sink.streamed is None
        assert sink.file is None
        assert sink.read_all() == b"small" * 1000
    finally:
        sink.close()
    assert rows(database) == before


def test_disposing_of_the_database_waits_for_a_streamed_content_to_give_its_connection_back(
    db_url: str,
) -> None:
    """Its copying thread closes a content after the request let go of it; a connection
    checked in to an already disposed pool would stay open until collected."""
    database = Database(db_url)
    assert database.streamed_uploads is not None
    begin = database.streamed_uploads.try_begin()
    assert begin is not None
    content = begin()
    closing = threading.Timer(0.3, content.close)
    closing.start()
    try:
        database.dispose()
        assert content.connection.closed
    finally:
        closing.join()


def pieces_of(payload: bytes) -> list[bytes]:
    """``payload`` as a socket hands it over: mostly 64 KiB reads, here and there a tiny
    one (those are gathered into copies, the others kept as they are)."""
    pieces, offset, turn = [], 0, 0
    while offset < len(payload):
        size = 100 if turn % 7 == 3 else 64 * 1024
        pieces.append(payload[offset : offset + size])
        offset += size
        turn += 1
    return pieces


async def received_while_held(
    sink: CopySpool, pieces: list[bytes], release: threading.Event
) -> int:
    """Feed ``pieces`` until a drain holds them back, then let the transaction begin;
    the bytes taken before the drain held."""
    held_at = 0
    for piece in pieces:
        sink.write(memoryview(piece))
        drain = asyncio.ensure_future(sink.drain())
        done, _ = await asyncio.wait([drain], timeout=0.2)
        if not done:
            held_at = sink.size
            release.set()
            await drain
    await sink.finish()
    return held_at


LARGE_PAYLOAD = hashlib.sha256(b"held").digest() * (12 * MIB // 32) + b"tail"


def test_what_arrives_while_the_transaction_begins_waits_uncopied_bounded_and_in_order(
    database: Database,
) -> None:
    uploads = HeldOpening(database.engine, database.chunk_bytes)
    sink = uploads.part_sink(new_spool)
    try:
        pieces = pieces_of(LARGE_PAYLOAD)
        tracemalloc.start()
        try:
            held_at = asyncio.run(received_while_held(sink, pieces, uploads.release))
            allocated = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert held_at > MAX_IN_FLIGHT_BYTES
        assert held_at <= STREAM_FROM_BYTES + MAX_IN_FLIGHT_BYTES + 2 * BLOCK_BYTES
        # What waited was the received pieces themselves, not a copy of them: gathered
        # into one growing buffer, they cost another 8 MiB and more (about 12 in all).
        assert allocated < MAX_IN_FLIGHT_BYTES, allocated
        assert sink.streamed is not None
        assert sink.digest == expected_digest(LARGE_PAYLOAD)
        content_pk = store(database, sink)
    finally:
        sink.close()
    with database.engine.connect() as connection:
        data = connection.scalars(
            select(BinaryChunk.data)
            .where(BinaryChunk.content_pk == content_pk)
            .order_by(BinaryChunk.seq)
        ).all()
    assert [len(chunk) for chunk in data] == [MIB] * 12 + [4]
    assert b"".join(data) == LARGE_PAYLOAD


def test_a_transaction_that_cannot_begin_spools_what_waited_for_it_in_order(
    database: Database,
) -> None:
    unreachable = create_engine(
        database.engine.url.set(database="taskvars_no_such_database"), poolclass=NullPool
    )
    uploads = HeldOpening(unreachable, database.chunk_bytes)
    sink = uploads.part_sink(spool_into_file)
    try:
        asyncio.run(received_while_held(sink, pieces_of(LARGE_PAYLOAD), uploads.release))
        assert sink.streamed is None
        assert sink.file is not None
        assert sink.size == len(LARGE_PAYLOAD)
        assert sink.digest == expected_digest(LARGE_PAYLOAD)
        assert sink.read_all() == LARGE_PAYLOAD
    finally:
        sink.close()
        unreachable.dispose()
