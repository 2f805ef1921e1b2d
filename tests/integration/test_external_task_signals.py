"""Announcements of fetchable external tasks on real databases: they reach parked requests
once their transaction commits, never when it rolls back, across connections on
PostgreSQL, and after the listening connection was lost."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from taskvars.persistence.external_task_signals import CHANNEL, TopicListener, announce
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services.long_polling import FetchOutcome, ParkedFetches
from tests.databases import postgres_server_url

HOUR = 3600.0
TASK = {"id": "task-1"}
# Generous: these are not timing benchmarks, only bounds on a hang.
PATIENCE_SECONDS = 20.0


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def topic() -> str:
    """A topic of this test alone: other runs may share the PostgreSQL database."""
    return f"topic-{uuid.uuid4().hex}"


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), PATIENCE_SECONDS))


class Worker:
    """A fetch that finds a task at its second attempt, and counts its attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def fetch(self) -> FetchOutcome:
        self.attempts += 1
        return FetchOutcome([TASK] if self.attempts > 1 else [])


async def still_here() -> bool:
    return False


async def parked_on(
    parked: ParkedFetches, worker: Worker, topics: list[str]
) -> asyncio.Task[list[dict[str, Any]]]:
    request = asyncio.create_task(parked.wait_for_tasks(worker.fetch, topics, HOUR, still_here))
    while worker.attempts == 0 or parked.parked == 0:
        await asyncio.sleep(0.01)
    return request


def announced(topics: Iterable[str]) -> Callable[[UnitOfWork], None]:
    def write(uow: UnitOfWork) -> None:
        announce(uow, topics)
        uow.commit()

    return write


def announced_then_failed(topics: Iterable[str]) -> Callable[[UnitOfWork], None]:
    def write(uow: UnitOfWork) -> None:
        announce(uow, topics)
        raise RuntimeError("the transaction fails after announcing")

    return write


class Listening:
    """A hub and its listener on ``database_url``, for one scenario."""

    def __init__(self, database_url: str) -> None:
        self.parked = ParkedFetches(max_parked=10, recheck_seconds=HOUR, client_check_seconds=HOUR)
        self.listener = TopicListener(database_url, self.parked, reconnect_seconds=0.1)

    async def __aenter__(self) -> Listening:
        self.listener.start()
        assert await asyncio.to_thread(self.listener.listening.wait, PATIENCE_SECONDS)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.parked.close()
        await asyncio.to_thread(self.listener.stop)


def test_a_committed_announcement_wakes_a_request_of_its_topic(
    database: Database, db_url: str
) -> None:
    async def scenario() -> None:
        async with Listening(db_url) as listening:
            worker, mine = Worker(), topic()
            request = await parked_on(listening.parked, worker, [mine])
            await asyncio.to_thread(database.write, announced([mine, mine, topic()]))
            assert await request == [TASK]
            assert worker.attempts == 2

    run(scenario)


def test_a_rolled_back_announcement_wakes_nobody(database: Database, db_url: str) -> None:
    """Announcements arrive in commit order: once the request on the topic announced
    after the rollback is answered, one woken by the rolled-back one would have fetched."""

    async def scenario() -> None:
        async with Listening(db_url) as listening:
            rolled_back, committed = topic(), topic()
            unwoken, woken = Worker(), Worker()
            untouched = await parked_on(listening.parked, unwoken, [rolled_back])
            request = await parked_on(listening.parked, woken, [committed])
            with pytest.raises(RuntimeError):
                await asyncio.to_thread(database.write, announced_then_failed([rolled_back]))
            await asyncio.to_thread(database.write, announced([committed]))
            assert await request == [TASK]
            assert unwoken.attempts == 1
            assert not untouched.done()

    run(scenario)


def test_a_write_in_another_database_object_wakes_the_request(db_url: str) -> None:
    """Another server process's commit, as far as one process can play two: a
    ``Database`` of its own on the same database."""

    async def scenario() -> None:
        other = Database(db_url)
        try:
            async with Listening(db_url) as listening:
                worker, mine = Worker(), topic()
                request = await parked_on(listening.parked, worker, [mine])
                await asyncio.to_thread(other.write, announced([mine]))
                assert await request == [TASK]
        finally:
            other.dispose()

    run(scenario)


@pytest.mark.postgres
def test_a_notify_from_another_connection_wakes_the_request(
    postgresql_session_database: Any,
) -> None:
    url = postgresql_session_database.url

    async def scenario() -> None:
        async with Listening(url) as listening:
            worker, mine = Worker(), topic()
            request = await parked_on(listening.parked, worker, [mine])
            await asyncio.to_thread(notify_from_plain_connection, mine)
            assert await request == [TASK]

    run(scenario)


def notify_from_plain_connection(payload: str) -> None:
    with psycopg.connect(postgres_server_url(), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))


class RecordingSink:
    def __init__(self) -> None:
        self.topics: list[str] = []
        self.woken_all = threading.Event()
        self.changed = threading.Condition()

    def topics_available(self, topics: Iterable[str]) -> None:
        with self.changed:
            self.topics.extend(topics)
            self.changed.notify_all()

    def wake_all(self) -> None:
        self.woken_all.set()

    def wait_for(self, topic: str) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: topic in self.topics, PATIENCE_SECONDS)


@pytest.mark.postgres
def test_the_listener_connects_again_after_its_backend_is_terminated_and_wakes_everyone(
    postgresql_session_database: Any,
) -> None:
    sink = RecordingSink()
    listener = TopicListener(postgresql_session_database.url, sink, reconnect_seconds=0.1)
    listener.start()
    try:
        assert listener.listening.wait(PATIENCE_SECONDS)
        first_pid = listener.backend_pid
        with psycopg.connect(postgres_server_url(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first_pid,))
        assert sink.woken_all.wait(PATIENCE_SECONDS)
        assert listener.listening.wait(PATIENCE_SECONDS)
        assert listener.backend_pid != first_pid
        after = topic()
        notify_from_plain_connection(after)
        assert sink.wait_for(after)
    finally:
        listener.stop()


@pytest.mark.postgres
def test_a_topic_too_long_for_a_notification_wakes_everyone(
    postgresql_session_database: Any,
) -> None:
    database = Database(postgresql_session_database.url)
    sink = RecordingSink()
    listener = TopicListener(postgresql_session_database.url, sink)
    listener.start()
    try:
        assert listener.listening.wait(PATIENCE_SECONDS)
        database.write(announced(["t" * 8000]))
        assert sink.woken_all.wait(PATIENCE_SECONDS)
    finally:
        listener.stop()
        database.dispose()


@pytest.mark.postgres
def test_the_listener_stops_promptly() -> None:
    """Even while it cannot connect (nothing listens on this port)."""
    url = make_url(postgres_server_url()).set(port=1).render_as_string(hide_password=False)
    listener = TopicListener(url, RecordingSink(), reconnect_seconds=HOUR)
    listener.start()
    started = time.monotonic()
    listener.stop()
    assert time.monotonic() - started < PATIENCE_SECONDS
