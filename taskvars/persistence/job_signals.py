"""How a transaction tells the job executors that a job became due at some time (added,
given retries again, its due date moved, activated), in every server process that serves
the database, and only if it commits: an executor idling until later wakes up sooner.

As :mod:`.external_task_signals` does for parked fetches, by :mod:`.notifications`: on
PostgreSQL a ``NOTIFY`` on
its own channel (delivered at commit, dropped on rollback) heard by each process's
:class:`JobListener`; on SQLite an action after the commit that tells this process's
executors of the same database file. A transaction announces its earliest due date once.
"""

from __future__ import annotations

from threading import Event
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import AFTER_COMMIT
from taskvars.persistence.notifications import (
    ChannelListener,
    InProcessSinks,
    database_key,
    notify,
)

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
        notify(session, _NOTIFY, {"channel": CHANNEL, "payload": str(due)})
        return
    if announced is None:  # one action per transaction, reading the earliest at commit
        database = database_key(connection.engine.url)

        def tell_executors() -> None:
            earliest = session.info.pop(_ANNOUNCED, due)
            _IN_PROCESS.each(database, lambda sink: sink.job_due(earliest))

        session.info.setdefault(AFTER_COMMIT, []).append(tell_executors)


class JobListener:
    """Brings every process's announcements to ``sink`` between :meth:`start` and
    :meth:`stop`; on PostgreSQL a :class:`ChannelListener`, which after a lost
    connection tells the sink a job may be due now (announcements meanwhile are lost)."""

    def __init__(self, database_url: str, sink: JobSink) -> None:
        self._url = make_url(database_url)
        self._sink = sink
        self._channel: ChannelListener | None = None
        if self._url.get_backend_name() == "postgresql":
            self._channel = ChannelListener(
                self._url,
                CHANNEL,
                on_payload=self._relay,
                on_missed=lambda: sink.job_due(0),
                purpose="job announcements",
            )

    @property
    def listening(self) -> Event:
        """Set while announcements reach the sink."""
        return self._channel.listening if self._channel is not None else _ALWAYS

    def start(self) -> None:
        if self._channel is not None:
            self._channel.start()
        else:
            _IN_PROCESS.add(database_key(self._url), self._sink)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.stop()
        else:
            _IN_PROCESS.remove(database_key(self._url), self._sink)

    def _relay(self, payload: str) -> None:
        try:
            due = int(payload)
        except ValueError:
            due = 0
        self._sink.job_due(due)


_ALWAYS = Event()
_ALWAYS.set()
_IN_PROCESS: InProcessSinks[JobSink] = InProcessSinks()
