"""The hot operations, as the handlers run them (one service call in one unit of work),
on a standalone task ``t`` whose 1 KiB ``Bytes`` value ``blob`` and String ``text``
exist already, as in the benchmarks: shared by the statement-count tests and the CPU
measurement (``python -m tests.hot_path_cpu``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import BinarySource, NewValue
from taskvars.services import tasks, variables
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.variables import TASK_LOCAL_VARIABLES, TASK_VARIABLES

TASK = "t"
KIB = b"x" * 1024


@dataclass(frozen=True)
class Operation:
    name: str
    # Run once before each measured call (e.g. the task a complete removes).
    prepare: Callable[[Database], None]
    run: Callable[[Database], object]


def _nothing(_database: Database) -> None:
    return None


def upload(database: Database) -> None:
    value = BinaryUpload(NewValue(type="Bytes", content=BinarySource.of_bytes(KIB)))
    database.write(
        lambda uow: variables.set_upload(uow, TASK_LOCAL_VARIABLES, TASK, "blob", value),
        content_bytes=len(KIB),
    )


def upload_seen(database: Database) -> None:
    """An upload to the task's variables (not local): the write looks up the chain
    first, as uploads to a process instance's variables do."""
    value = BinaryUpload(NewValue(type="Bytes", content=BinarySource.of_bytes(KIB)))
    database.write(
        lambda uow: variables.set_upload(uow, TASK_VARIABLES, TASK, "blob", value),
        content_bytes=len(KIB),
    )


def download(database: Database) -> bytes:
    def whole(uow: variables.UnitOfWork) -> bytes:
        stored = variables.binary(uow, TASK_LOCAL_VARIABLES, TASK, "blob")
        return b"".join(variables.content(uow, stored))

    return database.read(whole)


def get_variable(database: Database) -> object:
    return database.read(
        lambda uow: variables.get(uow, TASK_VARIABLES, TASK, "text", deserialize=True)
    )


def put_string(database: Database) -> None:
    dto = {"value": "hello", "type": "String"}
    database.write(lambda uow: variables.put(uow, TASK_VARIABLES, TASK, "text", dto))


def get_task(database: Database) -> object:
    return database.read(lambda uow: tasks.get(uow, TASK))


_completed = itertools.count()


def _new_task(database: Database) -> None:
    database.write(lambda uow: tasks.create(uow, {"id": f"done-{next(_completed)}"}))


def complete_task(database: Database) -> object:
    task_id = f"done-{next(_completed) - 1}"
    return database.write(
        lambda uow: tasks.complete(uow, task_id, None, with_variables_in_return=False)
    )


OPERATIONS = [
    Operation("upload 1 KiB", _nothing, upload),
    Operation("upload 1 KiB, task variables", _nothing, upload_seen),
    Operation("download 1 KiB", _nothing, download),
    Operation("GET variable", _nothing, get_variable),
    Operation("PUT variable (String)", _nothing, put_string),
    Operation("GET task", _nothing, get_task),
    Operation("complete task", _new_task, complete_task),
]


def set_up(database: Database) -> None:
    """The task and its two values; every operation run once (warm connections)."""
    database.write(lambda uow: tasks.create(uow, {"id": TASK}))
    upload(database)
    put_string(database)
    for operation in OPERATIONS:
        operation.prepare(database)
        operation.run(database)
