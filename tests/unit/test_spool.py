"""The upload spool: memory first, then a file written and hashed off the event loop."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import threading
from pathlib import Path

import pytest

from taskvars.persistence.content_files import ContentFiles, LockedContentFile, TemporaryUploadFile
from taskvars.web import spool as spool_module
from taskvars.web.spool import FLUSH_BYTES, MAX_IN_FLIGHT_BYTES, Spool
from tests.content_digests import expected_digest

MIB = 1024 * 1024


def fill(spool: Spool, pieces: list[bytes | bytearray]) -> None:
    async def run() -> None:
        for piece in pieces:
            spool.write(memoryview(piece))
            await spool.drain()
            assert spool._pipeline.in_flight_bytes <= MAX_IN_FLIGHT_BYTES
        await spool.finish()

    asyncio.run(run())


def test_small_content_stays_in_memory() -> None:
    spool = Spool(1024, TemporaryUploadFile)
    fill(spool, [b"abc", b"def"])
    assert spool.path is None
    assert spool.size == 6
    assert spool.digest == expected_digest(b"abcdef")
    assert list(spool.chunks(4)) == [b"abcd", b"ef"]
    spool.close()


@pytest.mark.parametrize("piece_bytes", [1, 4096, 65536, 3 * MIB + 7])
def test_large_content_reaches_the_file_whole_and_hashed(piece_bytes: int) -> None:
    data = hashlib.sha256(b"seed").digest() * (20 * MIB // 32 + 5)
    if piece_bytes == 1:
        data = data[: 2 * MIB + 3]  # a byte at a time: the copying path, kept short
    pieces = [data[i : i + piece_bytes] for i in range(0, len(data), piece_bytes)]
    spool = Spool(MIB, TemporaryUploadFile)
    fill(spool, pieces)
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    assert spool.size == len(data)
    assert spool.digest == expected_digest(data)
    assert b"".join(spool.chunks(MIB)) == data
    spool.close()
    assert not spool.path.exists()


def test_mutable_buffers_are_copied_not_shared() -> None:
    buffer = bytearray(b"x" * (2 * MIB))
    spool = Spool(1024, TemporaryUploadFile)

    async def run() -> None:
        spool.write(memoryview(buffer))
        buffer[:] = b"y" * len(buffer)  # the caller reuses its buffer
        await spool.finish()

    asyncio.run(run())
    assert spool.read_all() == b"x" * (2 * MIB)
    spool.close()


def test_kept_content_file_outlives_the_spool(tmp_path: Path) -> None:
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    spool = Spool(16, files.create)
    fill(spool, [b"0123456789" * 10])
    assert spool.path is not None
    assert spool.file is not None
    assert files.adopts(spool.file)
    spool.file.keep()
    spool.close()
    assert spool.path.read_bytes() == b"0123456789" * 10


def test_an_abandoned_spool_removes_its_file() -> None:
    spool = Spool(16, TemporaryUploadFile)
    spool.write(memoryview(b"z" * (3 * MIB)))  # no finish: the body broke off
    assert spool.path is not None
    spool.close()
    assert not spool.path.exists()


def test_partial_vectored_writes_continue_where_they_stopped() -> None:
    block: list[memoryview | bytearray] = [memoryview(b"abc"), bytearray(b"defg"), memoryview(b"h")]
    rest = spool_module._after(block, 5)
    assert b"".join(bytes(piece) for piece in rest) == b"fgh"
    assert spool_module._after(block, 8) == []


@pytest.mark.parametrize("durable", [True, False])
def test_only_a_file_that_becomes_the_value_is_synced_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, durable: bool
) -> None:
    """A content file must be on disk before its row commits, and so must the directory
    entry naming it (a new file's name is lost in a power cut until its directory is
    synced); a staging file for PostgreSQL is read back at once by COPY, from the page
    cache, and never synced."""
    synced: list[int] = []
    synced_directories: list[int] = []
    real_fdatasync, real_fsync = spool_module.os.fdatasync, spool_module.os.fsync

    def recording_fdatasync(fd: int) -> None:
        synced.append(fd)
        real_fdatasync(fd)

    def recording_fsync(fd: int) -> None:
        synced_directories.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(spool_module.os, "fdatasync", recording_fdatasync)
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    monkeypatch.setattr(spool_module.os, "fsync", recording_fsync)
    spool = Spool(16, files.create if durable else TemporaryUploadFile)
    fill(spool, [b"z" * (2 * MIB)])
    assert spool.file is not None
    assert synced == ([spool.file.fd] if durable else [])
    assert synced_directories == ([files.directory.stat().st_ino] if durable else [])
    spool.close()


@pytest.fixture
def flushed_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of the file at each of the spool's ``fdatasync`` calls, in order."""
    sizes: list[int] = []
    real_fdatasync = spool_module.os.fdatasync

    def recording_fdatasync(fd: int) -> None:
        sizes.append(os.fstat(fd).st_size)
        real_fdatasync(fd)

    monkeypatch.setattr(spool_module.os, "fdatasync", recording_fdatasync)
    return sizes


