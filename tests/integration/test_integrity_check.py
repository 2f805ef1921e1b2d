"""``taskvars check``: every binary value read back and hashed; damage found by flipping
one byte of a real content file and of a real chunk row; orphans listed, and removed by
``--repair``, which never touches a value."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from taskvars.app import create_app
from taskvars.cli import main
from taskvars.persistence import content_files, integrity
from taskvars.persistence.database import content_files_for
from taskvars.persistence.migrate import latest_version
from taskvars.persistence.models import BinaryChunk, BinaryContent, Variable
from taskvars.settings import Settings
from tests.api_client import Api
from tests.content_digests import expected_digest

SPOOL_BYTES = 1024
SMALL = b"small value"  # chunk rows on both databases
LARGE = hashlib.sha256(b"large").digest() * 320  # past the spool: a content file on SQLite
# Content files exist on SQLite only (PostgreSQL keeps every value in chunk rows).
SQLITE_ONLY = pytest.mark.parametrize("database_kind", ["sqlite"])


@pytest.fixture
def stored(db_url: str) -> str:
    """Task ``t`` with ``small`` and ``large``, stored through the API."""
    settings = Settings(database_url=db_url, spool_memory_bytes=SPOOL_BYTES)
    with create_app(settings).test_client() as client:
        api = Api(client)
        api.create_task("t")
        assert api.upload("/task/t/localVariables/small", SMALL).status_code == 204
        assert api.upload("/task/t/localVariables/large", LARGE).status_code == 204
    return db_url


def check(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["check", "--database-url", db_url, *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def content_of(db_url: str, name: str) -> tuple[int, str | None]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        row = connection.execute(
            select(BinaryContent.pk, BinaryContent.file_name)
            .join(Variable, Variable.content_pk == BinaryContent.pk)
            .where(Variable.name == name)
        ).one()
    engine.dispose()
    return row.pk, row.file_name


def flip_a_chunk_byte(db_url: str, content_pk: int) -> None:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        data = connection.scalar(
            select(BinaryChunk.data).where(
                BinaryChunk.content_pk == content_pk, BinaryChunk.seq == 0
            )
        )
        assert data
        connection.execute(
            update(BinaryChunk)
            .where(BinaryChunk.content_pk == content_pk, BinaryChunk.seq == 0)
            .values(data=bytes([data[0] ^ 0xFF]) + data[1:])
        )
    engine.dispose()


def test_an_intact_database_passes(stored: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, said = check(stored, capsys)
    assert status == 0, said
    assert f"checked 2 binary values ({len(SMALL) + len(LARGE)} bytes): 0 damaged" in said


def test_a_flipped_byte_in_a_chunk_row_is_found(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    flip_a_chunk_byte(stored, content_of(stored, "small")[0])
    status, said = check(stored, capsys)
    assert status == 1
    assert "corrupt: variable 'small' of task 't'" in said
    assert "1 damaged or missing" in said


@SQLITE_ONLY
def test_a_flipped_byte_in_a_content_file_is_found_and_not_repaired(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    content_pk, file_name = content_of(stored, "large")
    files = content_files_for(stored)
    assert files is not None
    assert file_name is not None
    with (files.directory / file_name).open("r+b") as file:
        file.seek(1000)
        byte = file.read(1)
        file.seek(1000)
        file.write(bytes([byte[0] ^ 0x01]))
    status, said = check(stored, capsys, "--repair")
    assert status == 1
    assert f"corrupt: variable 'large' of task 't' (content {content_pk}, file {file_name})" in said
    assert (files.directory / file_name).exists()  # --repair removes orphans only


@SQLITE_ONLY
def test_a_missing_content_file_is_found(stored: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, file_name = content_of(stored, "large")
    files = content_files_for(stored)
    assert files is not None
    assert file_name is not None
    (files.directory / file_name).unlink()
    status, said = check(stored, capsys)
    assert status == 1
    assert "missing file: variable 'large' of task 't'" in said


def set_digest(db_url: str, content_pk: int, digest: str) -> None:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(
            update(BinaryContent).where(BinaryContent.pk == content_pk).values(digest=digest)
        )
    engine.dispose()


def test_content_stored_with_a_sha256_before_migration_0021_is_checked_against_it(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    content_pk, _ = content_of(stored, "large")
    set_digest(stored, content_pk, "sha256:" + hashlib.sha256(LARGE).hexdigest())
    status, said = check(stored, capsys)
    assert status == 0, said

    wrong = hashlib.sha256(b"something else").hexdigest()
    set_digest(stored, content_pk, f"sha256:{wrong}")
    status, said = check(stored, capsys)
    assert status == 1
    assert f"with SHA-256 {hashlib.sha256(LARGE).hexdigest()}, stored as" in said
    assert f"bytes with SHA-256 {wrong}" in said


def test_a_digest_of_an_unknown_algorithm_is_reported_as_damage(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    content_pk, _ = content_of(stored, "small")
    set_digest(stored, content_pk, "md5:" + hashlib.md5(SMALL).hexdigest())
    status, said = check(stored, capsys)
    assert status == 1
    assert f"corrupt: variable 'small' of task 't' (content {content_pk}" in said
    assert "names no known algorithm" in said


def test_orphans_are_listed_and_repair_removes_only_them(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(stored.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO binary_content (size, digest) VALUES (3, :digest)"),
            {"digest": expected_digest(b"abc")},
        )
    engine.dispose()
    files = content_files_for(stored)
    orphan_file = None
    if files is not None:
        orphan_file = files.directory / uuid.uuid4().hex
        orphan_file.write_bytes(b"left by a killed writer")

    status, said = check(stored, capsys)
    assert status == 1
    assert "orphaned content: content " in said
    if orphan_file is not None:
        assert f"orphaned file: {orphan_file.name}: 23 bytes that no value names" in said

    status, said = check(stored, capsys, "--repair")
    assert status == 0, said
    assert "removed" in said
    assert check(stored, capsys)[0] == 0
    if orphan_file is not None:
        assert not orphan_file.exists()
    settings = Settings(database_url=stored)
    with create_app(settings).test_client() as client:
        api = Api(client)
        assert api.get("/task/t/localVariables/small/data").content == SMALL
        assert api.get("/task/t/localVariables/large/data").content == LARGE


@SQLITE_ONLY
def test_a_file_on_its_way_out_is_no_orphan_unless_it_was_left_behind(
    stored: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = content_files_for(stored)
    assert files is not None
    marked = files.directory / (uuid.uuid4().hex + content_files.REMOVING_SUFFIX)
    marked.write_bytes(b"a replaced value")  # as a server's remover has it queued

    status, said = check(stored, capsys)
    assert status == 0, said
    assert marked.name not in said

    # Marked longer ago than that, its process stopped before it removed it.
    monkeypatch.setattr(content_files, "STALE_REMOVAL_SECONDS", 0.0)
    status, said = check(stored, capsys)
    assert status == 1
    assert f"orphaned file: {marked.name}: 16 bytes that no value names" in said
    status, said = check(stored, capsys, "--repair")
    assert status == 0, said
    assert not marked.exists()
    assert check(stored, capsys)[0] == 0


def test_a_database_of_another_schema_version_is_refused_and_left_alone(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(stored.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    try:
        status, said = check(stored, capsys, "--repair")
        assert status == 2
        assert said.count("\n") == 1
        assert "schema is version 0005" in said
        assert "run taskvars db upgrade" in said
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :latest"),
                {"latest": latest_version()},
            )
        engine.dispose()


def test_a_missing_sqlite_file_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, said = check(f"sqlite:///{tmp_path / 'none.db'}", capsys)
    assert status == 2
    assert said == f"taskvars: there is no database at {tmp_path / 'none.db'}\n"
    assert list(tmp_path.iterdir()) == []


def test_values_are_read_a_page_at_a_time_and_none_is_missed(
    stored: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(integrity, "_PAGE_ROWS", 1)
    flip_a_chunk_byte(stored, content_of(stored, "small")[0])
    status, said = check(stored, capsys)
    assert status == 1
    assert "checked 2 binary values" in said
    assert "corrupt: variable 'small'" in said


def test_a_database_of_another_program_is_refused_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (text)").connection.close()
    status, said = check(f"sqlite:///{other}", capsys)
    assert status == 2
    assert said == f"taskvars: {other} is not a taskvars database: it has no schema version\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["other.db"]
