"""Large values: content files beside an SQLite database, chunk rows on PostgreSQL, and
no file or row left behind by a replace, a delete or a failed write."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from taskvars.persistence.database import content_files_for
from taskvars.persistence.models import BinaryChunk, BinaryContent
from taskvars.persistence.unit_of_work import Database
from taskvars.settings import Settings
from tests.api_client import Api
from tests.content_digests import expected_digest

SPOOL_BYTES = 1024
LARGE = hashlib.sha256(b"large").digest() * 320  # 10 KiB: past the spool's memory part
OTHER = hashlib.sha256(b"other").digest() * 400
TASK = "/task/t1/localVariables"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, spool_memory_bytes=SPOOL_BYTES)


@pytest.fixture(autouse=True)
def task(api: Api) -> None:
    api.create_task("t1")


def content_files(db_url: str) -> list[Path]:
    """The content files on disk once the removals of replaced values are over."""
    files = content_files_for(db_url)
    if files is None:
        return []
    assert files.wait_for_removals(timeout=10)
    return sorted(files.directory.iterdir())


def stored_rows(db_url: str) -> tuple[int, int]:
    """(binary_content rows, binary_chunk rows)."""
    database = Database(db_url)
    try:
        with database.engine.connect() as connection:
            contents = connection.scalar(select(func.count()).select_from(BinaryContent))
            chunks = connection.scalar(select(func.count()).select_from(BinaryChunk))
        return contents or 0, chunks or 0
    finally:
        database.dispose()


def test_a_large_value_is_one_file_on_sqlite_and_chunk_rows_on_postgresql(
    api: Api, db_url: str, database_kind: str
) -> None:
    assert api.upload(TASK + "/doc", LARGE, value_type="File", filename="d.bin").status_code == 204

    assert api.get(TASK + "/doc/data").content == LARGE
    if database_kind == "sqlite":
        [file] = content_files(db_url)
        assert file.read_bytes() == LARGE
        assert stored_rows(db_url) == (1, 0)
    else:
        assert content_files(db_url) == []
        assert stored_rows(db_url)[1] >= 1


def test_ranges_and_json_answers_read_content_files(api: Api) -> None:
    api.upload(TASK + "/blob", LARGE)
    response = api.client.get(api.url(TASK + "/blob/data"), headers={"Range": "bytes=1000-2999"})
    assert response.status_code == 206
    assert response.content == LARGE[1000:3000]
    value = api.get(TASK + "/blob").json()["value"]
    assert base64.b64decode(value) == LARGE
    listed = api.get(TASK).json()["blob"]["value"]
    assert base64.b64decode(listed) == LARGE


def on_sqlite(database_kind: str, files: list[bytes]) -> list[bytes]:
    """The content files expected: ``files`` on SQLite, none on PostgreSQL."""
    return files if database_kind == "sqlite" else []


def test_replacing_a_value_removes_the_old_file(api: Api, db_url: str, database_kind: str) -> None:
    api.upload(TASK + "/doc", LARGE)
    api.upload(TASK + "/doc", OTHER)
    assert api.get(TASK + "/doc/data").content == OTHER
    assert [f.read_bytes() for f in content_files(db_url)] == on_sqlite(database_kind, [OTHER])
    assert stored_rows(db_url)[0] == 1


def test_replacing_with_a_small_value_removes_the_file(api: Api, db_url: str) -> None:
    api.upload(TASK + "/doc", LARGE)
    api.upload(TASK + "/doc", b"small")
    assert api.get(TASK + "/doc/data").content == b"small"
    assert content_files(db_url) == []


def test_deleting_the_variable_or_the_task_removes_files(
    api: Api, db_url: str, database_kind: str
) -> None:
    api.upload(TASK + "/one", LARGE)
    api.upload(TASK + "/two", OTHER)
    assert api.client.delete(api.url(TASK + "/one")).status_code == 204
    assert [f.read_bytes() for f in content_files(db_url)] == on_sqlite(database_kind, [OTHER])
    assert api.client.delete(api.url("/task/t1")).status_code == 204
    assert content_files(db_url) == []
    assert stored_rows(db_url) == (0, 0)


def test_a_refused_upload_leaves_no_file(api: Api, db_url: str) -> None:
    response = api.upload("/task/missing/localVariables/doc", LARGE)
    assert response.status_code == 500
    response = api.upload(TASK + "/doc", LARGE, value_type="File")  # File needs a filename
    assert response.status_code == 400
    assert content_files(db_url) == []
    assert stored_rows(db_url) == (0, 0)


@pytest.mark.parametrize("size", [len(b"small"), len(LARGE)], ids=["chunk rows", "past the spool"])
def test_a_download_is_tagged_with_the_xxh3_digest_of_its_content(api: Api, size: int) -> None:
    data = LARGE[:size]
    assert api.upload(TASK + "/doc", data).status_code == 204
    download = api.get(TASK + "/doc/data")
    assert download.content == data
    assert download.headers["etag"] == f'"{expected_digest(data)}"'
    again = api.client.get(
        api.url(TASK + "/doc/data"), headers={"If-None-Match": download.headers["etag"]}
    )
    assert again.status_code == 304


def test_content_stored_with_a_sha256_keeps_it_as_its_etag(api: Api, db_url: str) -> None:
    assert api.upload(TASK + "/doc", LARGE).status_code == 204
    legacy = "sha256:" + hashlib.sha256(LARGE).hexdigest()  # as migration 0021 left it
    database = Database(db_url)
    try:
        with database.engine.begin() as connection:
            connection.execute(update(BinaryContent).values(digest=legacy))
    finally:
        database.dispose()
    download = api.get(TASK + "/doc/data")
    assert download.content == LARGE
    assert download.headers["etag"] == f'"{legacy}"'
    again = api.client.get(api.url(TASK + "/doc/data"), headers={"If-None-Match": f'"{legacy}"'})
    assert again.status_code == 304
