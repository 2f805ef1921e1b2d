"""Group commit on a real database: writes that queue up share one commit, and a write
that fails inside the batch takes only its own statements with it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as text_sql
from sqlalchemy.exc import ProgrammingError

from taskvars.persistence import unit_of_work
from taskvars.persistence.external_task_signals import announce
from taskvars.persistence.failures import storage_failure
from taskvars.persistence.group_commit import SharedCommitFailedError
from taskvars.persistence.models import IdSpace, Variable
from taskvars.persistence.unit_of_work import SHARED_COMMIT_MAX_BYTES, Database, UnitOfWork
from taskvars.persistence.values import (
    ConcurrentModificationError,
    DatabaseUnreachableError,
)
from tests.databases import skip_unless_postgres_required
from tests.integration.test_store import binary
from tests.integration.writes import (
    names_stored,
    set_variable,
    task_with_a_local_variable,
    text,
    wait_until,
)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    with task_with_a_local_variable(db_url) as database:
        yield database


def create_taken_again(uow: UnitOfWork) -> None:
    """A write that stores one variable, then loses a race: it inserts "taken" as if it
    were new, as a writer that looked before another committed it would."""
    set_variable("lost", text("must not stay"))(uow)
    chain = uow.store.scopes.chain(IdSpace.TASK, "task")
    uow.store.session.add(Variable(scope_pk=chain[0].pk, name="taken", type="String"))


def test_writes_queued_behind_a_writer_share_one_commit_and_a_conflict_fails_alone(
    database: Database,
) -> None:
    group = database.group_commit
    outcomes: dict[str, str] = {}

    def writer(name: str, work: Callable[[UnitOfWork], None], hold: bool = False) -> None:
        try:
            with database.unit_of_work(write=True) as uow:
                if hold:  # keep the turn until the others are queued behind it
                    wait_until(lambda: group.waiting == 3)
                work(uow)
                uow.commit()
            outcomes[name] = "committed"
        except ConcurrentModificationError:
            outcomes[name] = "conflict"

    before = group.batches_committed
    first = threading.Thread(target=writer, args=("a", set_variable("a", text("1")), True))
    first.start()
    wait_until(lambda: group.busy)
    others = [
        threading.Thread(target=writer, args=("b", set_variable("b", binary(b"b" * 3000)))),
        threading.Thread(target=writer, args=("conflicting", create_taken_again)),
        threading.Thread(target=writer, args=("c", set_variable("c", text("3")))),
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=30)

    assert outcomes == {
        "a": "committed",
        "b": "committed",
        "c": "committed",
        "conflicting": "conflict",
    }
    assert group.batches_committed == before + 1
    assert names_stored(database) == {"taken", "a", "b", "c"}


def test_a_write_that_raises_gives_up_its_turn_and_leaves_nothing(database: Database) -> None:
    def failing_write() -> None:
        with database.unit_of_work(write=True) as uow:
            set_variable("half", text("x"))(uow)
            uow.store.session.flush()
            raise RuntimeError("the handler failed")

    with pytest.raises(RuntimeError, match="the handler failed"):
        failing_write()
    with database.unit_of_work(write=True) as uow:
        set_variable("whole", text("y"))(uow)
        uow.commit()
    assert names_stored(database) == {"taken", "whole"}


def test_a_committed_unit_of_work_is_closed(database: Database) -> None:
    with database.unit_of_work(write=True) as uow:
        set_variable("x", text("1"))(uow)
        uow.commit()
        with pytest.raises(RuntimeError, match="not open"):
            uow.store  # noqa: B018


def test_a_deadlock_between_two_writers_is_a_conflict_for_one_of_them(
    database: Database,
) -> None:
    """PostgreSQL aborts one of two transactions that wait for each other's rows: that
    writer lost a race (409), it did not crash (500)."""
    if database.kind != "postgresql":
        pytest.skip("SQLite has one writer at a time: its writers cannot deadlock")
    with database.unit_of_work(write=True) as uow:
        uow.store.tasks.add("other", None, {"created": datetime.now(UTC)})
        uow.commit()
    both_hold_one = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def writer(name: str, first: str, second: str) -> None:
        # Large writes have transactions of their own, as two server processes would.
        try:
            with database.unit_of_work(write=True, content_bytes=BEYOND_SHARING) as uow:
                touch(uow, first)
                both_hold_one.wait(timeout=10)
                touch(uow, second)
                uow.commit()
            outcomes[name] = "committed"
        except ConcurrentModificationError:
            outcomes[name] = "conflict"

    threads = [
        threading.Thread(target=writer, args=("a", "task", "other")),
        threading.Thread(target=writer, args=("b", "other", "task")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["committed", "conflict"]


BEYOND_SHARING = SHARED_COMMIT_MAX_BYTES + 1


def touch(uow: UnitOfWork, task_id: str) -> None:
    task_pk = uow.store.scopes.pk(IdSpace.TASK, task_id)
    assert task_pk is not None
    uow.store.tasks.touch(task_pk, datetime.now(UTC))


def test_a_batch_whose_transaction_the_database_ended_fails_every_write_in_it(
    database: Database,
) -> None:
    """SQLite ends the whole transaction itself on a full disk or an I/O error, and a
    connection can be lost: a write already released into the batch must then be told
    its commit failed, never that it succeeded (nor may later writes run outside it)."""
    group = database.group_commit
    outcomes: dict[str, str] = {}

    def first(uow: UnitOfWork) -> None:
        wait_until(lambda: group.waiting == 1)  # the second writer queues behind
        set_variable("a", text("1"))(uow)

    def second(uow: UnitOfWork) -> None:
        set_variable("b", text("2"))(uow)
        uow.store.session.flush()
        # The DBAPI connection: the SQLite writer's own is detached from the pool, which
        # no longer names its driver_connection.
        driver = uow.store.session.connection().connection.dbapi_connection
        assert driver is not None
        driver.rollback()  # what the database does on its own on such a failure
        raise OSError("disk full")

    def writer(name: str, work: Callable[[UnitOfWork], None]) -> None:
        try:
            with database.unit_of_work(write=True) as uow:
                work(uow)
                uow.commit()
            outcomes[name] = "committed"
        except SharedCommitFailedError:
            outcomes[name] = "told it failed"
        except Exception:
            outcomes[name] = "failed"

    threads = [threading.Thread(target=writer, args=("a", first))]
    threads[0].start()
    wait_until(lambda: group.busy)
    threads.append(threading.Thread(target=writer, args=("b", second)))
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == {"a": "told it failed", "b": "failed"}
    with database.unit_of_work(write=True) as uow:  # the next writer is not affected
        set_variable("d", text("4"))(uow)
        uow.commit()
    assert names_stored(database) == {"taken", "d"}


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_a_batch_whose_connection_the_database_dropped_tells_every_writer_and_frees_the_turn(
    database: Database, db_url: str
) -> None:
    """PostgreSQL ends the shared transaction's connection (a restart, an administrator)
    while a second writer is on it: both writers learn the database went away (a 503,
    not a 500), and the turn is free for the next writer at once."""
    group = database.group_commit
    failures: dict[str, BaseException | None] = {}

    def first(uow: UnitOfWork) -> None:
        wait_until(lambda: group.waiting == 1)
        set_variable("a", text("1"))(uow)

    def second(uow: UnitOfWork) -> None:
        driver = uow.store.session.connection().connection.driver_connection
        assert driver is not None
        admin = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.connect() as connection:
            connection.execute(
                text_sql("SELECT pg_terminate_backend(:pid)"), {"pid": driver.info.backend_pid}
            )
        admin.dispose()
        set_variable("b", text("2"))(uow)
        uow.store.session.flush()

    def writer(name: str, work: Callable[[UnitOfWork], None]) -> None:
        try:
            with database.unit_of_work(write=True) as uow:
                work(uow)
                uow.commit()
            failures[name] = None
        except Exception as error:
            failures[name] = error

    threads = [threading.Thread(target=writer, args=("a", first))]
    threads[0].start()
    wait_until(lambda: group.busy)
    threads.append(threading.Thread(target=writer, args=("b", second)))
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)

    assert isinstance(failures["a"], SharedCommitFailedError)
    for name in "ab":
        failure = failures[name]
        assert failure is not None
        assert isinstance(storage_failure(failure), DatabaseUnreachableError), name
    assert not group.busy
    with database.unit_of_work(write=True) as uow:
        set_variable("d", text("4"))(uow)
        uow.commit()
    assert names_stored(database) == {"taken", "d"}


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_a_shared_write_kept_waiting_by_a_locked_row_runs_again_alone_and_is_stored(
    database: Database, db_url: str
) -> None:
    """A writer in a shared transaction that meets a row another transaction holds does
    not keep the batch (and every writer queued behind it) waiting, nor hold its
    batch-mates' locks while it waits (two server processes' batches deadlock so): it
    steps out, and runs again in a transaction of its own, which may wait."""
    retries: list[None] = []
    database.on_write_retry = lambda: retries.append(None)
    outcome: dict[str, BaseException | None] = {}

    def touch_and_set(uow: UnitOfWork) -> None:
        touch(uow, "task")
        set_variable("late", text("stored"))(uow)
        uow.commit()

    def writer() -> None:
        try:
            database.write(touch_and_set)
            outcome["late"] = None
        except BaseException as error:
            outcome["late"] = error

    admin = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with admin.connect() as holder:
            holder.execute(text_sql("UPDATE task SET last_updated = now()"))  # locks the rows
            thread = threading.Thread(target=writer)
            thread.start()
            wait_until(lambda: len(retries) == 1)
            # Its retry waits for the lock outside the shared transaction: others write.
            database.write(lambda uow: (set_variable("meanwhile", text("1"))(uow), uow.commit()))
            assert "late" not in outcome
            holder.commit()
        thread.join(timeout=30)
    finally:
        admin.dispose()

    assert outcome == {"late": None}
    assert len(retries) == 1
    assert names_stored(database) == {"taken", "meanwhile", "late"}


def test_a_write_that_lost_to_a_newer_version_is_not_run_again(database: Database) -> None:
    """Running a stale write again would meet the same newer version: a conflict at once."""
    retries: list[None] = []
    database.on_write_retry = lambda: retries.append(None)

    def lose_the_race(uow: UnitOfWork) -> None:
        create_taken_again(uow)
        uow.commit()

    with pytest.raises(ConcurrentModificationError):
        database.write(lose_the_race)
    assert retries == []
    assert names_stored(database) == {"taken"}


def test_an_action_before_the_commit_that_fails_takes_its_writes_alone_and_is_heard(
    database: Database,
) -> None:
    """UnitOfWork.before_commit (conditional events dispatched as the work commits): an
    action that wrote and then failed leaves nothing of its unit of work, its error
    reaches the writer, and the writes sharing the batch commit."""
    group = database.group_commit
    outcomes: dict[str, str] = {}

    def failing_action(uow: UnitOfWork) -> None:
        set_variable("before", text("x"))(uow)

        def act() -> None:
            set_variable("half", text("x"))(uow)
            uow.store.session.flush()
            raise RuntimeError("the action failed")

        # An action may add an action (a fired event writes variables in turn).
        uow.before_commit(lambda: uow.before_commit(act))

    def writer(name: str, work: Callable[[UnitOfWork], None], hold: bool = False) -> None:
        try:
            with database.unit_of_work(write=True) as uow:
                if hold:
                    wait_until(lambda: group.waiting == 2)
                work(uow)
                uow.commit()
            outcomes[name] = "committed"
        except RuntimeError as error:
            outcomes[name] = str(error)

    before = group.batches_committed
    first = threading.Thread(target=writer, args=("a", set_variable("a", text("1")), True))
    first.start()
    wait_until(lambda: group.busy)
    others = [
        threading.Thread(target=writer, args=("failing", failing_action)),
        threading.Thread(target=writer, args=("c", set_variable("c", text("3")))),
    ]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join(timeout=30)

    assert outcomes == {"a": "committed", "c": "committed", "failing": "the action failed"}
    assert group.batches_committed == before + 1
    assert names_stored(database) == {"taken", "a", "c"}


# The lock PostgreSQL takes at the COMMIT of a transaction that notified (async.c,
# PreCommit_Notify: an object lock on pg_database, object 0).
_NOTIFICATION_QUEUE_LOCK_HELD = text_sql(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'object' AND granted AND pid = :pid"
    " AND classid = 'pg_database'::regclass AND objid = 0"
)


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_a_shared_commit_that_notified_waits_out_another_notifying_commit_past_the_lock_bound(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COMMIT of a transaction that notified queues for the notification lock, which
    another notifying transaction holds until its own commit is durable (two server
    processes announcing jobs, a slow disk). A shared transaction bounds its waits for
    row locks (SHARED_LOCK_WAIT, 10 ms here), not that one: the batch commits once the
    other commit is through (kept at 100 ms by ``commit_delay``) instead of failing."""
    monkeypatch.setattr(unit_of_work, "SHARED_LOCK_WAIT", "10ms")
    admin = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with (
            task_with_a_local_variable(db_url) as database,
            admin.connect() as other,
            admin.connect() as observer,
        ):
            # commit_delay: the sleep before a commit's WAL flush, after that lock is taken
            # (PostgreSQL sleeps holding the WAL write lock: other sessions' commits on
            # the server wait out this one commit too).
            try:
                other.execute(text_sql("SET commit_delay = 100000"))
            except ProgrammingError as error:
                skip_unless_postgres_required(f"commit_delay needs a superuser: {error}")
            other.execute(text_sql("SET commit_siblings = 0"))
            other.commit()
            driver = other.connection.driver_connection
            assert driver is not None
            other_pid = driver.info.backend_pid
            other.execute(text_sql("SELECT pg_notify('taskvars_test_other', 'x')"))
            # Something to flush: a transaction that wrote nothing commits without a sync.
            other.execute(text_sql("CREATE TEMP TABLE other_wrote () ON COMMIT DROP"))
            committing = threading.Thread(target=other.commit)

            def notify_then_set(uow: UnitOfWork) -> None:
                announce(uow, ["taskvars-test-topic"])
                set_variable("after", text("stored"))(uow)
                committing.start()
                wait_until(
                    lambda: (
                        observer.execute(
                            _NOTIFICATION_QUEUE_LOCK_HELD, {"pid": other_pid}
                        ).scalar_one()
                        == 1
                    )
                )
                uow.commit()

            started = time.monotonic()
            database.write(notify_then_set)
            waited = time.monotonic() - started
            committing.join(timeout=30)
            assert names_stored(database) == {"taken", "after"}
            assert waited > 0.01  # it did wait for the other commit, past the bound
    finally:
        admin.dispose()
