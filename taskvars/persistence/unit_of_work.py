"""One request, one transaction: a unit of work that rolls back unless committed."""

from __future__ import annotations

import functools
import logging
import tempfile
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar, cast

import anyio
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from taskvars.persistence.binary_contents import AFTER_COMMIT, small_value_bytes
from taskvars.persistence.content_files import (
    ContentFiles,
    ContentReplacedError,
    TemporaryUploadFile,
    UploadFile,
)
from taskvars.persistence.count_reuse import CountReuse, count_reuse_for
from taskvars.persistence.database import (
    SQLITE_BEGIN,
    SQLITE_RAW_BEGIN,
    content_files_for,
    create_database_engine,
    is_sqlite,
)
from taskvars.persistence.failures import most_telling
from taskvars.persistence.group_commit import Batch, GroupCommit
from taskvars.persistence.late_checkins import LateCheckins
from taskvars.persistence.notifications import notified
from taskvars.persistence.postgres_upload import StreamedContent, StreamedUploads
from taskvars.persistence.read_sessions import ReadSessions
from taskvars.persistence.sqlite_reader import SqliteReader
from taskvars.persistence.sqlite_small_values import SmallTaskUploads
from taskvars.persistence.sqlite_writer import SqliteWriter, Turn, WriteItem
from taskvars.persistence.store import DEFAULT_CHUNK_BYTES, Store
from taskvars.persistence.values import (
    ConcurrentModificationError,
    DatabaseUnreachableError,
    LockConflictError,
)
from taskvars.persistence.variables import RawVisibleFrom

logger = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

WRITER_WAIT_SECONDS = 30
# Writes that store more binary content than this do not share a commit on PostgreSQL.
SHARED_COMMIT_MAX_BYTES = 1024 * 1024
# A read whose content file a writer replaced meanwhile runs again, at most this often.
CONTENT_READ_ATTEMPTS = 3
# A write that lost a lock to another transaction (not a stale version) runs again, at
# most this often in all.
WRITE_ATTEMPTS = 3
# How long a writer in a shared PostgreSQL transaction waits for a row another
# transaction holds before it steps out and runs again in a transaction of its own.
# While it waits, the batch (and the turn of every writer queued behind it) waits too;
# and it waits holding the locks of every writer before it in the batch, which is how
# two batches of two server processes deadlock on writes that do not conflict at all.
SHARED_LOCK_WAIT = "100ms"
# How long disposing of the database waits for streamed uploads to roll back and give
# their connections back (a COPY under way ends with its current block).
STREAMED_CLOSE_SECONDS = 10.0
# How long a clean stop waits for content files still to be removed (file_removal); what
# is left then is removed at the next start.
REMOVALS_WAIT_SECONDS = 30.0
# Session info key: callables to run as the work commits (UnitOfWork.before_commit).
_BEFORE_COMMIT = "taskvars_before_commit"