def test_a_large_content_file_is_flushed_while_it_is_written_and_again_at_the_end(
    tmp_path: Path, flushed_sizes: list[int]
) -> None:
    """Flushed only after the last byte, the disk took as long again as the transfer;
    flushed every FLUSH_BYTES beside the writes, the final sync has the last stretch
    left. The final one still comes after every write."""
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    data = hashlib.sha256(b"flushed").digest() * (5 * FLUSH_BYTES // 32)
    spool = Spool(MIB, files.create)
    fill(spool, [data[i : i + MIB] for i in range(0, len(data), MIB)])
    assert len(flushed_sizes) >= 2
    assert flushed_sizes[0] >= FLUSH_BYTES
    assert flushed_sizes[-1] == len(data)
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    spool.close()


def test_an_early_flush_that_failed_fails_the_upload_though_the_final_one_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linux reports a write-back error once per open file: the flush that saw it is
    the only one to know, and the final sync may succeed although data was lost."""
    real_fdatasync = spool_module.os.fdatasync
    failed_early: list[int] = []
    final_flushes: list[int] = []

    def failing_once_early(fd: int) -> None:
        # The first early flush (in its own thread) sees the error; every other succeeds.
        early = threading.current_thread().name.startswith("taskvars-flush")
        if early and not failed_early:
            failed_early.append(os.fstat(fd).st_size)
            raise OSError(errno.EIO, "Input/output error")
        real_fdatasync(fd)
        if not early:
            final_flushes.append(os.fstat(fd).st_size)

    monkeypatch.setattr(spool_module.os, "fdatasync", failing_once_early)
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    data = b"x" * (3 * FLUSH_BYTES)
    spool = Spool(MIB, files.create)
    with pytest.raises(OSError, match="Input/output error"):
        fill(spool, [data[i : i + MIB] for i in range(0, len(data), MIB)])
    assert len(failed_early) == 1
    assert final_flushes == [len(data)]  # the final sync succeeded: it alone would not tell
    path = spool.path
    spool.close()
    assert path is not None
    assert not path.exists()


def test_a_content_file_is_synced_by_the_storing_thread_right_after_its_last_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync is queued behind the last write in the thread that writes, instead of
    starting once the event loop has seen every block done."""
    syncs: list[tuple[str, int]] = []
    real_sync = LockedContentFile.sync

    def sync(file: LockedContentFile) -> None:
        syncs.append((threading.current_thread().name, os.fstat(file.fd).st_size))
        real_sync(file)

    monkeypatch.setattr(LockedContentFile, "sync", sync)
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    data = hashlib.sha256(b"overlap").digest() * (3 * MIB // 32) + b"last block"
    spool = Spool(MIB, files.create)

    async def run() -> None:
        spool.write(memoryview(data[: 3 * MIB]))
        spool.write(memoryview(data[3 * MIB :]))  # kept until finish: the last block
        await spool.drain()
        await spool.finish()

    asyncio.run(run())
    [(thread, size)] = syncs
    assert thread.startswith("taskvars-spool")
    assert size == len(data)
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    assert spool.digest == expected_digest(data)
    spool.close()


@pytest.mark.parametrize("piece_bytes", [4096, 65536 + 3, 3 * MIB + 7])
def test_a_spool_that_writes_through_stores_each_write_before_the_buffer_is_reused(
    tmp_path: Path, flushed_sizes: list[int], piece_bytes: int
) -> None:
    """As a thread reading a body from the socket feeds it: each write a view of one
    buffer that the next read overwrites, no drain between writes. The content file is
    still flushed while it is written, and synced at the end."""
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    data = os.urandom(2 * FLUSH_BYTES + 12345)
    spool = Spool(MIB, files.create, write_through=True)
    buffer = bytearray(piece_bytes)

    async def run() -> None:
        for start in range(0, len(data), piece_bytes):
            piece = data[start : start + piece_bytes]
            buffer[: len(piece)] = piece
            spool.write(memoryview(buffer)[: len(piece)])
            buffer[:] = bytes(len(buffer))
            assert spool._pipeline.in_flight_bytes == 0
        await spool.finish()

    asyncio.run(run())
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    assert (spool.size, spool.digest) == (len(data), expected_digest(data))
    assert flushed_sizes[0] >= FLUSH_BYTES
    assert flushed_sizes[-1] == len(data)
    spool.close()
