"""The upload spool: memory first, then a file written and hashed off the event loop."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from taskvars import hashed_blocks
from taskvars.persistence.content_files import ContentFiles, LockedContentFile, TemporaryUploadFile
from taskvars.web import spool as spool_module
from taskvars.web.aligned_blocks import BlockShelf
from taskvars.web.spool import MAX_IN_FLIGHT_BYTES, Spool

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
    assert spool.sha256 == hashlib.sha256(b"abcdef").hexdigest()
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
    assert spool.sha256 == hashlib.sha256(data).hexdigest()
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


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize(
    "length",
    [MIB + 1, spool_module.ALIGNED_BLOCK_BYTES, 2 * spool_module.ALIGNED_BLOCK_BYTES + 4097],
)
def test_a_content_file_holds_every_byte_whether_written_around_the_page_cache_or_through_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: bool, length: int
) -> None:
    """Content files go out in page-aligned blocks by O_DIRECT, their unaligned tail
    through the page cache; where O_DIRECT is refused, all through the page cache."""
    if not direct:
        monkeypatch.setattr(spool_module, "open_direct", lambda file: None)
    data = hashlib.sha256(b"direct").digest() * (length // 32 + 1)
    data = data[:length]
    pieces = [data[i : i + 65536 + 3] for i in range(0, len(data), 65536 + 3)]
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    spool = Spool(MIB, files.create)
    fill(spool, pieces)
    assert (spool._direct_fd is not None) == (direct and _direct_writes_allowed(tmp_path))
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    assert spool.sha256 == hashlib.sha256(data).hexdigest()
    assert spool.size == length
    spool.close()


def _direct_writes_allowed(directory: Path) -> bool:
    probe = directory / "probe"
    probe.write_bytes(b"")
    try:
        fd = os.open(probe, os.O_WRONLY | getattr(os, "O_DIRECT", 0))
    except OSError:
        return False
    os.close(fd)
    return hasattr(os, "O_DIRECT")


def test_a_later_upload_writes_from_the_aligned_blocks_an_earlier_one_gave_back(
    tmp_path: Path,
) -> None:
    """Mapping and faulting in fresh blocks for every upload cost the event loop about
    15 ms per upload; blocks go back to a shelf when a spool closes, and no upload takes
    more than the shelf keeps, so that uploads one after another map no new memory."""
    if not _direct_writes_allowed(tmp_path):
        pytest.skip("no O_DIRECT here: no aligned blocks")
    shelf = BlockShelf(spool_module.ALIGNED_BLOCK_BYTES, keep=spool_module.ALIGNED_BLOCKS_KEPT)
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    given_back: set[int] = set()
    for seed in (b"first", b"second"):
        data = hashlib.sha256(seed).digest() * (24 * MIB // 32)
        pieces: list[bytes | bytearray] = [data[i : i + MIB] for i in range(0, len(data), MIB)]
        spool = Spool(MIB, files.create, aligned_blocks=shelf)
        fill(spool, pieces)
        taken = {id(block) for block in spool._taken}
        assert len(taken) <= spool_module.ALIGNED_BLOCKS_KEPT
        if given_back:
            assert taken <= given_back
        assert spool.path is not None
        assert spool.path.read_bytes() == data
        assert spool.sha256 == hashlib.sha256(data).hexdigest()
        spool.close()
        assert shelf.waiting == len(taken)
        given_back = taken


def test_a_content_file_is_synced_while_its_last_block_is_still_being_hashed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync waits for the writes only: hashing, the slower of the two threads, goes
    on meanwhile, instead of the sync starting once the event loop has seen both done."""
    if not _direct_writes_allowed(tmp_path):
        pytest.skip("through the page cache the block goes out before finish: no last block")
    synced = threading.Event()
    hashed_while_syncing: list[bool] = []
    real_hash, real_sync = hashed_blocks._hash, LockedContentFile.sync

    def slow_last_hash(digest: Any, block: Any) -> None:
        if finishing.is_set():  # the last block: held until the file is synced
            hashed_while_syncing.append(synced.wait(timeout=2))
        real_hash(digest, block)

    def sync(file: LockedContentFile) -> None:
        real_sync(file)
        synced.set()

    finishing = threading.Event()
    monkeypatch.setattr(hashed_blocks, "_hash", slow_last_hash)
    monkeypatch.setattr(LockedContentFile, "sync", sync)
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    data = hashlib.sha256(b"overlap").digest() * (3 * MIB // 32)
    spool = Spool(MIB, files.create)

    async def run() -> None:
        spool.write(memoryview(data))
        await spool.drain()
        finishing.set()
        await spool.finish()

    asyncio.run(run())
    assert hashed_while_syncing == [True]
    assert spool.path is not None
    assert spool.path.read_bytes() == data
    assert spool.sha256 == hashlib.sha256(data).hexdigest()
    spool.close()
