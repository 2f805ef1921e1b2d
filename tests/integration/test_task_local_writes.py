"""A task's own variables written and read the short way (the task found with its
variable, small contents in one statement with their rows), on a real database:
same values, same releases of replaced content, same conflicts as the long way."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from taskvars.persistence.binary_contents import SMALL_VALUE_BYTES
from taskvars.persistence.models import BinaryChunk, BinaryContent, IdSpace, Task
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import (
    BinarySource,
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
)
from taskvars.persistence.variables import _Existing
from tests.integration.writes import database_with_a_task


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    with database_with_a_task(db_url) as database:
        yield database


def binary(data: bytes) -> NewValue:
    return NewValue(type="Bytes", content=BinarySource.of_bytes(data))


def write(database: Database, name: str, value: NewValue, now: datetime) -> None:
    with database.unit_of_work(write=True) as uow:
        uow.store.variables.set_in_task("t", name, value, now)
        uow.commit()


def read(database: Database, name: str) -> tuple[bytes, bytes]:
    """The value's bytes as a download reads them, and as a JSON answer joins them."""
    with database.unit_of_work(write=False) as uow:
        stored = uow.store.variables.visible_from(IdSpace.TASK, "t", name, local=True)
        assert stored is not None
        assert stored.content_pk is not None
        streamed = b"".join(uow.store.contents.chunks(stored))
        return streamed, uow.store.contents.whole([stored])[stored.content_pk]


def content_rows(database: Database) -> int:
    with database.unit_of_work(write=False) as uow:
        return int(uow.store.session.scalar(select(func.count()).select_from(BinaryContent)))


@pytest.mark.parametrize(
    "size", [1, 1024, SMALL_VALUE_BYTES, SMALL_VALUE_BYTES + 1, 3 * 1024 * 1024 + 7]
)
def test_a_value_of_any_size_reads_back_whole_and_replacing_it_releases_the_old_content(
    database: Database, size: int
) -> None:
    first = hashlib.sha256(b"first").digest() * (size // 32 + 1)
    second = hashlib.sha256(b"second").digest() * (size // 32 + 1)
    write(database, "v", binary(first[:size]), datetime(2026, 1, 1, tzinfo=UTC))
    assert read(database, "v") == (first[:size], first[:size])
    write(database, "v", binary(second[:size]), datetime(2026, 1, 2, tzinfo=UTC))
    assert read(database, "v") == (second[:size], second[:size])
    assert content_rows(database) == 1
    with database.unit_of_work(write=False) as uow:
        touched = uow.store.session.scalar(select(Task.last_updated))
    assert touched is not None
    # SQLite gives it back without its zone (UTC), PostgreSQL with it.
    assert (touched if touched.tzinfo else touched.replace(tzinfo=UTC)) == datetime(
        2026, 1, 2, tzinfo=UTC
    )


def test_a_small_value_is_one_chunk_row(database: Database) -> None:
    write(database, "v", binary(b"x" * SMALL_VALUE_BYTES), datetime.now(UTC))
    with database.unit_of_work(write=False) as uow:
        chunks = uow.store.session.scalar(select(func.count()).select_from(BinaryChunk))
    assert chunks == 1


def test_a_range_of_a_small_value_is_cut_from_what_the_read_fetched(database: Database) -> None:
    write(database, "v", binary(bytes(range(256))), datetime.now(UTC))
    with database.unit_of_work(write=False) as uow:
        stored = uow.store.variables.visible_from(IdSpace.TASK, "t", "v", local=True)
        assert stored is not None
        assert stored.inline_content is not None
        assert b"".join(uow.store.contents.slice(stored, 10, 19)) == bytes(range(10, 20))


def test_replacing_a_version_another_write_replaced_meanwhile_is_a_conflict(
    database: Database,
) -> None:
    write(database, "v", binary(b"first"), datetime.now(UTC))
    with database.unit_of_work(write=False) as uow:
        stale = uow.store.variables.visible_from(IdSpace.TASK, "t", "v", local=True)
    assert stale is not None
    write(database, "v", binary(b"second"), datetime.now(UTC))
    with database.unit_of_work(write=True) as uow:
        task_pk = uow.store.scopes.pk(IdSpace.TASK, "t")
        assert task_pk is not None
        with pytest.raises(ConcurrentModificationError):
            uow.store.variables._write(
                task_pk,
                "v",
                binary(b"third"),
                _Existing.of(stale),
                recorded=False,
                task_touched_at=datetime.now(UTC),
            )
    assert read(database, "v") == (b"second", b"second")
    assert content_rows(database) == 1


def test_a_write_to_a_missing_task_is_refused_and_writes_nothing(database: Database) -> None:
    with database.unit_of_work(write=True) as uow, pytest.raises(ScopeNotFoundError):
        uow.store.variables.set_in_task("nope", "v", binary(b"x"), datetime.now(UTC))
    assert content_rows(database) == 0
