"""Engines for SQLite (the embedded default) and PostgreSQL, set up the same way."""

from __future__ import annotations

import select
import sqlite3
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError

from taskvars.persistence.content_files import ContentFiles, content_directory

# Connection execution option: the SQL that opens a transaction on SQLite.
SQLITE_BEGIN = "taskvars_sqlite_begin"
# Connection execution option: that SQL runs on the DBAPI connection, not through
# SQLAlchemy's execution path, which costs more than a small write's own statements (the
# SQLite writer's, once per batch). Its errors are raised as SQLAlchemy raises them.
SQLITE_RAW_BEGIN = "taskvars_sqlite_raw_begin"


def create_database_engine(
    database_url: str, *, connections: int | None = None, lock_timeout: str | None = None
) -> Engine:
    """Raises ``ValueError`` for a URL that names no database this server supports.
    ``connections``: the pool holds at most this many (default: SQLAlchemy's 5 + 10).
    ``lock_timeout``: on PostgreSQL, how long each of its connections' statements waits
    for a lock at most (``lock_timeout``, set as the connection starts: no statement of
    its own, no round trip per transaction)."""
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise ValueError(f"not a database URL: {database_url!r}") from error
    if url.get_backend_name() == "sqlite":
        _require_directory(url.database)
        return _sqlite_engine(database_url, _pool_limits(connections))
    if url.get_backend_name() == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        settings = dict(_SESSION_SETTINGS)
        if lock_timeout is not None:
            settings["lock_timeout"] = lock_timeout
        connect_args = _timeouts(url) | {"options": _with_settings(url, settings)}
        engine = create_engine(url, connect_args=connect_args, **_pool_limits(connections))
        discard_dead_connections_on_checkout(engine)
        return engine
    raise ValueError(
        f"unsupported database {url.get_backend_name()!r}: use sqlite:/// or postgresql://"
    )


# libpq waits for ever by default: for a server that does not answer a connection
# attempt (connect_timeout, seconds), for a peer that vanished without closing the
# connection while data waits to be acknowledged (tcp_user_timeout, milliseconds), and,
# through the kernel's two-hour keepalive default, for one that vanished while we wait
# for its answer (keepalive probes after 10 s of silence, 5 s apart, 3 unanswered: 25 s;
# a live server answers probes however long its query runs). A request must get its 503
# well within the client timeout instead. The URL's own values, if it has any, win.
_POSTGRES_TIMEOUTS = {
    "connect_timeout": 10,
    "tcp_user_timeout": 20000,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def _timeouts(url: URL) -> dict[str, Any]:
    return {name: value for name, value in _POSTGRES_TIMEOUTS.items() if name not in url.query}


# PostgreSQL compiles a query to machine code (JIT) when its estimated cost passes
# ``jit_above_cost``: the task count over 100,000 tasks does, whatever its plan, and the
# compiling cost 15-70 ms of each count's 50-130 ms, every time (nothing is kept between
# queries). The server's queries are short index lookups that never win it back.
_SESSION_SETTINGS = {"jit": "off"}


def _with_settings(url: URL, settings: dict[str, str]) -> str:
    """libpq's ``options`` for a connection to ``url``: the URL's own (a schema's
    ``search_path``), then ``settings``, set as the session starts (no statement of
    their own, no round trip)."""
    given = url.query.get("options", "")
    own = " ".join(given) if isinstance(given, tuple) else given
    ours = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return f"{own} {ours}".strip()


def postgres_connect_arguments(url: URL) -> dict[str, Any]:
    """What psycopg's ``connect`` is given for the PostgreSQL database at ``url`` (an
    engine's): the URL's parameters, the timeouts and the session's settings above, as
    the engine connects (but for a ``lock_timeout`` of its own)."""
    dialect = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
    driver_url = url.set(drivername="postgresql+psycopg")
    _, arguments = dialect.create_connect_args(driver_url)  # type: ignore[no-untyped-call]
    return {**arguments, **_timeouts(url), "options": _with_settings(url, _SESSION_SETTINGS)}


def discard_dead_connections_on_checkout(engine: Engine) -> None:
    """A pooled PostgreSQL connection is pinged only if the server said something while
    it sat idle, which it does when it goes away (a restart, a terminated backend: an
    error, then end of file): asking the socket costs a system call, where a ping on
    every checkout (``pool_pre_ping``) cost a round trip per unit of work. A dead one
    is replaced before the unit of work gets it (SQLAlchemy's pool retries a checkout
    that raises ``DisconnectionError``). One that died unannounced (the network went)
    fails its first statement, which answers 503 and makes SQLAlchemy drop the pool's
    older connections, as before."""

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if not input_waiting(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("the server closed the pooled connection") from error


def input_waiting(dbapi_connection: Any) -> bool:
    """Whether the connection is closed or has unread input (nothing is owed to an idle
    connection: whatever came is the server's farewell, or a notice worth a ping)."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def _require_directory(database_path: str | None) -> None:
    """A file database's directory must exist: creating it would hide a typo in the path
    behind an empty database."""
    directory = content_directory(database_path)
    if directory is not None and not directory.parent.is_dir():
        raise ValueError(f"the directory of the SQLite database does not exist: {directory.parent}")


def _pool_limits(connections: int | None) -> dict[str, Any]:
    return {} if connections is None else {"pool_size": connections, "max_overflow": 0}


def _sqlite_engine(database_url: str, pool_limits: dict[str, Any]) -> Engine:
    # Connections are used from worker threads, one thread at a time.
    engine = create_engine(database_url, connect_args={"check_same_thread": False}, **pool_limits)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # 16 KiB pages: a value of up to 1 MiB (larger ones go to content files) is
        # stored as chunk rows in 64 overflow pages instead of 4 KiB pages' 256, while a
        # small write's commit puts far fewer bytes into the WAL than with 64 KiB pages.
        # Measured here: 1 KiB write 1.24 ms (64 KiB pages: 1.80, 4 KiB: 1.15), 1 MiB
        # write 7.2 ms (6.9, 10.2). Takes effect only on a new, empty database, and must
        # come before WAL mode is set.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit syncs the WAL before it returns, so an acknowledged write
        # survives a power cut too (NORMAL syncs only at checkpoints). Group commit
        # (group_commit.py) shares that sync among the writes that arrive together.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # LIKE compares case-sensitively, as on PostgreSQL and in Camunda; queries that
        # ignore case say so with UPPER on both sides.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Writers take the write lock up front (BEGIN IMMEDIATE): a deferred transaction
        # that upgrades to a writer later fails at once instead of waiting its turn.
        options = connection.get_execution_options()
        statement = options.get(SQLITE_BEGIN, "BEGIN")
        if not options.get(SQLITE_RAW_BEGIN):
            connection.exec_driver_sql(statement)
            return
        try:
            connection.connection.dbapi_connection.execute(statement)
        except sqlite3.Error as error:
            raise DBAPIError.instance(statement, (), error, sqlite3.Error) from error

    return engine


def content_files_for(database_url: str) -> ContentFiles | None:
    """Where the database at ``database_url`` keeps content files: beside an SQLite
    file; nowhere for PostgreSQL or an in-memory SQLite database."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        return None
    if url.get_backend_name() != "sqlite":
        return None
    directory = content_directory(url.database)
    return ContentFiles(directory) if directory is not None else None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
