"""``taskvars backup`` refuses what it cannot do with one line, exit status 2, and changes
nothing: a destination that exists, is the source, or cannot be written; a PostgreSQL
database (pg_dump's job); a database that is not there."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import pytest

from taskvars.cli import main
from tests.small_disk import small_filesystem


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "live" / "taskvars.db"
    path.parent.mkdir()
    assert main(["db", "upgrade", "--database-url", f"sqlite:///{path}"]) == 0
    return path


def refused(
    capsys: pytest.CaptureFixture[str], database: str, destination: Path, root: Path
) -> str:
    before = sorted(root.rglob("*"))
    capsys.readouterr()
    assert main(["backup", str(destination), "--database-url", database]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert sorted(root.rglob("*")) == before
    return captured.err


def test_a_backup_is_a_new_directory_with_the_database_and_its_content_files(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    destination = tmp_path / "backup"
    assert main(["backup", str(destination), "--database-url", f"sqlite:///{database}"]) == 0
    assert sorted(p.name for p in destination.iterdir()) == ["taskvars.db", "taskvars.db-content"]
    assert f"taskvars serve --database-url sqlite:///{destination}/taskvars.db" in (
        capsys.readouterr().out
    )


def test_an_existing_destination_is_refused(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "there").mkdir()
    said = refused(capsys, f"sqlite:///{database}", tmp_path / "there", tmp_path)
    assert (
        said == f"taskvars: {tmp_path / 'there'} exists; the backup creates its directory itself\n"
    )


@pytest.mark.parametrize("where", ["directory", "content", "inside content"])
def test_the_source_as_destination_is_refused(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    content = database.with_name("taskvars.db-content")
    destination = {
        "directory": database.parent,
        "content": content,
        "inside content": content / "backup",
    }[where]
    said = refused(capsys, f"sqlite:///{database}", destination, tmp_path)
    assert said == f"taskvars: {destination} is where the database being backed up is\n"


def test_a_destination_in_a_missing_directory_is_refused(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = refused(capsys, f"sqlite:///{database}", tmp_path / "no" / "backup", tmp_path)
    assert said == f"taskvars: the directory {tmp_path / 'no'} does not exist\n"


def test_a_destination_that_cannot_be_written_is_refused(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    read_only = tmp_path / "read-only"
    if os.geteuid() == 0:
        # root writes through permission bits: a read-only filesystem stops it.
        with small_filesystem(read_only, 1024 * 1024, read_only=True):
            said = refused(capsys, f"sqlite:///{database}", read_only / "backup", tmp_path)
    else:
        read_only.mkdir(mode=0o500)
        said = refused(capsys, f"sqlite:///{database}", read_only / "backup", tmp_path)
    assert said == f"taskvars: cannot write into {read_only}\n"


def test_postgresql_is_pointed_to_pg_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    said = refused(capsys, url, tmp_path / "backup", tmp_path)
    assert "back it up with pg_dump" in said


def test_a_missing_database_is_refused_and_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    said = refused(capsys, f"sqlite:///{tmp_path / 'none.db'}", tmp_path / "backup", tmp_path)
    assert said == f"taskvars: there is no database at {tmp_path / 'none.db'}\n"


def test_a_database_of_another_program_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE notes (text)").connection.close()
    said = refused(capsys, f"sqlite:///{other}", tmp_path / "backup", tmp_path)
    assert said == f"taskvars: {other} is not a taskvars database: it has no schema version\n"


def test_what_a_killed_backup_left_is_removed_and_a_running_ones_is_not(
    database: Path, tmp_path: Path
) -> None:
    content = database.with_name("taskvars.db-content")
    content.mkdir(exist_ok=True)
    left = content / ".backup-left-by-a-killed-backup"
    left.mkdir()
    running = content / ".backup-of-a-running-backup"
    running.mkdir()
    lock = os.open(running, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        assert main(["backup", str(tmp_path / "b"), "--database-url", f"sqlite:///{database}"]) == 0
        assert not left.exists()
        assert running.exists()
    finally:
        os.close(lock)