class UnitOfWork:
    """``with database.unit_of_work(write=True) as uow: ...; uow.commit()``.

    Reads run in one snapshot (a ``REPEATABLE READ`` transaction on PostgreSQL, a read
    transaction on SQLite), so a value streamed out chunk by chunk cannot change midway.
    Writes share their commit with the writes around them: on SQLite in the one
    writer's transaction (:mod:`.sqlite_writer`: ``turn``, the writer thread's own, or
    ``writer``, a turn borrowed by the calling thread), on PostgreSQL in a group commit
    (:mod:`.group_commit`); each in a savepoint of its own when others' work is in the
    transaction already. A write given none of them (a large upload on PostgreSQL) has a
    transaction of its own. After :meth:`commit` the unit of work is closed: its
    connection is no longer its own.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        write: bool,
        group: GroupCommit | None = None,
        writer: SqliteWriter | None = None,
        turn: Turn | None = None,
        content_files: ContentFiles | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        history: bool = True,
        read_sessions: ReadSessions | None = None,
        streamed: StreamedContent | None = None,
        task_counts: CountReuse | None = None,
    ) -> None:
        # The transaction of an upload's content, stored as it arrived: the work joins it
        # in a savepoint (a write that lost a lock runs again without losing the
        # content), and its commit commits the whole.
        self._streamed = streamed if write else None
        self._group = group if write else None
        self._writer = writer if write else None
        self._turn = turn if write else None
        # A turn borrowed from the writer (``writer``), until given back.
        self._borrowed: WriteItem | None = None
        self._history = history
        self._batch: Batch | None = None
        # Runs without a savepoint (first in its shared transaction): not committed, the
        # whole transaction is to be rolled back.
        self._alone = False
        self._bind = _transactions_cached(engine, write=write)
        self._session: Session | None = None
        # Reads take a kept session (read_sessions) and give it back as they close.
        self._read_sessions = read_sessions if not write else None
        # Counts kept across reads (count_reuse): a read's session holds no writes.
        self._task_counts = task_counts if self._read_sessions is not None else None
        self._content_files = content_files
        self._chunk_bytes = chunk_bytes
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the unit of work is not open")
        return self._store

    @property
    def scratch(self) -> dict[str, Any]:
        """What the work notes for itself until it ends (the session's ``info``)."""
        assert self._session is not None
        return self._session.info

    def before_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` as :meth:`commit` begins, before anything is made durable
        (conditional events dispatched on the variables the work wrote)."""
        self.scratch.setdefault(_BEFORE_COMMIT, []).append(action)

    def open(self) -> UnitOfWork:
        """Begin; for a unit of work that outlives a ``with`` block (a streamed download)."""
        if self._writer is not None:
            # As long as SQLite's own busy_timeout: a writer waits, then is told to retry.
            self._borrowed, self._turn = self._writer.lend(WRITER_WAIT_SECONDS)
        if self._turn is not None:
            self._session = self._joined_session(self._turn.connection, self._turn.savepoint)
        elif self._streamed is not None:
            self._streamed.adopted = False
            self._session = self._joined_session(self._streamed.connection, savepoint=True)
        elif self._read_sessions is not None:
            self._session = self._read_sessions.take()
        elif self._group is None:
            self._session = Session(self._bind, expire_on_commit=False, autoflush=False)
        else:
            # As long as SQLite's own busy_timeout: a writer waits, then is told to retry.
            self._batch = self._group.join(WRITER_WAIT_SECONDS)
            try:
                # The batch's first writer has nobody's work to protect: no savepoint.
                self._session = self._joined_session(
                    self._batch.connection, savepoint=self._batch.members > 0
                )
            except BaseException:
                self.close()  # gives the turn up: the writers queued behind must not wait
                raise
        self._store = Store(
            self._session,
            self._content_files,
            self._chunk_bytes,
            history=self._history,
            task_counts=self._task_counts,
        )
        return self

    def _joined_session(self, connection: Connection, savepoint: bool) -> Session:
        """A session in the shared transaction on ``connection``: in a savepoint of its
        own, or (``savepoint`` false) directly in it, committing nothing of it; then a
        failure rolls the whole transaction back (a flush that fails does so itself)."""
        self._alone = not savepoint
        return Session(
            connection,
            join_transaction_mode="create_savepoint" if savepoint else "rollback_only",
            expire_on_commit=False,
            autoflush=False,
        )

    def __enter__(self) -> UnitOfWork:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close(exc)
        if isinstance(exc, DBAPIError) and _lost_a_lock(exc):
            raise LockConflictError(
                "another request changed the same data at the same time"
            ) from exc

    def commit(self) -> None:
        """Make the work durable; returns once it is (in a shared commit, once that
        commit is). Raises :class:`ConcurrentModificationError` on a lost race, and
        :class:`SharedCommitFailedError` when the shared commit failed."""
        assert self._session is not None
        # Actions may add actions (a fired event writes variables in turn).
        while actions := self._session.info.pop(_BEFORE_COMMIT, []):
            for action in actions:
                action()
        streamed = self._streamed
        if streamed is not None and not streamed.adopted:
            self.store.contents.delete(streamed.content_pk)  # not stored: no orphan
        try:
            self._session.commit()
            if streamed is not None:
                streamed.commit()
        except (IntegrityError, StaleDataError) as error:
            raise ConcurrentModificationError(
                "another request changed the same data at the same time"
            ) from error
        after_commit = self._session.info.pop(AFTER_COMMIT, [])
        self._alone = False  # its work stays in the shared transaction
        if self._turn is not None:
            # The writer commits the batch, then runs the actions (sqlite_writer).
            turn, borrowed = self._turn, self._borrowed
            turn.joined = True
            turn.after_commit.extend(after_commit)
            self.close()
            if borrowed is not None:
                assert self._writer is not None
                self._writer.wait_committed(borrowed)
            return
        batch, self._batch = self._batch, None
        if batch is not None:
            assert self._group is not None
            batch.notified = batch.notified or notified(self._session)
            try:
                self.close()
            finally:
                self._group.leave(batch, with_work=True)
        # Committed: every action runs (a kept upload file must stay even if removing
        # some replaced file failed), and none of them can undo the answer.
        for action in after_commit:
            try:
                action()
            except Exception:
                logger.exception("an action after a commit failed")

    def close(self, error: BaseException | None = None) -> None:
        """Roll back whatever was not committed and give the connection back.
        ``error``: what ended the work, if anything did."""
        try:
            if self._session is not None:
                session, self._session, self._store = self._session, None, None
                session.info.pop(AFTER_COMMIT, None)
                session.info.pop(_BEFORE_COMMIT, None)
                if self._read_sessions is not None:
                    self._read_sessions.close(session)
                else:
                    session.close()
                if self._alone:
                    # Not committed, and in no savepoint: only the whole transaction can
                    # undo it (it holds no one else's work). The SQLite writer rolls
                    # back a turn that did not join; a group's batch is given up.
                    self._alone = False
                    if self._batch is not None:
                        self._batch.broken = True
        except BaseException as closing_error:
            broken_by = most_telling(error, closing_error)
            if self._batch is not None:
                # Its savepoint could not be rolled back: the shared transaction may hold
                # half of this writer's work, or be gone.
                self._batch.broken = True
                self._batch.broken_by = self._batch.broken_by or broken_by
            if self._turn is not None:
                self._turn.broken_by = self._turn.broken_by or broken_by
            raise
        finally:
            batch, self._batch = self._batch, None
            if batch is not None:
                assert self._group is not None
                self._group.leave(batch, with_work=False, error=error)
            borrowed, self._borrowed = self._borrowed, None
            self._turn = None
            if borrowed is not None:
                assert self._writer is not None
                self._writer.give_back(borrowed)


def transactions(engine: Engine, *, write: bool) -> Engine:
    """``engine``, beginning the kind of transaction a write or a read needs."""
    options: dict[str, Any]
    if is_sqlite(engine):
        options = {SQLITE_BEGIN: "BEGIN IMMEDIATE" if write else "BEGIN"}
    elif write:
        options = {"isolation_level": "READ COMMITTED"}
    else:
        options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    return engine.execution_options(**options)


def _transactions_cached(engine: Engine, *, write: bool) -> Engine:
    """:func:`transactions`, made once per engine and kind: each call builds an engine
    copy and its event dispatch, more than a small read's query costs."""
    binds: dict[bool, Engine] = engine.__dict__.setdefault(_TRANSACTION_BINDS, {})
    bind = binds.get(write)
    if bind is None:
        bind = binds[write] = transactions(engine, write=write)
    return bind


# Where :func:`_transactions_cached` keeps an engine's binds, on the engine itself: they
# live and go with it.
_TRANSACTION_BINDS = "_taskvars_transaction_binds"


def _lost_a_lock(error: DBAPIError) -> bool:
    """PostgreSQL chose this transaction as a deadlock's victim, could not serialise it,
    or gave up waiting for a row lock (``lock_timeout``)."""
    return getattr(error.orig, "sqlstate", None) in LOCK_SQLSTATES


# deadlock_detected, serialization_failure, lock_not_available
LOCK_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


class Database:
    """The engine, its content files, and the way to open units of work on it.

    The one owner of the content files: the spool of an upload gets its file from
    :meth:`new_upload_file`, and the store adopts that same file as the value's content.
    """

    def __init__(
        self, database_url: str, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES, history: bool = True
    ) -> None:
        self.engine = create_database_engine(database_url)
        self._engine_checkins = LateCheckins(self.engine)
        self.chunk_bytes = chunk_bytes
        # Whether process instances models run are recorded in history when they end.
        self.history = history
        self.content_files = content_files_for(database_url)
        # Shared commits get connections of their own: queued in the pool behind slow
        # downloads (each holds one while it streams), the writer holding the turn would
        # keep every other writer waiting. Two: one batch commits while the next fills.
        # (An in-memory SQLite database is one connection's own: it shares the engine.)
        # On PostgreSQL a writer in a shared transaction waits SHARED_LOCK_WAIT at most
        # for a lock (see write): the commit engine's connections serve shared
        # transactions only, so each has that lock_timeout from its start.
        self.commit_engine = (
            create_database_engine(database_url, connections=2, lock_timeout=SHARED_LOCK_WAIT)
            if not is_sqlite(self.engine) or self.content_files is not None
            else self.engine
        )
        self._commit_checkins = (
            LateCheckins(self.commit_engine)
            if self.commit_engine is not self.engine
            else self._engine_checkins
        )
        # SQLite: one writer thread owns the write connection (sqlite_writer); PostgreSQL:
        # writers take turns on a shared transaction (group_commit). Both are observed
        # the same way (metrics).
        self.sqlite_writer: SqliteWriter | None = None
        self.group_commit: GroupCommit | SqliteWriter
        if is_sqlite(self.engine):
            self.group_commit = self.sqlite_writer = SqliteWriter(
                transactions(self.commit_engine, write=True).execution_options(
                    **{SQLITE_RAW_BEGIN: True}
                ),
                own_connection=self.content_files is not None,
            )
        else:
            self.group_commit = GroupCommit(
                transactions(self.commit_engine, write=True),
                overlap_commits=True,
            )
        # Told each time a write runs again after losing a lock (see write; metrics).
        self.on_write_retry: Callable[[], None] | None = None
        if self.content_files is not None:
            self.content_files.prepare()
        # Chosen once, now: the standard library picks the temporary directory on first
        # use, skipping one it cannot write a test file into, so a TMPDIR full at that
        # moment would silently move every later upload elsewhere.
        self.spool_directory = tempfile.gettempdir()
        self._read_sessions = ReadSessions(_transactions_cached(self.engine, write=False))
        # SQLite in a file: single-statement reads run raw on a reading thread
        # (sqlite_reader); an in-memory database is one connection's own.
        self.sqlite_reader: SqliteReader | None = None
        self.raw_visible_from: RawVisibleFrom | None = None
        # SQLite: the fast path's small uploads to a task, raw on the writer thread.
        self.small_task_uploads = (
            SmallTaskUploads(self.engine.dialect, self.content_files)
            if self.sqlite_writer is not None
            else None
        )
        # Task counts answered again while the database has not changed (count_reuse).
        self.task_counts = count_reuse_for(
            self.engine, in_memory=is_sqlite(self.engine) and self.content_files is None
        )
        if is_sqlite(self.engine) and self.content_files is not None:
            self.sqlite_reader = SqliteReader(self.engine)
            self.raw_visible_from = RawVisibleFrom(
                self.engine.dialect, small_value_bytes(chunk_bytes)
            )
        # PostgreSQL: large uploads are copied in as they arrive (see postgres_upload).
        self.streamed_uploads = (
            None
            if is_sqlite(self.engine)
            else StreamedUploads(_transactions_cached(self.engine, write=True), chunk_bytes)
        )

    def write(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        content_bytes: int = 0,
        streamed: StreamedContent | None = None,
    ) -> T:
        """``work`` (which commits) in a write unit of work; see :meth:`unit_of_work`.
        Returns once its commit is durable.

        On SQLite ``work`` runs on the writer thread (:mod:`.sqlite_writer`), in a batch
        with the writes queued beside it: it must do database work only, never wait for
        anything (nor write again), or every writer waits with it; such work opens
        :meth:`unit_of_work` on its own thread instead.

        A write PostgreSQL failed over a lock (:class:`LockConflictError`: a deadlock's
        victim, or a row that stayed locked past :data:`SHARED_LOCK_WAIT` in a shared
        transaction) stored nothing, and most likely conflicted with the other writers
        of its batch, not with its own data: it runs again in a transaction of its own,
        holding no locks but its own, up to :data:`WRITE_ATTEMPTS` times in all. A stale
        version is a conflict of the data itself and is not retried.

        ``streamed``: content stored as it arrived (PostgreSQL): the work runs in its
        transaction (each attempt in a savepoint), which commits with it.
        """
        if self.sqlite_writer is not None:
            return cast(T, self.sqlite_writer.run(self.on_turn(work), WRITER_WAIT_SECONDS))
        attempt = 1
        while True:
            uow = self.unit_of_work(
                write=True,
                content_bytes=content_bytes,
                own_transaction=attempt > 1,
                streamed=streamed,
            )
            try:
                with uow:
                    return work(uow)
            except LockConflictError:
                if attempt == WRITE_ATTEMPTS:
                    raise
            logger.debug("a write lost a lock (attempt %d of %d)", attempt, WRITE_ATTEMPTS)
            if self.on_write_retry is not None:
                self.on_write_retry()
            attempt += 1

    async def write_async(
        self,
        work: Callable[[UnitOfWork], T],
        *,
        content_bytes: int = 0,
        streamed: StreamedContent | None = None,
    ) -> T:
        """:meth:`write` awaited: on SQLite queued to the writer thread without a thread
        of the caller's own waiting (the loop is woken once per batch); elsewhere
        :meth:`write` in a worker thread."""
        if self.sqlite_writer is not None:
            return cast(T, await self.sqlite_writer.run_async(self.on_turn(work)))
        return await anyio.to_thread.run_sync(
            functools.partial(self.write, work, content_bytes=content_bytes, streamed=streamed)
        )

    def on_turn(self, work: Callable[[UnitOfWork], T]) -> Callable[[Turn], T]:
        """``work`` as the SQLite writer runs it: in a unit of work on its turn."""

        def run(turn: Turn) -> T:
            with UnitOfWork(
                self.engine,
                write=True,
                turn=turn,
                content_files=self.content_files,
                chunk_bytes=self.chunk_bytes,
                history=self.history,
            ) as uow:
                return work(uow)

        return run

    def unit_of_work(
        self,
        *,
        write: bool,
        content_bytes: int = 0,
        own_transaction: bool = False,
        streamed: StreamedContent | None = None,
    ) -> UnitOfWork:
        """``content_bytes``: how much binary content the write stores. On PostgreSQL
        a large one gets a transaction of its own: in the shared one it would hold up
        every small write queued behind it while its bytes are copied in. (On SQLite the
        bytes are in a content file already, and there is one writer anyway.)
        ``own_transaction``: not in a shared one, whatever the size (PostgreSQL only).
        ``streamed``: in that content's transaction (see :meth:`write`)."""
        if write and self.sqlite_writer is not None:
            return UnitOfWork(
                self.engine,
                write=True,
                writer=self.sqlite_writer,
                content_files=self.content_files,
                chunk_bytes=self.chunk_bytes,
                history=self.history,
            )
        group = self.group_commit if isinstance(self.group_commit, GroupCommit) else None
        shares_commit = (
            content_bytes <= SHARED_COMMIT_MAX_BYTES and not own_transaction and streamed is None
        )
        return UnitOfWork(
            self.engine,
            write=write,
            group=group if shares_commit else None,
            content_files=self.content_files,
            chunk_bytes=self.chunk_bytes,
            history=self.history,
            read_sessions=self._read_sessions,
            streamed=streamed,
            task_counts=self.task_counts,
        )

    def new_upload_file(self) -> UploadFile:
        """Where an upload that outgrew memory is spooled: on SQLite, the content file it
        will be stored as; elsewhere a temporary file the store copies from."""
        if self.content_files is not None:
            return self.content_files.create()
        return TemporaryUploadFile(self.spool_directory)

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
        """Close every pooled connection, the shared commits' too (left to the garbage
        collector, an open PostgreSQL connection warns, wherever it is collected)."""
        if self.sqlite_writer is not None:
            self.sqlite_writer.stop()
        if self.sqlite_reader is not None:
            self.sqlite_reader.stop()
        if self.streamed_uploads is not None and not self.streamed_uploads.wait_until_closed(
            STREAMED_CLOSE_SECONDS
        ):
            logger.warning("streamed uploads still open as the database is disposed of")
        if self.task_counts is not None:
            self.task_counts.close()
        if self.content_files is not None and not self.content_files.wait_for_removals(
            REMOVALS_WAIT_SECONDS
        ):
            logger.warning("content files still to be removed as the database is disposed of")
        # A connection still out (a request's worker thread) is closed when given back.
        self._engine_checkins.dispose()
        if self.commit_engine is not self.engine:
            self._commit_checkins.dispose()
