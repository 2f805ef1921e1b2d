"""How a transaction tells the job executors that a job became due at some time (added,
given retries again, its due date moved, activated), in every server process that serves
the database, and only if it commits: an executor idling until later wakes up sooner.

As :mod:`.external_task_signals` does for parked fetches: on PostgreSQL a ``NOTIFY`` on
its own channel (delivered at commit, dropped on rollback) heard by each process's
:class:`JobListener`; on SQLite an action after the commit that tells this process's
executors of the same database file. A transaction announces its earliest due date once.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import AFTER_COMMIT
from taskvars.persistence.external_task_signals import (
    RECONNECT_SECONDS,
    STOP_CHECK_SECONDS,
    _connection_arguments,
    _database_key,
)

logger = logging.getLogger(__name__)

CHANNEL = "taskvars_jobs"
# session.info: the earliest due date this transaction announced.
_ANNOUNCED = "taskvars.jobs.announced_due"
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


class JobSink(Protocol):
    """An executor: told that a job is due at ``due`` (epoch milliseconds)."""

    def job_due(self, due: int) -> None: ...


def announce(session: Session, due: int) -> None:
    """A job is due at ``due`` (epoch ms; now or earlier for a job due at once) if the
    transaction of ``session`` commits."""
    announced = session.info.get(_ANNOUNCED)
    if announced is not None and announced <= due:
        return
    session.info[_ANNOUNCED] = due
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        session.execute(_NOTIFY, {"channel": CHANNEL, "payload": str(due)})
        return
    if announced is None:  # one action per transaction, reading the earliest at commit
        database = _database_key(connection.engine.url)
        session.info.setdefault(AFTER_COMMIT, []).append(
            lambda: _IN_PROCESS.announce(database, session.info.pop(_ANNOUNCED, due))
        )


class JobListener:
    """Brings every process's announcements to ``sink`` between :meth:`start` and
    :meth:`stop`; on PostgreSQL a daemon thread that ``LISTEN``s on a connection of its
    own, which after a lost connection tells the sink a job may be due now."""

    def __init__(self, database_url: str, sink: JobSink) -> None:
        self._url = make_url(database_url)
        self._sink = sink
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    @property
    def _on_postgresql(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    def start(self) -> None:
        if not self._on_postgresql:
            _IN_PROCESS.add(_database_key(self._url), self._sink)
            self.listening.set()
            return
        self._thread = threading.Thread(
            target=self._listen_until_stopped, name="taskvars-job-listener", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if not self._on_postgresql:
            _IN_PROCESS.remove(_database_key(self._url), self._sink)
            return
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()

    def _listen_until_stopped(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                arguments = {
                    **_connection_arguments(self._url),
                    "application_name": "taskvars job listener",
                }
                with psycopg.connect(**arguments) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    if failures:
                        self._sink.job_due(0)  # announcements meanwhile are lost
                    failures = 0
                    self.listening.set()
                    self._relay(connection)
            except psycopg.Error as error:
                failures += 1
                logger.log(
                    logging.WARNING if failures == 1 else logging.DEBUG,
                    "no connection listening for job announcements: %s",
                    error,
                )
            except Exception:
                failures += 1
                logger.exception("listening for job announcements failed")
            self.listening.clear()
            self._stopping.wait(RECONNECT_SECONDS)

    def _relay(self, connection: psycopg.Connection[Any]) -> None:
        while not self._stopping.is_set():
            for notification in connection.notifies(timeout=STOP_CHECK_SECONDS):
                try:
                    due = int(notification.payload)
                except ValueError:
                    due = 0
                self._sink.job_due(due)


class _InProcessSinks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sinks: dict[str, list[JobSink]] = {}

    def add(self, database: str, sink: JobSink) -> None:
        with self._lock:
            self._sinks.setdefault(database, []).append(sink)

    def remove(self, database: str, sink: JobSink) -> None:
        with self._lock:
            sinks = self._sinks.get(database, [])
            if sink in sinks:
                sinks.remove(sink)
            if not sinks:
                self._sinks.pop(database, None)

    def announce(self, database: str, due: int) -> None:
        with self._lock:
            sinks = list(self._sinks.get(database, ()))
        for sink in sinks:
            sink.job_due(due)


_IN_PROCESS = _InProcessSinks()
