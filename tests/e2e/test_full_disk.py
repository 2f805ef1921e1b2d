"""Uploads that run out of space: on a real, small filesystem (a size-limited tmpfs, not
an injected fault), filled to the last byte. The content file, the upload spool and the
SQLite database each fill up in turn; every such write is a 507 in Camunda's JSON, leaves
nothing behind, and once space is freed the same server stores and serves again."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api_client import Api
from tests.databases import postgres_server_url, private_schema
from tests.e2e.server import running_server
from tests.small_disk import fill, small_filesystem

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
DISK_BYTES = 48 * MIB
OUT_OF_SPACE = "The server is out of disk space; nothing was stored. Retry once space is freed"


def content(name: str, size: int) -> bytes:
    return hashlib.sha256(name.encode()).digest() * (size // 32)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "disk", DISK_BYTES) as mount_point:
        yield mount_point


def upload(api: Api, name: str, size: int) -> httpx.Response:
    return api.upload(f"/task/t/localVariables/{name}", content(name, size))


def assert_out_of_space(response: httpx.Response) -> None:
    assert response.status_code == 507, response.text
    assert response.json() == {"type": "RestException", "message": OUT_OF_SPACE, "code": None}


def assert_stored(api: Api, name: str, size: int) -> None:
    stored = api.get(f"/task/t/localVariables/{name}/data")
    assert stored.status_code == 200, stored.text
    assert stored.content == content(name, size)


def test_on_a_full_disk_sqlite_uploads_answer_507_keep_nothing_and_work_once_space_is_freed(
    disk: Path, tmp_path: Path
) -> None:
    content_directory = disk / "taskvars.db-content"
    with (
        running_server(f"sqlite:///{disk}/taskvars.db", tmp_path) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        api = Api(client, base="")
        api.create_task("t")
        assert upload(api, "before", 2 * MIB).status_code == 204  # a content file
        assert upload(api, "small", 100 * 1024).status_code == 204  # chunk rows
        files_before = set(content_directory.iterdir())
        wal = disk / "taskvars.db-wal"
        # An empty WAL, whatever the migrations and writes so far left in it: the next
        # write into the database must grow it (and so meet the full disk).
        checkpoint = sqlite3.connect(disk / "taskvars.db")
        try:
            busy, _, _ = checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            checkpoint.close()
        assert busy == 0, "a reader kept the WAL from being emptied"
        filler = fill(disk)

        # Larger than the spool's memory: written into a new content file as it arrives.
        assert_out_of_space(upload(api, "large", 8 * MIB))
        # Kept in memory, then written into the database, whose WAL must grow for it.
        assert wal.stat().st_size < MIB, "the WAL has room for the write: it would not fail"
        assert_out_of_space(upload(api, "rows", MIB))
        assert set(content_directory.iterdir()) == files_before
        assert api.get("/task/t/localVariables/large").status_code == 404
        assert api.get("/task/t/localVariables/rows").status_code == 404
        assert_stored(api, "before", 2 * MIB)
        assert_stored(api, "small", 100 * 1024)

        filler.unlink()
        assert client.get("/health").status_code == 200
        assert upload(api, "large", 8 * MIB).status_code == 204
        assert upload(api, "rows", MIB).status_code == 204
        for name, size in [("large", 8 * MIB), ("rows", MIB), ("before", 2 * MIB)]:
            assert_stored(api, name, size)
        assert "unexpected error" not in server.log.read_text()


@pytest.mark.postgres
def test_on_a_full_spool_disk_postgres_uploads_stream_into_the_database_and_are_stored(
    disk: Path, tmp_path: Path
) -> None:
    # On PostgreSQL an upload past 1 MiB is copied into the database as it arrives
    # (persistence/postgres_upload.py): it needs no temporary file (TMPDIR), whose disk is
    # full here. (Only past four such uploads at once does one wait in a file.)
    with (
        private_schema(postgres_server_url()) as database_url,
        running_server(database_url, tmp_path, env={"TMPDIR": str(disk)}) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
    ):
        api = Api(client, base="")
        api.create_task("t")
        filler = fill(disk)
        assert upload(api, "large", 8 * MIB).status_code == 204
        assert list(disk.iterdir()) == [filler]  # nothing was spooled
        assert_stored(api, "large", 8 * MIB)
