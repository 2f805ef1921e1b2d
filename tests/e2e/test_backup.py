"""``taskvars backup`` while a server takes writes that add, replace and delete values
(so content files come and go during the backup): every backup is consistent, checked
here independently of taskvars (each value's digest recomputed from the copied file or
rows, every named file present, no file unnamed), and serves as it is."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.content_digests import expected_digest
from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = pytest.mark.e2e

WRITERS = 4
BACKUPS = 3
# A content file past the spool's 1 MiB, and chunk rows.
SIZES = [2 * 1024 * 1024, 8 * 1024]


def write_until(stop: threading.Event, server: Server, writer: int, writes: list[int]) -> None:
    """Replace a few values over and over, deleting one now and then."""
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        number = 0
        while not stop.is_set():
            name = f"w{writer}-{number % 5}"
            path = f"/task/t/localVariables/{name}"
            if number % 7 == 6:
                response = client.delete(path)
            else:
                data = hashlib.sha256(f"{name}/{number}".encode()).digest()
                body = multipart_body(Part("data", data * (SIZES[number % 2] // 32)))
                response = client.post(
                    f"{path}/data", content=body, headers={"Content-Type": content_type()}
                )
            assert response.status_code == 204, response.text
            number += 1
        writes.append(number)


def take_backup(database: Path, destination: Path) -> None:
    taken = subprocess.run(
        [
            sys.executable,
            "-m",
            "taskvars",
            "backup",
            str(destination),
            "--database-url",
            f"sqlite:///{database}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.returncode == 0, taken.stderr
    assert f"backed up {destination / database.name} with" in taken.stdout


def run_check(database: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "taskvars", "check", "--database-url", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def verify(database: Path) -> dict[str, str]:
    """Every value of the backup at ``database`` whole; returns their digests by name."""
    content = database.with_name(database.name + "-content")
    connection = sqlite3.connect(database)
    try:
        rows = connection.execute(
            "SELECT c.pk, c.size, c.digest, c.file_name, v.name FROM binary_content c "
            "JOIN variable v ON v.content_pk = c.pk"
        ).fetchall()
        named = set()
        for pk, size, digest, file_name, name in rows:
            if file_name is not None:
                named.add(file_name)
                data = (content / file_name).read_bytes()
            else:
                chunks = connection.execute(
                    "SELECT data FROM binary_chunk WHERE content_pk = ? ORDER BY seq", (pk,)
                )
                data = b"".join(chunk for (chunk,) in chunks)
            assert (len(data), expected_digest(data)) == (size, digest), name
        assert {path.name for path in content.iterdir()} == named
        assert named, "no content file in the backup: the test would prove little"
        return {name: digest for _, _, digest, _, name in rows}
    finally:
        connection.close()


def test_backups_taken_under_concurrent_writers_are_whole_and_serve_as_they_are(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live"
    live.mkdir()
    database = live / "taskvars.db"
    backups = [tmp_path / f"backup-{n}" for n in range(BACKUPS)]
    with running_server(f"sqlite:///{database}", tmp_path) as server:
        assert httpx.post(f"{server.base_url}/task/create", json={"id": "t"}).status_code == 204
        stop, writes = threading.Event(), []
        threads = [
            threading.Thread(target=write_until, args=(stop, server, n, writes))
            for n in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        try:
            for destination in backups:
                threading.Event().wait(0.5)
                take_backup(database, destination)
            # The integrity check, too, runs beside writers without false alarms.
            live_check = run_check(database)
            assert live_check.returncode == 0, live_check.stdout + live_check.stderr
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert len(writes) == WRITERS, "a writer failed"
    print(f"{sum(writes)} writes during {BACKUPS} backups")

    for destination in backups:
        verify(destination / database.name)
        checked = run_check(destination / database.name)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    last = backups[-1] / database.name
    expected = verify(last)
    with running_server(f"sqlite:///{last}", tmp_path) as server:
        for name, digest in expected.items():
            served = httpx.get(f"{server.base_url}/task/t/localVariables/{name}/data")
            assert served.status_code == 200
            assert expected_digest(served.content) == digest
