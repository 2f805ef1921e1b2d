"""How a transaction tells parked fetch-and-lock requests that tasks of some topics became
fetchable (created, unlocked, given retries again, their instance activated), in every
server process that serves the database, and only if it commits.

On PostgreSQL, :func:`announce` is a ``NOTIFY`` in the transaction: PostgreSQL delivers it
at commit, to every connection listening (the notifying process's own too), and drops it
on rollback, a rolled-back savepoint's too. Each process's :class:`TopicListener` listens
on a connection of its own. On SQLite, whose writers share one process or the re-check of
:mod:`taskvars.services.long_polling`, the announcement is an action after the commit
that tells the sinks of this process listening on the same database file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

import psycopg
from sqlalchemy import URL, text
from sqlalchemy.engine import make_url

from taskvars.persistence.binary_contents import AFTER_COMMIT
from taskvars.persistence.database import _POSTGRES_TIMEOUTS as POSTGRES_TIMEOUTS

if TYPE_CHECKING:
    from taskvars.persistence.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

CHANNEL = "taskvars_external_tasks"
# A payload that names no topic: every topic may have tasks.
ANY_TOPIC = ""
# PostgreSQL refuses a payload of 8000 bytes or more (async.c, NOTIFY_PAYLOAD_MAX_LENGTH).
MAX_PAYLOAD_BYTES = 7999
# How long the listener waits before it connects again after losing its connection.
RECONNECT_SECONDS = 1.0
# How often the listener's thread looks up from its connection to see whether to stop.
STOP_CHECK_SECONDS = 0.5

_NOTIFY_EACH = text(
    "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload"
)


class TopicSink(Protocol):
    """What the announcements are for: the parked requests of one server process."""

    def topics_available(self, topics: Iterable[str]) -> None: ...

    def wake_all(self) -> None: ...


def announce(uow: UnitOfWork, topics: Iterable[str]) -> None:
    """Tasks of ``topics`` become fetchable if ``uow`` commits."""
    unique = sorted(set(topics))
    if not unique:
        return
    session = uow.store.session
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        payloads = [_payload(topic) for topic in unique]
        session.execute(_NOTIFY_EACH, {"channel": CHANNEL, "payloads": payloads})
        return
    database = _database_key(connection.engine.url)
    session.info.setdefault(AFTER_COMMIT, []).append(lambda: _IN_PROCESS.announce(database, unique))


def _payload(topic: str) -> str:
    # A topic too long for a payload (topic names are at most 255 characters, so only in
    # theory) wakes every request instead.
    return topic if len(topic.encode()) <= MAX_PAYLOAD_BYTES else ANY_TOPIC


class TopicListener:
    """Brings the announcements of every server process to ``sink``, between
    :meth:`start` and :meth:`stop`.

    On PostgreSQL: a daemon thread with an autocommit connection of its own that
    ``LISTEN``s. A lost connection is opened again, and since announcements made
    meanwhile are lost, the sink is then told that every topic may have tasks.
    """

    def __init__(
        self, database_url: str, sink: TopicSink, *, reconnect_seconds: float = RECONNECT_SECONDS
    ) -> None:
        self._url = make_url(database_url)
        self._sink = sink
        self._reconnect_seconds = reconnect_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Set while LISTEN is in place, with the server process that listens.
        self.listening = threading.Event()
        self.backend_pid: int | None = None

    @property
    def _on_postgresql(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    def start(self) -> None:
        if not self._on_postgresql:
            _IN_PROCESS.add(_database_key(self._url), self._sink)
            self.listening.set()
            return
        self._thread = threading.Thread(
            target=self._listen_until_stopped, name="taskvars-topic-listener", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Returns once nothing reaches the sink any more (within about a second)."""
        if not self._on_postgresql:
            _IN_PROCESS.remove(_database_key(self._url), self._sink)
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _listen_until_stopped(self) -> None:
        connected_before = False
        failures = 0
        while not self._stopping.is_set():
            try:
                with psycopg.connect(**_connection_arguments(self._url)) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if connected_before:
                        logger.info("listening for external task announcements again")
                        self._sink.wake_all()
                    connected_before = True
                    failures = 0
                    self.backend_pid = connection.info.backend_pid
                    self.listening.set()
                    self._relay(connection)
            except psycopg.Error as error:
                # Said once per outage; parked requests still re-check every so often.
                failures += 1
                logger.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "no connection listening for external task announcements: %s",
                    error,
                )
            except Exception:
                logger.exception("listening for external task announcements failed")
            self.listening.clear()
            self._stopping.wait(self._reconnect_seconds)

    def _relay(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stopping.is_set():
            for notification in connection.notifies(timeout=STOP_CHECK_SECONDS):
                if notification.payload == ANY_TOPIC:
                    self._sink.wake_all()
                else:
                    self._sink.topics_available((notification.payload,))


def _connection_arguments(url: URL) -> dict[str, Any]:
    """libpq's keywords for the SQLAlchemy URL (its query too: ``options``, timeouts)."""
    arguments: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "autocommit": True,
        # Told apart from the pool's connections in pg_stat_activity.
        "application_name": "taskvars topic listener",
        # As the engine's connections: a server that vanished is noticed, and the
        # listener connects again.
        **POSTGRES_TIMEOUTS,
    }
    for name, value in url.query.items():
        arguments[name] = value if isinstance(value, str) else value[-1]
    return {name: value for name, value in arguments.items() if value is not None}


def _database_key(url: URL) -> str:
    """One SQLite database however its path is spelled."""
    database = url.database
    if not database or database == ":memory:":
        return ":memory:"
    return os.path.realpath(database)


class _InProcessSinks:
    """The sinks of this process, by SQLite database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: dict[str, list[TopicSink]] = {}

    def add(self, database: str, sink: TopicSink) -> None:
        with self._lock:
            self._sinks.setdefault(database, []).append(sink)

    def remove(self, database: str, sink: TopicSink) -> None:
        with self._lock:
            sinks = self._sinks.get(database, [])
            if sink in sinks:
                sinks.remove(sink)
            if not sinks:
                self._sinks.pop(database, None)

    def announce(self, database: str, topics: list[str]) -> None:
        with self._lock:
            sinks = list(self._sinks.get(database, ()))
        for sink in sinks:
            sink.topics_available(topics)


_IN_PROCESS = _InProcessSinks()
