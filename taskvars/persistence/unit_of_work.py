"""One request, one transaction: a unit of work that rolls back unless committed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from taskvars.persistence.binary_contents import AFTER_COMMIT
from taskvars.persistence.content_files import (
    ContentFiles,
    ContentReplacedError,
    TemporaryUploadFile,
    UploadFile,
)
from taskvars.persistence.database import (
    SQLITE_BEGIN,
    content_files_for,
    create_database_engine,
    is_sqlite,
)
from taskvars.persistence.store import DEFAULT_CHUNK_BYTES, Store
from taskvars.persistence.values import ConcurrentModificationError, DatabaseUnreachableError

T = TypeVar("T")
R = TypeVar("R")

WRITER_WAIT_SECONDS = 30
# A read whose content file a writer replaced meanwhile runs again, at most this often.
CONTENT_READ_ATTEMPTS = 3


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
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    ) -> None:
        # SQLite has one writer at a time, and a writer that finds the database locked
        # sleeps in SQLite's busy handler with growing back-off (up to 100 ms a try), so
        # under concurrent uploads that sleeping, not work, would set the pace. Writers of
        # one process therefore wait on a Python lock, woken the moment it is free; the
        # busy handler is left to contention between processes.
        self._writer_lock = writer_lock if write and is_sqlite(engine) else None
        self._holds_writer_lock = False
        options: dict[str, Any]
        if is_sqlite(engine):
            options = {SQLITE_BEGIN: "BEGIN IMMEDIATE" if write else "BEGIN"}
        elif write:
            options = {"isolation_level": "READ COMMITTED"}
        else:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self._bind = engine.execution_options(**options)
        self._session: Session | None = None
        self._content_files = content_files
        self._chunk_bytes = chunk_bytes
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the unit of work is not open")
        return self._store

    def open(self) -> UnitOfWork:
        """Begin; for a unit of work that outlives a ``with`` block (a streamed download)."""
        if self._writer_lock is not None:
            # As long as SQLite's own busy_timeout: a writer waits, then is told to retry.
            if not self._writer_lock.acquire(timeout=WRITER_WAIT_SECONDS):
                raise ConcurrentModificationError("the database stayed busy with other writers")
            self._holds_writer_lock = True
        self._session = Session(self._bind, expire_on_commit=False, autoflush=False)
        self._store = Store(self._session, self._content_files, self._chunk_bytes)
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
            raise ConcurrentModificationError(
                "another request changed the same data at the same time"
            ) from error
        for action in self._session.info.pop(AFTER_COMMIT, []):
            action()

    def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        try:
            if self._session is not None:
                self._session.info.pop(AFTER_COMMIT, None)
                self._session.close()
                self._session = None
                self._store = None
        finally:
            if self._holds_writer_lock:
                self._holds_writer_lock = False
                assert self._writer_lock is not None
                self._writer_lock.release()


class Database:
    """The engine, its content files, and the way to open units of work on it.

    The one owner of the content files: the spool of an upload gets its file from
    :meth:`new_upload_file`, and the store adopts that same file as the value's content.
    """

    def __init__(self, database_url: str, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.engine = create_database_engine(database_url)
        self.chunk_bytes = chunk_bytes
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
            chunk_bytes=self.chunk_bytes,
        )

    def new_upload_file(self) -> UploadFile:
        """Where an upload that outgrew memory is spooled: on SQLite, the content file it
        will be stored as; elsewhere a temporary file the store copies from."""
        if self.content_files is not None:
            return self.content_files.create()
        return TemporaryUploadFile()

    def read(self, query: Callable[[UnitOfWork], T]) -> T:
        """``query`` in a read unit of work, closed afterwards; see :meth:`open_read`."""

        def closed_after(uow: UnitOfWork) -> T:
            with uow:
                return query(uow)

        return self._reading(closed_after)

    def open_read(self, query: Callable[[UnitOfWork], T]) -> tuple[UnitOfWork, T]:
        """``query`` in a read unit of work left open for the caller to close (a download
        streamed after the request's handler has returned).

        A query whose content file was removed under its snapshot by a writer that
        replaced the value runs again, in a new snapshot that sees the newer value;
        replaced under every attempt, it is a :class:`ConcurrentModificationError`.
        """

        def left_open(uow: UnitOfWork) -> tuple[UnitOfWork, T]:
            uow.open()
            try:
                return uow, query(uow)
            except BaseException:
                uow.close()
                raise

        return self._reading(left_open)

    def _reading(self, attempt: Callable[[UnitOfWork], R]) -> R:
        for _ in range(CONTENT_READ_ATTEMPTS):
            try:
                return attempt(self.unit_of_work(write=False))
            except ContentReplacedError:
                continue
        raise ConcurrentModificationError("the value was replaced each time it was read")

    def sweep_content_files(self) -> int:
        """Remove content files that no committed value names (see content_files);
        returns how many. Safe while other processes serve the same database."""
        if self.content_files is None:
            return 0
        with self.unit_of_work(write=True) as uow:
            return self.content_files.sweep(uow.store.contents.referenced_files())

    def check_schema(self) -> str:
        """The schema's migration version, read from the database: a database that
        answers but lost its tables is not up either. Raises
        :class:`DatabaseUnreachableError`."""
        try:
            with self.engine.connect() as connection:
                version = connection.scalar(text("SELECT version_num FROM alembic_version"))
        except SQLAlchemyError as error:
            message = str(error).splitlines()[0]
            raise DatabaseUnreachableError(f"The database did not answer: {message}") from None
        if version is None:
            raise DatabaseUnreachableError("The database has no schema version")
        return str(version)

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
