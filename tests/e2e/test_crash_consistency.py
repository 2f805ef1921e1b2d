"""kill -9 in the middle of uploads and modifications, then a restart on the same
database: the previous value is intact or the new one is whole, never a part of one, no
orphaned content remains, and the server serves."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.server import Server, running_server
from tests.e2e.test_concurrent_writers import orphans
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
NO_ORPHANS = {
    "content rows without a variable": 0,
    "chunks without content": 0,
    "files without a row": 0,
    "rows without a file": 0,
}
# Seconds after the whole body was sent: before, during and after the server stores it.
KILL_DELAYS = [0.0, 0.05, 0.15, 0.3, 0.6]


def value(seed: str, size: int) -> bytes:
    return hashlib.sha256(seed.encode()).digest() * (size // 32)


@contextmanager
def serving(db_url: str, directory: Path) -> Iterator[tuple[Server, httpx.Client]]:
    with (
        running_server(db_url, directory) as server,
        httpx.Client(base_url=server.base_url, timeout=120) as client,
    ):
        yield server, client


def send_without_waiting(
    server: Server, method: str, path: str, body: bytes, ctype: str, *, only: int | None = None
) -> socket.socket:
    """Send the request (its head and the first ``only`` bytes of ``body``, or all of it)
    and leave the connection open without reading the answer."""
    url = urlsplit(server.base_url)
    connection = socket.create_connection((url.hostname, url.port), timeout=30)
    head = (
        f"{method} {url.path}{path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    connection.sendall(head.encode() + body[:only])
    return connection


def store_first(client: httpx.Client, content: bytes) -> None:
    """Task ``t`` with ``content`` in its local variable ``v``."""
    assert client.post("/task/create", json={"id": "t"}).status_code == 204
    body = multipart_body(Part("data", content))
    headers = {"Content-Type": content_type()}
    assert (
        client.post("/task/t/localVariables/v/data", content=body, headers=headers).status_code
        == 204
    )


def kill(server: Server) -> None:
    server.process.kill()  # SIGKILL: no cleanup of any kind
    server.process.wait()


def test_killed_in_the_middle_of_a_large_upload_the_previous_value_is_intact(
    db_url: str, tmp_path: Path
) -> None:
    previous = value("previous", 3 * MIB)
    with serving(db_url, tmp_path) as (server, client):
        store_first(client, previous)
        body = multipart_body(Part("data", value("new", 64 * MIB)))
        path = "/task/t/localVariables/v/data"
        with send_without_waiting(server, "POST", path, body, content_type(), only=len(body) // 2):
            time.sleep(0.5)  # half of it is in the server's spool
            kill(server)
    with serving(db_url, tmp_path) as (_, client):
        assert client.get("/task/t/localVariables/v/data").content == previous
        assert client.get("/health").status_code == 200
    assert orphans(db_url) == NO_ORPHANS


def test_killed_while_storing_an_upload_one_whole_value_survives(
    db_url: str, tmp_path: Path
) -> None:
    current = value("first", 3 * MIB)
    with serving(db_url, tmp_path) as (_, client):
        store_first(client, current)
    outcomes = []
    for attempt, delay in enumerate(KILL_DELAYS):
        new = value(f"attempt {attempt}", 24 * MIB)
        with serving(db_url, tmp_path) as (server, _):
            body = multipart_body(Part("data", new))
            with send_without_waiting(
                server, "POST", "/task/t/localVariables/v/data", body, content_type()
            ):
                time.sleep(delay)
                kill(server)
        with serving(db_url, tmp_path) as (_, client):
            stored = client.get("/task/t/localVariables/v/data").content
            assert client.get("/health").status_code == 200
        assert stored in (current, new), f"attempt {attempt}: a partial value"
        outcomes.append("new" if stored == new else "previous")
        current = stored
        assert orphans(db_url) == NO_ORPHANS, f"attempt {attempt}"
    print(f"kills while storing: {outcomes}")


def test_killed_during_a_modification_it_applies_all_or_nothing(
    db_url: str, tmp_path: Path
) -> None:
    names = [f"v{n}" for n in range(300)]
    with serving(db_url, tmp_path) as (_, client):
        assert client.post("/task/create", json={"id": "t"}).status_code == 204
        before = {name: {"value": "before", "type": "String"} for name in names}
        assert (
            client.post("/task/t/localVariables", json={"modifications": before}).status_code == 204
        )
    outcomes = []
    for attempt, delay in enumerate(KILL_DELAYS):
        text = f"after {attempt}"
        modifications = {name: {"value": "x" * 1000 + text, "type": "String"} for name in names[1:]}
        payload = {"modifications": modifications, "deletions": ["v0"] if attempt % 2 == 0 else []}
        raw = json.dumps(payload).encode()
        with (
            serving(db_url, tmp_path) as (server, _),
            send_without_waiting(server, "POST", "/task/t/localVariables", raw, "application/json"),
        ):
            time.sleep(delay)
            kill(server)
        with serving(db_url, tmp_path) as (_, client):
            stored = client.get("/task/t/localVariables").json()
        values = {stored[name]["value"] for name in names[1:]}
        assert len(values) == 1, f"attempt {attempt}: a modification half applied"
        applied = values == {"x" * 1000 + text}
        if applied and attempt % 2 == 0:
            assert "v0" not in stored
        outcomes.append("applied" if applied else "not applied")
    print(f"kills during modifications: {outcomes}")


def test_killed_during_a_complete_the_process_instance_is_before_or_after_that_step(
    db_url: str, tmp_path: Path
) -> None:
    """The variables, the tasks and executions, and the engine's state of a process
    instance change in one transaction: after a kill -9 mid-``complete`` the instance is
    where it was (both review tasks, none of the variables) or one step on (the legal
    branch ended, every variable written), and runs on to its end either way."""
    model = (Path(__file__).parents[1] / "bpmn" / "parallel-review.bpmn").read_bytes()
    names = [f"finding{n}" for n in range(200)]
    with serving(db_url, tmp_path) as (_, client):
        deployed = client.post(
            "/deployment/create",
            content=multipart_body(Part("data", model, filename="parallel-review.bpmn")),
            headers={"Content-Type": content_type()},
        )
        assert deployed.status_code == 200, deployed.text
    outcomes = []
    for delay in KILL_DELAYS:
        with serving(db_url, tmp_path) as (_, client):
            started = client.post("/process-definition/key/parallelReview/start", json={})
            instance_id = started.json()["id"]
            tasks = {
                t["taskDefinitionKey"]: t
                for t in client.get(f"/task?processInstanceId={instance_id}").json()
            }
        variables = {name: {"value": "y" * 1000, "type": "String"} for name in names}
        raw = json.dumps({"variables": variables}).encode()
        legal = tasks["legalReview"]["id"]
        with (
            serving(db_url, tmp_path) as (server, _),
            send_without_waiting(
                server, "POST", f"/task/{legal}/complete", raw, "application/json"
            ),
        ):
            time.sleep(delay)
            kill(server)
        with serving(db_url, tmp_path) as (_, client):
            left = {
                t["taskDefinitionKey"]
                for t in client.get(f"/task?processInstanceId={instance_id}").json()
            }
            stored = client.get(f"/process-instance/{instance_id}/variables").json()
            if left == {"legalReview", "financeReview"}:
                assert stored == {}, "the step did not happen, but variables of it stayed"
                outcomes.append("before")
                assert client.post(f"/task/{legal}/complete", json={}).status_code == 204
            else:
                assert left == {"financeReview"}, f"between two steps: {left}"
                assert set(stored) == set(names), "the step happened without all its variables"
                outcomes.append("after")
            (finance,) = client.get(f"/task?processInstanceId={instance_id}").json()
            assert client.post(f"/task/{finance['id']}/complete", json={}).status_code == 204
            (decide,) = client.get(f"/task?processInstanceId={instance_id}").json()
            assert decide["taskDefinitionKey"] == "decide"
            assert client.post(f"/task/{decide['id']}/complete", json={}).status_code == 204
            assert client.get(f"/process-instance/{instance_id}").status_code == 404
    print(f"kills during completes: {outcomes}")


def test_every_write_acknowledged_before_a_kill_is_there_after_it(
    db_url: str, tmp_path: Path
) -> None:
    """Eight clients upload small values as fast as they are answered, sharing commits
    (SQLite's writer thread, PostgreSQL's group commit); kill -9 in the middle: every
    upload answered 204 is stored whole after the restart."""
    clients = 8
    acknowledged: list[list[tuple[str, bytes]]] = [[] for _ in range(clients)]
    stop = threading.Event()
    with serving(db_url, tmp_path) as (server, client):
        for c in range(clients):
            assert client.post("/task/create", json={"id": f"t{c}"}).status_code == 204

        def upload_until_killed(c: int) -> None:
            with httpx.Client(base_url=server.base_url, timeout=30) as own:
                n = 0
                while not stop.is_set():
                    content = value(f"{c}-{n}", 1024)
                    path = f"/task/t{c}/localVariables/v{n}/data"
                    try:
                        answer = own.post(
                            path,
                            content=multipart_body(Part("data", content)),
                            headers={"Content-Type": content_type()},
                        )
                    except httpx.TransportError:
                        return  # killed: this one was never acknowledged
                    assert answer.status_code == 204, answer.text
                    acknowledged[c].append((f"v{n}", content))
                    n += 1

        threads = [threading.Thread(target=upload_until_killed, args=(c,)) for c in range(clients)]
        for thread in threads:
            thread.start()
        wait_for(lambda: sum(len(a) for a in acknowledged) >= 200)
        kill(server)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    with serving(db_url, tmp_path) as (_, client):
        for c in range(clients):
            for name, content in acknowledged[c]:
                stored = client.get(f"/task/t{c}/localVariables/{name}/data")
                assert stored.status_code == 200, f"t{c} {name}: acknowledged, then lost"
                assert stored.content == content
    assert orphans(db_url) == NO_ORPHANS


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
