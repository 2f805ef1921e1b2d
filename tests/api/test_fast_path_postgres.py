"""The fast path's small requests on PostgreSQL: one statement each, on the event loop
(taskvars.web.fast_path.postgres_small); what one statement does not cover goes the
full store's way, history included; a database that went away is told alike by both
paths. (That their answers are the full pipeline's: tests/api/test_fast_path.py.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event

from taskvars.app import create_app
from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import SMALL_VALUE_BYTES
from taskvars.settings import Settings
from tests.api.test_fast_path import MULTIPART, answer, pair
from tests.api.test_history import run_invoice
from tests.api_client import Api
from tests.multipart_bodies import Part, multipart_body
from tests.private_postgres import PrivatePostgres, private_postgres

pytestmark = pytest.mark.postgres

BASE = "/engine-rest"
KIB = multipart_body(Part("data", b"x" * 1024, filename="one.bin"))


@pytest.fixture
def client(db_url: str, database_kind: str) -> Iterator[Any]:
    if database_kind != "postgresql":
        pytest.skip("the fast path's own statements are PostgreSQL's")
    settings = Settings(database_url=db_url, no_job_executor=True)
    with create_app(settings, validate_responses=True).test_client() as test_client:
        yield test_client


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Statements run, by where: ``async`` (the fast path's connections) or
    ``sqlalchemy`` (every engine's, those run raw on its connections included)."""
    counted: Counter[str] = Counter()
    execute = psycopg.AsyncConnection.execute

    async def counting_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted["async"] += 1
        return await execute(self, *args, **kwargs)

    def on_statement(_statement: str) -> None:
        counted["sqlalchemy"] += 1

    monkeypatch.setattr(psycopg.AsyncConnection, "execute", counting_execute)
    with engine_statements(monkeypatch, on_statement):
        yield counted


REQUESTS = [
    ("upload, new variable", "POST", "/task/t/localVariables/v/data"),
    ("upload, replacing the value", "POST", "/task/t/localVariables/v/data"),
    ("upload through the task's variables", "POST", "/task/t/variables/v/data"),
    ("upload through the task's variables, new", "POST", "/task/t/variables/w/data"),
    ("download", "GET", "/task/t/localVariables/v/data"),
    ("download through the task's variables", "GET", "/task/t/variables/v/data"),
    ("read", "GET", "/task/t/variables/v"),
    ("download, missing task", "GET", "/task/nobody/variables/v/data"),
]


def test_each_small_request_is_one_statement_in_autocommit(
    client: Any, statements: Counter[str]
) -> None:
    assert client.post(BASE + "/task/create", json={"id": "t"}).status_code == 204
    for name, method, path in REQUESTS:
        statements.clear()
        content = KIB if method == "POST" else None
        headers = MULTIPART if method == "POST" else {}
        answered = client.request(method, BASE + path, content=content, headers=headers)
        assert answered.status_code in (200, 204, 500), (name, answered.text)
        assert statements == Counter({"async": 1}), name


@pytest.fixture
def statement_texts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements SQLAlchemy's engines run (raw ones included)."""
    texts: list[str] = []
    with engine_statements(monkeypatch, texts.append):
        yield texts


@contextmanager
def engine_statements(
    monkeypatch: pytest.MonkeyPatch, on_statement: Callable[[str], None]
) -> Iterator[None]:
    """``on_statement`` told of each statement SQLAlchemy's engines run, through
    SQLAlchemy or raw on its connections (taskvars.persistence.raw_statements)."""
    raw_execute = raw_statements.RawStatement.execute

    def on_raw(statement: raw_statements.RawStatement, *args: Any) -> Any:
        on_statement(statement.sql)
        return raw_execute(statement, *args)

    def on_executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        on_statement(statement)

    monkeypatch.setattr(raw_statements.RawStatement, "execute", on_raw)
    event.listen(Engine, "before_cursor_execute", on_executed)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", on_executed)


@pytest.mark.parametrize("path", ["/task/t/localVariables/v/data", "/task/t/localVariables/v"])
def test_a_large_value_is_looked_up_once(
    client: Any, statements: Counter[str], statement_texts: list[str], path: str
) -> None:
    # Too large to answer from the one statement's row: over 64 KiB for a download, its
    # bytes not in the row (over SMALL_VALUE_BYTES) for a read.
    large = b"x" * (SMALL_VALUE_BYTES + 1)
    assert client.post(BASE + "/task/create", json={"id": "t"}).status_code == 204
    body = multipart_body(Part("data", large, filename="large.bin"))
    assert (
        client.post(
            BASE + path.removesuffix("/data") + "/data", content=body, headers=MULTIPART
        ).status_code
        == 204
    )
    statements.clear()
    statement_texts.clear()
    answered = client.get(BASE + path)
    assert answered.status_code == 200, answered.text
    assert statements["async"] == 1  # the variable, found with its scope
    # ... and the snapshot read that follows reads the bytes, not the variable again.
    assert statement_texts
    assert not [text for text in statement_texts if "scope" in text]


def test_a_task_local_upload_in_a_process_instance_reaches_history(
    client: Any, statements: Counter[str]
) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 5000)  # waits for approval
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    statements.clear()
    uploaded = client.post(
        BASE + f"/task/{task['id']}/localVariables/receipt/data", content=KIB, headers=MULTIPART
    )
    assert uploaded.status_code == 204, uploaded.text
    assert statements["sqlalchemy"] > 0  # the full store's, which history hears
    found = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    receipt = next(variable for variable in found if variable["name"] == "receipt")
    assert receipt["taskId"] == task["id"]
    assert api.get(f"/history/variable-instance/{receipt['id']}/data").content == b"x" * 1024


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    with private_postgres() as started:
        yield started


def test_a_database_gone_away_is_told_alike_by_both_paths(cluster: PrivatePostgres) -> None:
    settings = Settings(database_url=cluster.url, no_job_executor=True)
    for clients in pair(settings):
        fast, full = clients
        assert fast.post(BASE + "/task/create", json={"id": "t"}).status_code == 204
        url = BASE + "/task/t/localVariables/v/data"
        assert fast.post(url, content=KIB, headers=MULTIPART).status_code == 204
        # Connections of both paths are open and pooled when the server goes.
        assert full.get(url).status_code == fast.get(url).status_code == 200
        cluster.stop()
        try:
            for method, path in [
                ("POST", url),
                ("GET", url),
                ("GET", BASE + "/task/t/variables/v"),
            ]:
                content = KIB if method == "POST" else None
                headers = {**(MULTIPART if method == "POST" else {}), "X-Request-Id": "same"}
                fast_answer = answer(fast.request(method, path, content=content, headers=headers))
                full_answer = answer(full.request(method, path, content=content, headers=headers))
                assert fast_answer[0] == 503, fast_answer
                assert fast_answer == full_answer, path
        finally:
            cluster.start()
