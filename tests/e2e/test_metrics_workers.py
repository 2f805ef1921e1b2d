"""Metrics with --workers 2: whichever process answers a scrape, it counts every
process's requests (prometheus-client's multiprocess mode), from a directory emptied
at start."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, running_server
from tests.metrics_text import samples, value
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = pytest.mark.e2e

REQUESTS = "taskvars_requests_total"


@pytest.fixture(scope="module")
def metrics_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("metrics")
    # What a killed earlier run would have left: its counts must not be added to ours.
    (directory / "counter_999999.db").write_bytes(b"\0" * 4096)
    return directory


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, metrics_directory: Path) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("workers")
    with running_server(
        f"sqlite:///{directory / 'db'}",
        directory,
        "--workers",
        "2",
        env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_directory)},
    ) as server:
        yield server


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    # A new connection each time, so that scrapes land on either process.
    response = httpx.get(f"{server.base_url}/metrics", headers={"Connection": "close"})
    assert response.status_code == 200
    return samples(response.text)


def processes_that_counted(metrics_directory: Path) -> set[str]:
    return {path.stem.rpartition("_")[2] for path in metrics_directory.glob("counter_*.db")}


def test_every_scrape_counts_the_requests_of_both_processes(
    server: Server, metrics_directory: Path
) -> None:
    assert not (metrics_directory / "counter_999999.db").exists()
    sent = 0
    deadline = time.monotonic() + 30
    # Until both processes have answered some: the kernel hands connections to either.
    while len(processes_that_counted(metrics_directory)) < 2 or sent < 20:
        assert time.monotonic() < deadline, "one process never got a request"
        response = httpx.get(f"{server.base_url}/task/none", headers={"Connection": "close"})
        assert response.status_code == 404
        sent += 1
    totals = {value(scrape(server), REQUESTS, operation="getTask", status="404") for _ in range(12)}
    assert totals == {sent}


def test_an_upload_in_progress_is_counted_until_it_ends(server: Server) -> None:
    assert httpx.post(f"{server.base_url}/task/create", json={"id": "slow"}).status_code == 204
    body = multipart_body(Part("data", b"x" * 1000))
    host, port = server.base_url.removeprefix("http://").split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as upload:
        upload.sendall(
            b"POST /engine-rest/task/slow/variables/big/data HTTP/1.1\r\n"
            + f"Host: {host}\r\nContent-Type: {content_type()}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:500]
        )
        deadline = time.monotonic() + 10
        while value(scrape(server), "taskvars_uploads_in_progress") != 1:
            assert time.monotonic() < deadline, "the upload never showed as in progress"
            time.sleep(0.05)
        upload.sendall(body[500:])
        assert upload.recv(4096).startswith(b"HTTP/1.1 204")
    assert value(scrape(server), "taskvars_uploads_in_progress") == 0
    stored = scrape(server)
    assert value(stored, "taskvars_stored_binary_values") == 1
    assert value(stored, "taskvars_stored_binary_bytes") == 1000
