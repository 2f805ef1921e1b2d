"""An attachment's content lives in the variables' binary store, and the tools that keep
that store sound know it: ``taskvars check`` reads it back (and finds it damaged or
missing), ``--repair`` and the startup sweep leave it alone, ``taskvars backup`` copies
it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from taskvars.app import create_app
from taskvars.cli import main
from taskvars.persistence.database import content_files_for
from taskvars.persistence.models import BinaryContent, TaskAttachment
from taskvars.settings import Settings
from tests.api_client import Api
from tests.multipart_bodies import Part

SPOOL_BYTES = 1024
SMALL = b"a small attachment"  # chunk rows on both databases
LARGE = hashlib.sha256(b"large").digest() * 320  # past the spool: a content file on SQLite
SQLITE_ONLY = pytest.mark.parametrize("database_kind", ["sqlite"])


def attach(api: Api, task_id: str, name: str, content: bytes) -> str:
    response = api.post_parts(
        f"/task/{task_id}/attachment/create",
        Part("attachment-name", name, content_type="text/plain"),
        Part("content", content, filename=name),
    )
    assert response.status_code == 200, response.text
    attachment_id: str = response.json()["id"]
    return attachment_id


@pytest.fixture
def stored(db_url: str) -> tuple[str, dict[str, str]]:
    """Task ``t`` with the attachments ``small`` and ``large``; their ids by name."""
    settings = Settings(database_url=db_url, spool_memory_bytes=SPOOL_BYTES)
    with create_app(settings).test_client() as client:
        api = Api(client)
        api.create_task("t")
        ids = {"small": attach(api, "t", "small", SMALL), "large": attach(api, "t", "large", LARGE)}
    return db_url, ids


def check(db_url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["check", "--database-url", db_url, *args])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def content_file(db_url: str, attachment_id: str) -> Path:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        name = connection.scalar(
            select(BinaryContent.file_name)
            .join(TaskAttachment, TaskAttachment.content_pk == BinaryContent.pk)
            .where(TaskAttachment.id == attachment_id)
        )
    engine.dispose()
    files = content_files_for(db_url)
    assert files is not None
    assert name is not None
    return files.directory / name


def downloads(db_url: str, ids: dict[str, str]) -> dict[str, bytes]:
    with create_app(Settings(database_url=db_url)).test_client() as client:
        api = Api(client)
        return {name: api.get(f"/task/t/attachment/{i}/data").content for name, i in ids.items()}


def test_attachments_are_checked_and_repair_leaves_them(
    stored: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, ids = stored
    status, said = check(db_url, capsys, "--repair")
    assert status == 0, said
    assert f"checked 2 binary values ({len(SMALL) + len(LARGE)} bytes): 0 damaged" in said
    assert "0 orphaned" in said
    assert downloads(db_url, ids) == {"small": SMALL, "large": LARGE}


@SQLITE_ONLY
def test_a_damaged_attachment_file_is_found_and_named(
    stored: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, ids = stored
    path = content_file(db_url, ids["large"])
    with path.open("r+b") as file:
        file.seek(100)
        byte = file.read(1)
        file.seek(100)
        file.write(bytes([byte[0] ^ 0x01]))
    status, said = check(db_url, capsys, "--repair")
    assert status == 1
    assert f"corrupt: attachment '{ids['large']}' of task 't'" in said
    assert path.exists()


@SQLITE_ONLY
def test_a_missing_attachment_file_is_found(
    stored: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, ids = stored
    content_file(db_url, ids["large"]).unlink()
    status, said = check(db_url, capsys)
    assert status == 1
    assert f"missing file: attachment '{ids['large']}' of task 't'" in said


@SQLITE_ONLY
def test_the_startup_sweep_keeps_an_attachment_file_after_its_task_is_gone(
    stored: tuple[str, dict[str, str]],
) -> None:
    db_url, ids = stored
    with create_app(Settings(database_url=db_url)).test_client() as client:
        assert client.delete("/engine-rest/task/t").status_code == 204
    # A server starting sweeps unnamed content files; the attachment names its file.
    assert downloads(db_url, ids) == {"small": SMALL, "large": LARGE}
    assert content_file(db_url, ids["large"]).exists()


@SQLITE_ONLY
def test_a_backup_carries_the_attachments(
    stored: tuple[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url, ids = stored
    destination = tmp_path / "backup"
    assert main(["backup", str(destination), "--database-url", db_url]) == 0
    copy = f"sqlite:///{destination / 'taskvars.db'}"
    assert content_file(copy, ids["large"]).read_bytes() == LARGE
    assert check(copy, capsys)[0] == 0
    assert downloads(copy, ids) == {"small": SMALL, "large": LARGE}
