"""Reads whose content file was replaced under their snapshot run again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskvars.persistence.content_files import ContentReplacedError
from taskvars.persistence.unit_of_work import CONTENT_READ_ATTEMPTS, Database, UnitOfWork
from taskvars.persistence.values import ConcurrentModificationError


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'reads.db'}")
    yield database
    database.dispose()


def test_a_read_runs_again_after_its_content_was_replaced(database: Database) -> None:
    attempts: list[UnitOfWork] = []

    def read(uow: UnitOfWork) -> str:
        attempts.append(uow)
        if len(attempts) == 1:
            raise ContentReplacedError("gone")
        return "newer"

    assert database.read(read) == "newer"
    assert len(attempts) == 2
    assert attempts[0] is not attempts[1]  # a new snapshot


def test_a_value_replaced_under_every_attempt_is_a_conflict(database: Database) -> None:
    attempts: list[int] = []

    def read(_uow: UnitOfWork) -> None:
        attempts.append(1)
        raise ContentReplacedError("gone")

    with pytest.raises(ConcurrentModificationError):
        database.read(read)
    assert len(attempts) == CONTENT_READ_ATTEMPTS


def test_a_read_left_open_is_closed_when_it_fails(database: Database) -> None:
    opened: list[UnitOfWork] = []

    def read(uow: UnitOfWork) -> None:
        opened.append(uow)
        raise ContentReplacedError("gone")

    with pytest.raises(ConcurrentModificationError):
        database.open_read(read)
    for uow in opened:
        with pytest.raises(RuntimeError, match="not open"):
            _ = uow.store
