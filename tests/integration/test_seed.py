"""``taskvars seed FILE`` on a real database: all of a file, or nothing of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from taskvars.cli import main
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import TaskCriteria

SCENARIO = {
    "processInstances": [
        {
            "id": "pi-1",
            "variables": {"customer": {"type": "String", "value": "ACME"}},
            "executions": [{"id": "ex-1"}],
            "tasks": [{"id": "t-1", "name": "Approve", "executionId": "ex-1"}],
        }
    ],
    "tasks": [{"id": "solo", "name": "Tidy up"}, {"id": "sub", "parentTaskId": "solo"}],
}

YAML_SCENARIO = """\
processInstances:
  - id: pi-y
    tasks: [{id: t-y, name: From YAML}]
tasks:
  - {id: solo-y, assignee: ann}
"""


def task_ids(db_url: str) -> set[str]:
    database = Database(db_url)
    try:
        with database.unit_of_work(write=False) as uow:
            return {task.id for task in uow.store.tasks.query(TaskCriteria())}
    finally:
        database.dispose()


def seed(db_url: str, path: Path) -> int:
    return main(["seed", str(path), "--database-url", db_url])


def test_json_scenario_is_loaded(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(SCENARIO))
    assert seed(db_url, path) == 0
    assert "loaded 1 process instances and 2 standalone tasks" in capsys.readouterr().out
    assert task_ids(db_url) == {"t-1", "solo", "sub"}
    database = Database(db_url)
    try:
        with database.unit_of_work(write=False) as uow:
            chain = uow.store.scopes.chain(IdSpace.TASK, "t-1")
            assert uow.store.variables.visible(chain, "customer") is not None
    finally:
        database.dispose()


def test_yaml_scenario_is_loaded(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(YAML_SCENARIO)
    assert seed(db_url, path) == 0
    assert task_ids(db_url) == {"t-y", "solo-y"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.json", "{not json", "bad.json: not valid JSON: "),
        ("bad.yaml", "tasks: [unclosed", "bad.yaml: not valid YAML: "),
        (
            "wrong.json",
            json.dumps({"tasks": [{"id": "a"}, {"priority": "high"}]}),
            "wrong.json: tasks[1].priority: 'high' is not of type 'integer'",
        ),
        (
            "extra.json",
            json.dumps({"users": []}),
            "extra.json: document: Additional properties are not allowed",
        ),
        (
            "dup.json",
            json.dumps({"tasks": [{"id": "a"}, {"id": "a"}]}),
            "dup.json: tasks[1]: Cannot create task: a task with id a already exists",
        ),
        (
            "orphan.json",
            json.dumps({"processInstances": [{"id": "p", "tasks": [{"executionId": "nowhere"}]}]}),
            "orphan.json: processInstances[0]: Cannot create process instance: task ",
        ),
    ],
)
def test_bad_file_is_refused_with_path_and_reason_and_loads_nothing(
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert seed(db_url, path) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"taskvars: {tmp_path}/{message}")
    assert task_ids(db_url) == set()


def test_missing_file_is_refused(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert seed(db_url, tmp_path / "absent.json") == 2
    assert "absent.json: cannot read it" in capsys.readouterr().err


def test_candidates_owner_and_delegation_in_a_scenario_are_loaded(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(
        "processInstances:\n"
        "  - id: pi-p\n"
        "    tasks: [{id: t-p, owner: olga, delegationState: PENDING,"
        " candidateUsers: [bob], candidateGroups: [sales]}]\n"
        "tasks:\n"
        "  - {id: solo-p, tenantId: acme, candidateGroups: [audit]}\n"
    )
    assert seed(db_url, path) == 0
    database = Database(db_url)
    try:
        with database.unit_of_work(write=False) as uow:
            task = uow.store.tasks.get("t-p")
            assert task is not None
            assert (task.owner, task.delegation_state) == ("olga", "PENDING")
            links = {
                task_id: [
                    (link.type, link.user_id, link.group_id)
                    for link in uow.store.tasks.identity_links(
                        uow.store.scopes.pk(IdSpace.TASK, task_id) or 0
                    )
                ]
                for task_id in ("t-p", "solo-p")
            }
    finally:
        database.dispose()
    assert links == {
        "t-p": [("candidate", "bob", None), ("candidate", None, "sales")],
        "solo-p": [("candidate", None, "audit")],
    }
