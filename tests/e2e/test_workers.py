"""``taskvars serve --workers N``: several processes serving one database."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e


def test_two_workers_serve_the_same_data(db_url: str, tmp_path: Path) -> None:
    with running_server(db_url, tmp_path, "--workers", "2") as server:
        deadline = time.monotonic() + 20
        workers: list[psutil.Process] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = psutil.Process(server.process.pid).children(recursive=True)
            time.sleep(0.2)
        assert len([w for w in workers if "python" in w.name().lower()]) >= 2

        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            client.post("/task/create", json={"id": "shared"}).raise_for_status()

            def write_and_read(index: int) -> bytes:
                content = f"value {index}".encode()
                with httpx.Client(base_url=server.base_url, timeout=30) as own:
                    own.post(
                        f"/task/shared/localVariables/v{index}/data", files={"data": ("v", content)}
                    ).raise_for_status()
                    return own.get(f"/task/shared/localVariables/v{index}/data").content

            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(write_and_read, range(40)))
            assert results == [f"value {i}".encode() for i in range(40)]
            assert len(client.get("/task/shared/localVariables").json()) == 40
