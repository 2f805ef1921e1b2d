"""What each hot operation asks of the database, pinned per operation and database: a
change that adds a statement or a round trip to one of them fails here by its name.

Transaction control (``BEGIN``, savepoints, ``SET LOCAL``) belongs to the unit of work
and group commit; it is pinned as part of the round trips only, as a ceiling, so that
fewer of them elsewhere never fails a test here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, text

from taskvars.persistence.database import create_database_engine
from taskvars.persistence.unit_of_work import Database
from tests.hot_path_operations import OPERATIONS, Operation, set_up
from tests.statement_counter import Counted, counting

TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "SET LOCAL", "ROLLBACK")

# (statements other than transaction control, round trips at most on PostgreSQL)
EXPECTED = {
    "sqlite": {
        # The task with its variable; content row, chunk; variable; old content; task.
        "upload 1 KiB": (6, None),
        # The chain with the variable; content row, chunk; variable; old content; task.
        "upload 1 KiB, task variables": (6, None),
        # The chain, the variable and its bytes.
        "download 1 KiB": (1, None),
        "GET variable": (1, None),
        # The chain with the variable; the variable; the task.
        "PUT variable (String)": (3, None),
        "GET task": (1, None),
        # The chain; the instance's suspension; the tree's content; the tree.
        "complete task": (4, None),
    },
    "postgresql": {
        # The task with its variable; content with its chunk; the variable, the old
        # content and the task in one data-modifying statement.
        "upload 1 KiB": (3, 8),
        # The chain with the variable; content with its chunk; variable; old content; task.
        "upload 1 KiB, task variables": (5, 8),
        "download 1 KiB": (1, 3),
        "GET variable": (1, 3),
        "PUT variable (String)": (3, 8),
        "GET task": (1, 3),
        "complete task": (4, 9),
    },
}


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    set_up(database)
    yield database
    database.dispose()


def data_statements(counted: Counted) -> list[str]:
    return [kind for kind in counted.kinds() if not kind.upper().startswith(TRANSACTION_CONTROL)]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
def test_hot_operation_runs_its_pinned_statements(database: Database, operation: Operation) -> None:
    operation.prepare(database)
    with counting(database) as counted:
        operation.run(database)
    statements, round_trips = EXPECTED[database.kind][operation.name]
    assert len(data_statements(counted)) == statements, counted.kinds()
    if round_trips is not None:
        assert counted.round_trips <= round_trips, (counted.round_trips, counted.kinds())


def test_no_pooled_connection_is_pinged_on_the_way_to_a_unit_of_work(
    database: Database,
) -> None:
    with counting(database) as counted:
        for operation in OPERATIONS:
            operation.prepare(database)
            operation.run(database)
    assert counted.pings == 0


@pytest.mark.postgres
def test_a_pooled_connection_the_server_closed_is_replaced_before_work_gets_it(
    postgres_schema_url: str,
) -> None:
    database = Database(postgres_schema_url)
    try:
        with database.engine.connect() as connection:
            backend = connection.scalar(text("SELECT pg_backend_pid()"))
        # Back in the pool, idle; the server ends it (as a restart ends them all).
        other_engine = create_database_engine(postgres_schema_url)
        try:
            with other_engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
                other.commit()
                _wait_until_gone(other, backend)
        finally:
            other_engine.dispose()
        with counting(database) as counted, database.engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
            assert connection.scalar(text("SELECT pg_backend_pid()")) != backend
        assert counted.pings == 1
    finally:
        database.dispose()


def _wait_until_gone(connection: Connection, backend: int) -> None:
    """Until PostgreSQL has ended the backend (its farewell is then on the socket)."""
    for _ in range(1000):
        gone = not connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
        )
        connection.commit()
        if gone:
            return
    raise AssertionError(f"backend {backend} is still there")
