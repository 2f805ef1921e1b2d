"""The store on a real database: scope chains, visibility, chunked content."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from taskvars.persistence.content_files import ContentReplacedError, LockedContentFile
from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import BinaryChunk, BinaryContent, IdSpace, Variable
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import (
    BinarySource,
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
)
from tests.content_digests import expected_digest
from tests.statement_counter import counting

CHUNK = 1024


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url, chunk_bytes=CHUNK)
    yield database
    database.dispose()


def binary(data: bytes) -> NewValue:
    return NewValue(type="Bytes", content=BinarySource.of_bytes(data))


def deep_chain(uow: UnitOfWork, depth: int) -> str:
    """A process instance, ``depth`` nested executions, and a task at the bottom."""
    parent = uow.store.process_instances.add("pi", None, None)
    for level in range(depth):
        parent = uow.store.process_instances.add_execution(f"ex-{level}", parent)
    uow.store.tasks.add("task", parent, {"created": datetime.now(UTC)})
    return "task"


@pytest.mark.parametrize("depth", [0, 1, 5, 30])
def test_scope_chain_is_one_query_whatever_its_depth(database: Database, depth: int) -> None:
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, depth)
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        uow.store.scopes.chain(IdSpace.TASK, "task")  # warm the connection (SQLite pragmas)
        with counting(database) as counted:  # raw statements too
            chain = uow.store.scopes.chain(IdSpace.TASK, "task")
            uow.store.variables.all_visible(chain)
    assert [scope.external_id for scope in chain] == [
        "task",
        *[f"ex-{level}" for level in reversed(range(depth))],
        "pi",
    ]
    assert len(counted.statements) == 2


def test_missing_scope_raises_with_camundas_message(database: Database) -> None:
    with database.unit_of_work(write=False) as uow, pytest.raises(ScopeNotFoundError) as raised:
        uow.store.scopes.chain(IdSpace.EXECUTION, "nope")
    assert str(raised.value) == "execution nope doesn't exist: execution is null"


def test_content_is_split_into_chunks_and_read_back_in_order(database: Database) -> None:
    data = bytes(range(256)) * 20  # 5 chunks of 1 KiB
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 1)
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "doc", binary(data), local=True)
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        stored = uow.store.variables.visible(chain, "doc")
        assert stored is not None
        assert stored.content_size == len(data)
        assert stored.content_digest == expected_digest(data)
        chunks = list(uow.store.contents.chunks(stored))
    assert [len(c) for c in chunks] == [CHUNK] * 5
    assert b"".join(chunks) == data


def test_replacing_or_failing_leaves_no_orphaned_content(database: Database) -> None:
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 0)
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "doc", binary(b"a" * 3000), local=False)
        uow.store.variables.set(chain, "doc", binary(b"b" * 10), local=False)
        uow.commit()
    with database.unit_of_work(write=True) as uow:
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "doc", binary(b"c" * 5000), local=False)
        # not committed: rolled back on exit
    with database.unit_of_work(write=False) as uow:
        session = uow.store.session
        assert session.scalar(select(func.count()).select_from(BinaryContent)) == 1
        assert session.scalar(select(func.count()).select_from(BinaryChunk)) == 1
        assert session.scalar(select(func.count()).select_from(Variable)) == 1


def test_new_variable_lands_in_the_top_most_scope(database: Database) -> None:
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 2)
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "x", NewValue(type="String", text_value="v"), local=False)
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        stored = uow.store.variables.visible(chain, "x")
        assert stored is not None
        assert stored.scope_pk == chain[-1].pk


def test_concurrent_creation_of_the_same_variable_is_a_conflict(database: Database) -> None:
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 0)
        uow.commit()
    with database.unit_of_work(write=True) as first:
        chain = first.store.scopes.chain(IdSpace.TASK, "task")
        first.store.variables.set(chain, "x", NewValue(type="String", text_value="1"), local=True)
        first.commit()
    # A second writer that looked before the first committed still believes "x" is new.
    with database.unit_of_work(write=True) as second:
        session = second.store.session
        session.add(Variable(scope_pk=chain[0].pk, name="x", type="String", text_value="2"))
        with pytest.raises(ConcurrentModificationError):
            second.commit()


def test_deleting_a_process_instance_leaves_no_row_behind(database: Database) -> None:
    from taskvars.persistence.models import Base
    from taskvars.services.process_instances import add_tree

    tree = {
        "id": "pi",
        "variables": {"v": {"value": "root"}},
        "executions": [{"id": "ex"}, {"id": "deeper", "parentId": "ex"}],
        "tasks": [{"id": "t", "executionId": "deeper", "variables": {"w": {"value": 1}}}],
    }
    with database.unit_of_work(write=True) as uow:
        add_tree(uow, tree)
        task_chain = uow.store.scopes.chain(IdSpace.TASK, "t")
        sub = uow.store.tasks.add("sub", task_chain[0].pk, {"created": datetime.now(UTC)})
        uow.store.variables.set_local(sub, "doc", binary(b"s" * 5000))
        uow.store.variables.set(task_chain, "doc", binary(b"p" * 3000), local=False)
        uow.commit()
    with database.unit_of_work(write=True) as uow:
        uow.store.scopes.delete_tree(uow.store.scopes.chain(IdSpace.EXECUTION, "pi")[0].pk)
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        counts = {
            table.name: uow.store.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
    assert counts == dict.fromkeys(counts, 0)


@pytest.mark.parametrize("depth", [0, 5])
def test_listing_variables_takes_the_same_statements_for_ten_or_a_thousand(
    database: Database, depth: int
) -> None:
    """Scope chain, variables and their Bytes contents: a fixed number of statements."""
    from taskvars.services.variables import variable_map

    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, depth)
        uow.commit()

    def statements_to_list(count: int) -> int:
        with database.unit_of_work(write=True) as uow:
            chain = uow.store.scopes.chain(IdSpace.TASK, "task")
            for index in range(count):
                value = (
                    binary(b"b%d" % index)
                    if index % 2
                    else NewValue(type="String", text_value=str(index))
                )
                uow.store.variables.set_local(chain[index % len(chain)].pk, f"v{index}", value)
            uow.commit()
        with database.unit_of_work(write=False) as uow:
            uow.store.scopes.chain(IdSpace.TASK, "task")  # warm the connection
            with counting(database) as counted:  # raw statements too
                chain = uow.store.scopes.chain(IdSpace.TASK, "task")
                listed = variable_map(uow, chain, deserialize=True)
        assert len(listed) >= count
        return len(counted.statements)

    assert statements_to_list(10) == statements_to_list(1000) == 3


def test_a_writer_that_waits_too_long_is_told_to_retry(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taskvars.persistence import unit_of_work

    monkeypatch.setattr(unit_of_work, "WRITER_WAIT_SECONDS", 0.05)
    with database.unit_of_work(write=True), pytest.raises(ConcurrentModificationError):
        database.unit_of_work(write=True).open()
    with database.unit_of_work(write=True) as later:  # the queue is free again
        assert later.store.scopes.pk(IdSpace.TASK, "nobody") is None


def test_a_reader_whose_file_was_replaced_is_told_to_look_again(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'files.db'}")
    upgrade(database.engine)
    assert database.content_files is not None
    try:
        first, second = (database.content_files.create() for _ in range(2))
        for held, data in ((first, b"first"), (second, b"second")):
            os.write(held.fd, data)
        with database.unit_of_work(write=True) as uow:
            deep_chain(uow, 0)
            chain = uow.store.scopes.chain(IdSpace.TASK, "task")
            uow.store.variables.set(chain, "doc", spooled(first, b"first"), local=True)
            uow.commit()
        with database.unit_of_work(write=False) as reader:
            stored = reader.store.variables.visible(
                reader.store.scopes.chain(IdSpace.TASK, "task"), "doc"
            )
            assert stored is not None
            assert stored.content_file == first.name
            with database.unit_of_work(write=True) as writer:
                chain = writer.store.scopes.chain(IdSpace.TASK, "task")
                writer.store.variables.set(chain, "doc", spooled(second, b"second"), local=True)
                writer.commit()
            # removed, by the remover's thread, once the replacing commit was done
            assert database.content_files.wait_for_removals(timeout=10)
            assert not first.path.exists()
            with pytest.raises(ContentReplacedError):
                reader.store.contents.chunks(stored)
    finally:
        for held in (first, second):
            held.release()
        database.dispose()


def spooled(held: LockedContentFile, data: bytes) -> NewValue:
    """A value whose content is already in the content file ``held``."""
    source = BinarySource(
        lambda _chunk_bytes: iter([data]), len(data), expected_digest(data), file=held
    )
    return NewValue(type="Bytes", content=source)


def test_a_download_abandoned_halfway_leaves_the_database_usable(database: Database) -> None:
    """On PostgreSQL the chunks come through COPY TO STDOUT: a client that goes away
    mid-download cancels it, and the connection serves the next unit of work."""
    data = bytes(range(256)) * 40  # 10 chunks
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 0)
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "doc", binary(data), local=True)
        uow.commit()
    for _ in range(3):  # more times than the pool has idle connections to hide a bad one
        with database.unit_of_work(write=False) as uow:
            stored = uow.store.variables.visible(
                uow.store.scopes.chain(IdSpace.TASK, "task"), "doc"
            )
            assert stored is not None
            chunks = uow.store.contents.chunks(stored)
            assert next(chunks) == data[:CHUNK]
            chunks.close()  # the client went away
    with database.unit_of_work(write=False) as uow:
        stored = uow.store.variables.visible(uow.store.scopes.chain(IdSpace.TASK, "task"), "doc")
        assert stored is not None
        assert b"".join(uow.store.contents.chunks(stored)) == data
