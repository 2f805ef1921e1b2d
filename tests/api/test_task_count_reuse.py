"""``GET /task/count`` repeated on unchanged data is answered without counting again,
and a write through each of the server's write paths makes it count again: the fast
path's small upload, a full unit of work. (An engine step, other connections' commits,
rolled-back writes: tests/integration/test_task_count_reuse.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.app import create_app
from taskvars.persistence import tasks as task_store
from taskvars.settings import Settings
from taskvars.web.fast_path import served_count
from tests.api_client import Api
from tests.databases import SessionDatabase
from tests.private_postgres import quiet_session_database

COUNT = "/task/count"
MATCHING = {"taskVariables": "v_eq_x"}


@pytest.fixture(scope="module")
def postgresql_session_database() -> Iterator[SessionDatabase]:
    """PostgreSQL: a cluster of these tests' own. A snapshot is the whole cluster's: on
    the shared server, other tests' commits would make counts count again at random."""
    with quiet_session_database() as database:
        yield database


@pytest.fixture
def client(db_url: str) -> Iterator[Any]:
    """An app of these tests' own (the shared one would outlive the private cluster)."""
    settings = Settings(database_url=db_url, no_job_executor=True)
    with create_app(settings, validate_responses=True).test_client() as test_client:
        yield test_client


@pytest.fixture
def counts_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry each time a count statement is taken, which it is only to count."""
    built: list[int] = []
    build = task_store.task_count

    def counted(*args: Any) -> Any:
        built.append(1)
        return build(*args)

    monkeypatch.setattr(task_store, "task_count", counted)
    return built


@pytest.fixture
def task_with_x(api: Api) -> Api:
    api.create_task("t")
    set_x(api)
    return api


def set_x(api: Api) -> None:
    response = api.client.put(api.url("/task/t/localVariables/v"), json={"value": "x"})
    assert response.status_code == 204, response.text


def counted(api: Api) -> int:
    response = api.get(COUNT, **MATCHING)
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


def test_a_repeated_count_is_counted_once(task_with_x: Api, counts_built: list[int]) -> None:
    assert [counted(task_with_x) for _ in range(3)] == [1, 1, 1]
    assert len(counts_built) == 1


def test_a_fast_path_upload_makes_the_next_count_count_again(
    task_with_x: Api, counts_built: list[int]
) -> None:
    api = task_with_x
    assert [counted(api), counted(api)] == [1, 1]
    served = served_count("setBinaryTaskLocalVariable")
    assert api.upload("/task/t/localVariables/v", b"bytes now").status_code == 204
    assert served_count("setBinaryTaskLocalVariable") == served + 1
    assert counted(api) == 0
    assert len(counts_built) == 2


def test_a_full_unit_of_work_makes_the_next_count_count_again(
    task_with_x: Api, counts_built: list[int]
) -> None:
    api = task_with_x
    response = api.client.put(api.url("/task/t/localVariables/v"), json={"value": "y"})
    assert response.status_code == 204, response.text
    assert [counted(api), counted(api)] == [0, 0]
    set_x(api)
    assert counted(api) == 1
    assert len(counts_built) == 2
