"""At start, the server removes content files that no committed value names."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from taskvars.app import create_app
from taskvars.persistence.content_files import REMOVING_SUFFIX
from taskvars.persistence.database import content_files_for
from taskvars.settings import Settings
from tests.api.test_content_files import LARGE, SPOOL_BYTES, TASK, content_files
from tests.api_client import Api


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sweep.db'}"


def test_start_up_sweeps_files_that_no_value_names(sqlite_url: str) -> None:
    files = content_files_for(sqlite_url)
    assert files is not None
    files.prepare()
    orphan = files.create()
    orphan.keep()
    orphan.release()  # as a process killed before its commit leaves it
    # As a process that stopped before it removed a replaced value's file leaves it.
    marked = files.directory / (uuid.uuid4().hex + REMOVING_SUFFIX)
    marked.write_bytes(b"replaced")
    app = create_app(Settings(database_url=sqlite_url, spool_memory_bytes=SPOOL_BYTES))
    with app.test_client() as client:
        api = Api(client)
        api.create_task("t1")
        assert api.upload(TASK + "/kept", LARGE).status_code == 204
    assert not orphan.path.exists()
    assert not marked.exists()
    kept = content_files(sqlite_url)
    app = create_app(Settings(database_url=sqlite_url))
    with app.test_client() as client:
        assert Api(client).get(TASK + "/kept/data").content == LARGE
    assert content_files(sqlite_url) == kept
