"""How a transaction tells parked fetch-and-lock requests that tasks of some topics became
fetchable (created, unlocked, given retries again, their instance activated), in every
server process that serves the database, and only if it commits.

On PostgreSQL, :func:`announce` is a ``NOTIFY`` in the transaction: PostgreSQL delivers it
at commit, to every connection listening (the notifying process's own too), and drops it
on rollback, a rolled-back savepoint's too. Each process's :class:`TopicListener` listens
on a connection of its own. On SQLite, whose writers share one process or the re-check of
:mod:`taskvars.services.long_polling`, the announcement is an action after the commit
that tells the sinks of this process listening on the same database file. The mechanism
is :mod:`.notifications`'.
"""

from __future__ import annotations

from collections.abc import Iterable
from threading import Event
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url

from taskvars.persistence.binary_contents import AFTER_COMMIT
from taskvars.persistence.notifications import (
    RECONNECT_SECONDS,
    ChannelListener,
    InProcessSinks,
    database_key,
    notify,
)

if TYPE_CHECKING:
    from taskvars.persistence.unit_of_work import UnitOfWork

CHANNEL = "taskvars_external_tasks"
# A payload that names no topic: every topic may have tasks.
ANY_TOPIC = ""
# PostgreSQL refuses a payload of 8000 bytes or more (async.c, NOTIFY_PAYLOAD_MAX_LENGTH).
MAX_PAYLOAD_BYTES = 7999

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
        notify(session, _NOTIFY_EACH, {"channel": CHANNEL, "payloads": payloads})
        return
    database = database_key(connection.engine.url)
    session.info.setdefault(AFTER_COMMIT, []).append(
        lambda: _IN_PROCESS.each(database, lambda sink: sink.topics_available(unique))
    )


def _payload(topic: str) -> str:
    # A topic too long for a payload (topic names are at most 255 characters, so only in
    # theory) wakes every request instead.
    return topic if len(topic.encode()) <= MAX_PAYLOAD_BYTES else ANY_TOPIC


class TopicListener:
    """Brings the announcements of every server process to ``sink``, between
    :meth:`start` and :meth:`stop`. On PostgreSQL a :class:`ChannelListener`; since
    announcements made while its connection was lost are lost, the sink is then told
    that every topic may have tasks."""

    def __init__(
        self, database_url: str, sink: TopicSink, *, reconnect_seconds: float = RECONNECT_SECONDS
    ) -> None:
        self._url = make_url(database_url)
        self._sink = sink
        self._channel: ChannelListener | None = None
        if self._url.get_backend_name() == "postgresql":
            self._channel = ChannelListener(
                self._url,
                CHANNEL,
                on_payload=self._relay,
                on_missed=sink.wake_all,
                purpose="external task announcements",
                reconnect_seconds=reconnect_seconds,
            )

    @property
    def listening(self) -> Event:
        """Set while announcements reach the sink."""
        return self._channel.listening if self._channel is not None else _ALWAYS

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL server process that listens."""
        return self._channel.backend_pid if self._channel is not None else None

    def start(self) -> None:
        if self._channel is not None:
            self._channel.start()
        else:
            _IN_PROCESS.add(database_key(self._url), self._sink)

    def stop(self) -> None:
        """Returns once nothing reaches the sink any more (within about a second)."""
        if self._channel is not None:
            self._channel.stop()
        else:
            _IN_PROCESS.remove(database_key(self._url), self._sink)

    def _relay(self, payload: str) -> None:
        if payload == ANY_TOPIC:
            self._sink.wake_all()
        else:
            self._sink.topics_available((payload,))


_ALWAYS = Event()
_ALWAYS.set()
_IN_PROCESS: InProcessSinks[TopicSink] = InProcessSinks()
