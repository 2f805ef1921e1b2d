"""One request, one transaction: a unit of work that rolls back unless committed."""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from taskvars.persistence.content_files import ContentFiles
from taskvars.persistence.database import (
    SQLITE_BEGIN,
    content_files_for,
    create_database_engine,
    is_sqlite,
)
from taskvars.persistence.store import AFTER_COMMIT, Store
from taskvars.persistence.values import ConcurrentModificationError

WRITER_WAIT_SECONDS = 30


class UnitOfWork:
    """``with database.unit_of_work(write=True) as uow: ...; uow.commit()``.

    Reads run in one snapshot (a ``REPEATABLE READ`` transaction on PostgreSQL, a read
    transaction on SQLite), so a value streamed out chunk by chunk cannot change midway.
    Writes on SQLite take the write lock when they begin; within one process they first
    queue on ``writer_lock``.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        writer_lock: threading.Lock | None = None,
        content_files: ContentFiles | None = None,
    ) -> None:
        # SQLite has one writer at a time, and a writer that finds the database locked
        # sleeps in SQLite's busy handler with growing back-off (up to 100 ms a try):
        # under 8 concurrent uploads that sleeping, not work, set the pace (43% of samples,
        # p99 1.4 s). Writers of one process therefore wait on a Python lock, woken the
        # moment it is free; the busy handler is left to contention between processes.
        self._writer_lock = writer_lock if write and is_sqlite(engine) else None
        self._holds_writer_lock = False
        if is_sqlite(engine):
            options = {SQLITE_BEGIN: "BEGIN IMMEDIATE" if write else "BEGIN"}
        elif write:
            options = {"isolation_level": "READ COMMITTED"}
        else:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self._bind = engine.execution_options(**options)
        self._session: Session | None = None
        self._content_files = content_files

    @property
    def store(self) -> Store:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return Store(self._session, self._content_files)

    def open(self) -> UnitOfWork:
        """Begin; for a unit of work that outlives a ``with`` block (a streamed download)."""
        if self._writer_lock is not None:
            # As long as SQLite's own busy_timeout: a writer waits, then is told to retry.
            if not self._writer_lock.acquire(timeout=WRITER_WAIT_SECONDS):
                raise ConcurrentModificationError("the database stayed busy with other writers")
            self._holds_writer_lock = True
        self._session = Session(self._bind, expire_on_commit=False, autoflush=False)
        return self

    def __enter__(self) -> UnitOfWork:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def commit(self) -> None:
        assert self._session is not None
        try:
            self._session.commit()
        except (IntegrityError, StaleDataError) as error:
            raise ConcurrentModificationError(str(error)) from error
        for action in self._session.info.pop(AFTER_COMMIT, []):
            action()

    def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        try:
            if self._session is not None:
                self._session.info.pop(AFTER_COMMIT, None)
                self._session.close()
                self._session = None
        finally:
            if self._holds_writer_lock:
                self._holds_writer_lock = False
                assert self._writer_lock is not None
                self._writer_lock.release()


class Database:
    """The engine and the way to open units of work on it."""

    def __init__(self, database_url: str) -> None:
        self.engine = create_database_engine(database_url)
        self._writer_lock = threading.Lock()
        self.content_files = content_files_for(database_url)
        if self.content_files is not None:
            self.content_files.prepare()

    def unit_of_work(self, *, write: bool) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            write=write,
            writer_lock=self._writer_lock,
            content_files=self.content_files,
        )

    def sweep_content_files(self) -> int:
        """Remove content files that no committed value names (see content_files);
        returns how many. Safe while other processes serve the same database."""
        if self.content_files is None:
            return 0
        with self.unit_of_work(write=True) as uow:
            return self.content_files.sweep(uow.store.referenced_content_files())

    def dispose(self) -> None:
        self.engine.dispose()
