"""Content files of replaced values are removed by a thread of their own, after the
answer, and a clean stop waits for them."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from taskvars.app import create_app
from taskvars.persistence.content_files import ContentFiles
from taskvars.persistence.database import content_files_for
from taskvars.persistence.file_removal import FileRemover, remover_for
from taskvars.persistence.unit_of_work import Database
from taskvars.settings import Settings
from tests.api_client import Api

LARGE = bytes(range(256)) * 64  # 16 KiB: past the spool, a content file


def test_files_handed_to_the_remover_are_gone_once_it_is_waited_for(tmp_path: Path) -> None:
    paths = [tmp_path / f"file-{n}" for n in range(20)]
    for path in paths:
        path.write_bytes(b"x" * 1000)
    remover = FileRemover()
    remover.remove(paths[:10])
    remover.remove(paths[10:])
    assert remover.wait(timeout=10)
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_removed_is_logged_and_the_others_still_go(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "a-directory"  # unlink refuses a directory (EISDIR)
    directory.mkdir()
    after = tmp_path / "after"
    after.write_bytes(b"x")
    remover = FileRemover()
    with caplog.at_level(logging.WARNING, logger="taskvars.persistence.file_removal"):
        remover.remove([directory, after])
        assert remover.wait(timeout=10)
    assert not after.exists()
    assert directory.exists()
    assert f"could not remove the content file {directory}" in caplog.text


def test_the_remover_runs_again_after_it_went_idle(tmp_path: Path) -> None:
    remover = FileRemover()
    for n in range(3):
        path = tmp_path / f"round-{n}"
        path.write_bytes(b"x")
        remover.remove([path])
        assert remover.wait(timeout=10)
        assert not path.exists()


def test_every_object_of_a_directory_shares_its_remover(tmp_path: Path) -> None:
    assert remover_for(tmp_path / "content") is remover_for(tmp_path / "content")
    assert remover_for(tmp_path / "content") is not remover_for(tmp_path / "other")


def test_replacing_a_value_leaves_only_the_last_values_content_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'removal.db'}"
    settings = Settings(database_url=url, spool_memory_bytes=1024)
    with create_app(settings).test_client() as client:
        api = Api(client)
        api.create_task("t")
        for version in range(5):
            data = LARGE + bytes([version])
            assert api.upload("/task/t/localVariables/doc", data).status_code == 204
    # The earlier values' files went to the remover; the waiting of a clean stop is
    # proven by the disposal test below, where the removal takes long enough to see.
    files = content_files_for(url)
    assert files is not None
    [kept] = files.directory.iterdir()
    assert kept.read_bytes() == LARGE + bytes([4])


def write_synced(path: Path, mebibytes: int) -> None:
    """A file whose blocks take ext4 a while to free (about 12 ms for 64 MiB)."""
    with path.open("wb") as file:
        for _ in range(mebibytes):
            file.write(bytes(1024 * 1024))
        file.flush()
        os.fsync(file.fileno())


def test_a_file_handed_over_for_removal_is_no_orphan_while_it_waits(tmp_path: Path) -> None:
    """What ``taskvars check`` and the sweep see: a file queued behind a large one."""
    files = ContentFiles(tmp_path / "content")
    files.prepare()
    large, small = files.directory / ("0" * 32), files.directory / ("1" * 32)
    write_synced(large, 64)
    small.write_bytes(b"replaced")
    files.remove([large.name, small.name])
    assert files.unclaimed(set()) == {}
    assert files.names() == set()
    assert files.wait_for_removals(timeout=10)
    assert list(files.directory.iterdir()) == []


def test_disposing_of_the_database_waits_for_the_removals_pending(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'dispose.db'}")
    files = database.content_files
    assert files is not None
    files.prepare()
    large = files.directory / ("0" * 32)
    write_synced(large, 64)
    files.remove([large.name])
    database.dispose()
    assert not large.exists()
