"""A read that goes on from the variable the fast path's own read found (``found``, when
that read could not answer: a large value, or one in a content file): while the content
it names is there, the variable is not looked up again; a content released meanwhile
(the variable replaced) is, so no answer names bytes that are gone. On a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from taskvars.persistence.binary_contents import SMALL_VALUE_BYTES
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import BinarySource, NewValue, StoredValue
from taskvars.services import variables
from taskvars.services.variables import TASK_LOCAL_VARIABLES
from tests.integration.writes import database_with_a_task
from tests.statement_counter import counting

LARGE = b"y" * (SMALL_VALUE_BYTES + 1)  # its bytes are not read with its row


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    with database_with_a_task(db_url) as database:
        yield database


def write(database: Database, data: bytes) -> StoredValue:
    """``data`` as the task's variable ``v``, as a read then finds it."""
    with database.unit_of_work(write=True) as uow:
        value = NewValue(type="Bytes", content=BinarySource.of_bytes(data))
        uow.store.variables.set_in_task("t", "v", value, datetime.now(UTC))
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        found = uow.store.variables.visible_from(IdSpace.TASK, "t", "v", local=True)
    assert found is not None
    return found


def test_a_found_variable_whose_content_is_there_is_not_looked_up_again(
    database: Database,
) -> None:
    found = write(database, LARGE)
    with database.unit_of_work(write=False) as uow, counting(database) as counted:
        stored = variables.binary(uow, TASK_LOCAL_VARIABLES, "t", "v", found=found)
        downloaded = b"".join(variables.content(uow, stored))
        dto = variables.get(uow, TASK_LOCAL_VARIABLES, "t", "v", deserialize=True, found=found)
    assert stored is found
    assert downloaded == LARGE
    assert dto["type"] == "Bytes"
    assert not [statement for statement in counted.statements if "scope" in statement]


def test_a_found_variable_replaced_meanwhile_is_read_again(database: Database) -> None:
    stale = write(database, LARGE)
    replaced = write(database, b"z" * len(LARGE))  # the stale value's content is released
    assert replaced.content_pk != stale.content_pk
    with database.unit_of_work(write=False) as uow:
        stored = variables.binary(uow, TASK_LOCAL_VARIABLES, "t", "v", found=stale)
        downloaded = b"".join(variables.content(uow, stored))
        dto = variables.get(uow, TASK_LOCAL_VARIABLES, "t", "v", deserialize=True, found=stale)
        looked_up = variables.get(uow, TASK_LOCAL_VARIABLES, "t", "v", deserialize=True)
    assert stored.content_pk == replaced.content_pk
    assert downloaded == b"z" * len(LARGE)
    assert dto == looked_up


def test_a_found_variable_whose_content_pk_was_taken_again_is_read_again(
    database: Database, database_kind: str
) -> None:
    stale = write(database, LARGE)
    with database.unit_of_work(write=True) as uow:
        # v lets go of its content (the newest), and w's new content is written after.
        text = NewValue(type="String", text_value="now text")
        uow.store.variables.set_in_task("t", "v", text, datetime.now(UTC))
        other = NewValue(type="Bytes", content=BinarySource.of_bytes(b"w" * len(LARGE)))
        uow.store.variables.set_in_task("t", "w", other, datetime.now(UTC))
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        taken = uow.store.variables.visible_from(IdSpace.TASK, "t", "w", local=True)
        dto = variables.get(uow, TASK_LOCAL_VARIABLES, "t", "v", deserialize=True, found=stale)
    assert taken is not None
    if database_kind == "sqlite":  # SQLite hands the newest deleted row's pk out again
        assert taken.content_pk == stale.content_pk
    assert dto["type"] == "String"
    assert dto["value"] == "now text"
