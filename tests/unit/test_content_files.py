"""Content files and the lock protocol that keeps them in step with the database rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from taskvars.persistence.content_files import (
    ContentFiles,
    ContentReplacedError,
    TemporaryUploadFile,
    content_directory,
)


@pytest.fixture
def files(tmp_path: Path) -> ContentFiles:
    files = ContentFiles(tmp_path / "db.sqlite-content")
    files.prepare()
    return files


def test_the_directory_sits_beside_the_database_file(tmp_path: Path) -> None:
    assert content_directory(str(tmp_path / "a.db")) == tmp_path / "a.db-content"
    assert content_directory(":memory:") is None
    assert content_directory(None) is None


def test_the_directory_is_made_with_its_name_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each content file's name is synced into the directory (see the spool); the
    directory's own name in its parent is synced when the server prepares it."""
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    files = ContentFiles(tmp_path / "db.sqlite-content")
    files.prepare()
    assert files.directory.is_dir()
    assert synced == [tmp_path.stat().st_ino]


def test_a_released_file_stays_only_when_kept(files: ContentFiles) -> None:
    kept, dropped = files.create(), files.create()
    os.write(kept.fd, b"kept")
    kept.keep()
    kept.release()
    dropped.release()
    assert kept.path.read_bytes() == b"kept"
    assert not dropped.path.exists()
    assert sorted(files.directory.iterdir()) == [kept.path]


def test_sweep_removes_only_files_no_row_names_and_no_writer_holds(files: ContentFiles) -> None:
    referenced, orphan, in_progress = files.create(), files.create(), files.create()
    referenced.keep()
    referenced.release()
    orphan.keep()
    orphan.release()  # as if its process died after writing, before committing
    foreign = files.directory / "notes.txt"
    foreign.write_text("not ours")

    removed = files.sweep({referenced.name})

    assert removed == 1
    assert referenced.path.exists()
    assert not orphan.path.exists()
    assert in_progress.path.exists()  # still locked by its writer
    assert foreign.exists()
    in_progress.release()


def test_a_killed_writers_file_is_swept_and_a_live_ones_is_not(files: ContentFiles) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from taskvars.persistence.content_files import ContentFiles\n"
            "held = ContentFiles(Path(sys.argv[1])).create()\n"
            "print(held.name, flush=True)\n"
            "time.sleep(60)\n",
            str(files.directory),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        name = writer.stdout.readline().strip()
        assert files.sweep(set()) == 0
        assert (files.directory / name).exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    assert files.sweep(set()) == 1
    assert not (files.directory / name).exists()


def test_opening_a_removed_file_tells_the_reader_to_look_again(files: ContentFiles) -> None:
    held = files.create()
    held.keep()
    held.release()
    files.remove([held.name])
    assert files.wait_for_removals(timeout=10)
    with pytest.raises(ContentReplacedError):
        files.open(held.name)


def test_adopts_only_the_files_it_created(files: ContentFiles) -> None:
    held = files.create()
    other = ContentFiles(files.directory)  # the same directory, another owner
    foreign, temporary = other.create(), TemporaryUploadFile()
    assert files.adopts(held)
    assert not files.adopts(foreign)
    assert not files.adopts(temporary)
    for file in (held, foreign, temporary):
        file.release()
