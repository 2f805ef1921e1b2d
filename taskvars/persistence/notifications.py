"""Announcements a transaction makes to every server process serving its database,
heard only if it commits: the one mechanism beneath :mod:`.external_task_signals` (topics
with fetchable tasks) and :mod:`.job_signals` (jobs becoming due).

On PostgreSQL an announcement is a ``NOTIFY`` on a channel, sent in the transaction:
PostgreSQL delivers it at commit to every connection listening (the notifying process's
own too) and drops it on rollback. Each process hears a channel through a
:class:`ChannelListener`, a daemon thread with an autocommit connection of its own. On
SQLite, whose writers share one process, an announcement is an action after the commit
handed to this process's :class:`InProcessSinks` of the same database file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import psycopg
from sqlalchemy import URL, Executable, text
from sqlalchemy.orm import Session

from taskvars.persistence.database import _POSTGRES_TIMEOUTS as POSTGRES_TIMEOUTS

logger = logging.getLogger(__name__)

# How long a listener waits before it connects again after losing its connection.
RECONNECT_SECONDS = 1.0
# How often a listener's thread looks up from its connection to see whether to stop.
STOP_CHECK_SECONDS = 0.5

Sink = TypeVar("Sink")

# Session.info: the session's work sent a notification (see notify).
_NOTIFIED = "taskvars.notified"
# Sent before the COMMIT of a shared transaction that notified (see notify).
COMMIT_WAITS_FOR_NOTIFICATION_QUEUE = text("SET LOCAL lock_timeout = 0")


def notify(session: Session, statement: Executable, parameters: dict[str, Any]) -> None:
    """Runs ``statement``, which calls ``pg_notify``, in the transaction of ``session``,
    and notes that it did (:func:`notified`).

    Committing a transaction that notified takes a lock on the database's notification
    queue, and holds it until the commit is durable (PostgreSQL's async.c,
    ``PreCommit_Notify``): such a COMMIT waits for another one's disk sync. A shared
    transaction bounds its statements' waits for row locks (``SHARED_LOCK_WAIT``); at
    its COMMIT that bound would fail every write of the batch over a slow sync, so its
    COMMIT is preceded by :data:`COMMIT_WAITS_FOR_NOTIFICATION_QUEUE` instead."""
    session.execute(statement, parameters)
    session.info[_NOTIFIED] = True


def notified(session: Session) -> bool:
    """Whether the work of ``session`` sent a notification (:func:`notify`)."""
    return bool(session.info.get(_NOTIFIED, False))


class ChannelListener:
    """Hands each payload ``NOTIFY``-ed on ``channel`` to ``on_payload``, between
    :meth:`start` and :meth:`stop`.

    A lost connection is opened again after ``reconnect_seconds``; since announcements
    made meanwhile are lost, ``on_missed`` is called once it listens again (and after a
    first connection that only succeeded after failures)."""

    def __init__(
        self,
        url: URL,
        channel: str,
        *,
        on_payload: Callable[[str], None],
        on_missed: Callable[[], None],
        purpose: str,
        reconnect_seconds: float = RECONNECT_SECONDS,
    ) -> None:
        self._url = url
        self._channel = channel
        self._on_payload = on_payload
        self._on_missed = on_missed
        self._purpose = purpose  # "external task announcements": for logs and pg_stat_activity
        self._reconnect_seconds = reconnect_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # Set while LISTEN is in place, with the server process that listens.
        self.listening = threading.Event()
        self.backend_pid: int | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._listen_until_stopped, name=f"taskvars-{self._channel}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Returns once nothing is handed on any more (within about a second)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _listen_until_stopped(self) -> None:
        connected_before = False
        failures = 0
        while not self._stopping.is_set():
            try:
                arguments = connection_arguments(self._url, f"taskvars {self._purpose}")
                with psycopg.connect(**arguments) as connection:
                    connection.execute(f"LISTEN {self._channel}")
                    if connected_before or failures:
                        logger.info("listening for %s again", self._purpose)
                        self._on_missed()
                    connected_before = True
                    failures = 0
                    self.backend_pid = connection.info.backend_pid
                    self.listening.set()
                    self._relay(connection)
            except psycopg.Error as error:
                # Said once per outage: what listens also looks again every so often.
                failures += 1
                logger.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "no connection listening for %s: %s",
                    self._purpose,
                    error,
                )
            except Exception:
                failures += 1
                logger.exception("listening for %s failed", self._purpose)
            self.listening.clear()
            self._stopping.wait(self._reconnect_seconds)

    def _relay(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stopping.is_set():
            for notification in connection.notifies(timeout=STOP_CHECK_SECONDS):
                self._on_payload(notification.payload)


class InProcessSinks(Generic[Sink]):
    """The sinks of this process, by SQLite database (see :func:`database_key`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: dict[str, list[Sink]] = {}

    def add(self, database: str, sink: Sink) -> None:
        with self._lock:
            self._sinks.setdefault(database, []).append(sink)

    def remove(self, database: str, sink: Sink) -> None:
        with self._lock:
            sinks = self._sinks.get(database, [])
            if sink in sinks:
                sinks.remove(sink)
            if not sinks:
                self._sinks.pop(database, None)

    def each(self, database: str, tell: Callable[[Sink], None]) -> None:
        """``tell`` every sink of ``database`` (outside the lock: a sink may take time)."""
        with self._lock:
            sinks = list(self._sinks.get(database, ()))
        for sink in sinks:
            tell(sink)


def connection_arguments(url: URL, application_name: str) -> dict[str, Any]:
    """libpq's keywords for the SQLAlchemy URL (its query too: ``options``, timeouts)."""
    arguments: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
        "autocommit": True,
        # Told apart from the pool's connections in pg_stat_activity.
        "application_name": application_name,
        # As the engine's connections: a server that vanished is noticed, and the
        # listener connects again.
        **POSTGRES_TIMEOUTS,
    }
    for name, value in url.query.items():
        arguments[name] = value if isinstance(value, str) else value[-1]
    return {name: value for name, value in arguments.items() if value is not None}


def database_key(url: URL) -> str:
    """One SQLite database however its path is spelled."""
    database = url.database
    if not database or database == ":memory:":
        return ":memory:"
    return os.path.realpath(database)
