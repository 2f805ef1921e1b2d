"""Small uploads racing for one task's own variable through two server processes on
PostgreSQL (one statement each, in autocommit, on the fast path): each answers 204 or
409, every 204 is one version of the variable, the value left is one that was
acknowledged, and no replaced content is left behind."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

WRITERS_PER_SERVER = 3
UPLOADS_PER_WRITER = 25
URL = "/task/t/localVariables/raced/data"


@pytest.fixture
def servers(db_url: str, database_kind: str, tmp_path: Path) -> Iterator[list[Server]]:
    if database_kind != "postgresql":
        pytest.skip("two server processes over one database: PostgreSQL")
    with ExitStack() as stack:
        yield [
            stack.enter_context(running_server(db_url, tmp_path, "--no-job-executor"))
            for _ in range(2)
        ]


def value(writer: int, number: int) -> bytes:
    return f"{writer}-{number}:".encode() * 100


def upload_all(
    server: Server,
    writer: int,
    start: threading.Barrier,
    answers: Counter[int],
    acknowledged: set[bytes],
    lock: threading.Lock,
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        start.wait()
        for number in range(UPLOADS_PER_WRITER):
            content = value(writer, number)
            body = multipart_body(Part("data", content, filename="v.bin"))
            answer = client.post(URL, content=body, headers={"Content-Type": content_type()})
            with lock:
                answers[answer.status_code] += 1
                if answer.status_code == 204:
                    acknowledged.add(content)
                else:
                    assert answer.json()["type"] == "OptimisticLockingException", answer.text


def test_racing_small_uploads_leave_one_acknowledged_version_and_no_stray_content(
    servers: list[Server], db_url: str
) -> None:
    first = httpx.Client(base_url=servers[0].base_url, timeout=60)
    assert first.post("/task/create", json={"id": "t"}).status_code == 204
    answers: Counter[int] = Counter()
    acknowledged: set[bytes] = set()
    lock = threading.Lock()
    writers = [
        (server, index * WRITERS_PER_SERVER + n)
        for index, server in enumerate(servers)
        for n in range(WRITERS_PER_SERVER)
    ]
    start = threading.Barrier(len(writers))
    threads = [
        threading.Thread(
            target=upload_all, args=(server, writer, start, answers, acknowledged, lock)
        )
        for server, writer in writers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert set(answers) <= {204, 409}, answers
    assert answers[204] >= 1
    assert first.get(URL).content in acknowledged
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            revision = connection.scalar(text("SELECT revision FROM variable WHERE name = 'raced'"))
            contents = connection.scalar(text("SELECT count(*) FROM binary_content"))
            chunks = connection.scalar(text("SELECT count(*) FROM binary_chunk"))
    finally:
        engine.dispose()
    # Created once, then replaced by every other acknowledged upload, by nothing else.
    assert revision == answers[204]
    assert (contents, chunks) == (1, 1)
    first.close()
