"""The fast path's small uploads on SQLite: raw statements on the writer thread, no unit
of work (taskvars.web.fast_path.sqlite_small); what they do not cover runs as the full
store's work in the same write, history included. (That their answers are the full
pipeline's: tests/api/test_fast_path.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.app import create_app
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.settings import Settings
from tests.api.test_fast_path import MULTIPART
from tests.api.test_history import run_invoice
from tests.api_client import Api
from tests.multipart_bodies import Part, multipart_body

BASE = "/engine-rest"
KIB = multipart_body(Part("data", b"x" * 1024, filename="one.bin"))


@pytest.fixture
def client(db_url: str, database_kind: str) -> Iterator[Any]:
    if database_kind != "sqlite":
        pytest.skip("the raw writes run on SQLite's writer thread")
    settings = Settings(database_url=db_url, no_job_executor=True)
    with create_app(settings, validate_responses=True).test_client() as test_client:
        yield test_client


@pytest.fixture
def units_of_work(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every write unit of work opened (``True``) and read one (``False``)."""
    opened: list[bool] = []
    init = UnitOfWork.__init__

    def counted(self: UnitOfWork, *args: Any, **kwargs: Any) -> None:
        opened.append(bool(kwargs.get("write")))
        init(self, *args, **kwargs)

    monkeypatch.setattr(UnitOfWork, "__init__", counted)
    return opened


UPLOADS = [
    ("new task-local variable", "/task/t/localVariables/v/data"),
    ("replacing the task-local value", "/task/t/localVariables/v/data"),
    ("through the task's variables", "/task/t/variables/v/data"),
    ("through the task's variables, new", "/task/t/variables/w/data"),
]


def test_a_small_upload_to_a_task_opens_no_unit_of_work(
    client: Any, units_of_work: list[bool]
) -> None:
    assert client.post(BASE + "/task/create", json={"id": "t"}).status_code == 204
    for name, path in UPLOADS:
        units_of_work.clear()
        uploaded = client.post(BASE + path, content=KIB, headers=MULTIPART)
        assert uploaded.status_code == 204, (name, uploaded.text)
        assert True not in units_of_work, name
        assert client.get(BASE + path).content == b"x" * 1024, name


def test_an_upload_through_a_subtask_reaches_its_parents_variable(client: Any) -> None:
    assert client.post(BASE + "/task/create", json={"id": "t"}).status_code == 204
    subtask = {"id": "sub", "parentTaskId": "t"}
    assert client.post(BASE + "/task/create", json=subtask).status_code == 204
    url = BASE + "/task/{}/{}/v/data"
    assert client.post(url.format("t", "localVariables"), content=KIB, headers=MULTIPART)
    other = multipart_body(Part("data", b"other", filename="other.bin"))
    uploaded = client.post(url.format("sub", "variables"), content=other, headers=MULTIPART)
    assert uploaded.status_code == 204, uploaded.text
    assert client.get(url.format("t", "localVariables")).content == b"other"
    assert client.get(url.format("sub", "localVariables")).status_code == 404


def test_a_task_local_upload_in_a_process_instance_reaches_history(
    client: Any, units_of_work: list[bool]
) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 5000)  # waits for approval
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    units_of_work.clear()
    uploaded = client.post(
        BASE + f"/task/{task['id']}/localVariables/receipt/data", content=KIB, headers=MULTIPART
    )
    assert uploaded.status_code == 204, uploaded.text
    assert units_of_work.count(True) == 1  # the full store's, which history hears
    found = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    receipt = next(variable for variable in found if variable["name"] == "receipt")
    assert receipt["taskId"] == task["id"]
    assert api.get(f"/history/variable-instance/{receipt['id']}/data").content == b"x" * 1024
