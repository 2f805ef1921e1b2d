"""A ``data`` part copied into PostgreSQL as it arrives (persistence.postgres_upload):
stored whole in the write's transaction, or not at all; and only so many at a time."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from taskvars.persistence.content_files import TemporaryUploadFile
from taskvars.persistence.models import BinaryChunk, BinaryContent
from taskvars.persistence.postgres_upload import CopySpool, StreamedUploads
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
