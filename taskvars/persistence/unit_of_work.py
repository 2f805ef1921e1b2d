"""One request, one transaction: a unit of work that rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from taskvars.persistence.database import SQLITE_BEGIN, create_database_engine, is_sqlite
from taskvars.persistence.store import Store
from taskvars.persistence.values import ConcurrentModificationError


class UnitOfWork:
    """``with database.unit_of_work(write=True) as uow: ...; uow.commit()``.

    Reads run in one snapshot (a ``REPEATABLE READ`` transaction on PostgreSQL, a read
    transaction on SQLite), so a value streamed out chunk by chunk cannot change midway.
    Writes on SQLite take the write lock when they begin.
    """

    def __init__(self, engine: Engine, *, write: bool) -> None:
        if is_sqlite(engine):
            options = {SQLITE_BEGIN: "BEGIN IMMEDIATE" if write else "BEGIN"}
        elif write:
            options = {"isolation_level": "READ COMMITTED"}
        else:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        self._bind = engine.execution_options(**options)
        self._session: Session | None = None

    @property
    def store(self) -> Store:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return Store(self._session)

    def open(self) -> UnitOfWork:
        """Begin; for a unit of work that outlives a ``with`` block (a streamed download)."""
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

    def close(self) -> None:
        """Roll back whatever was not committed and give the connection back."""
        if self._session is not None:
            self._session.close()
            self._session = None


class Database:
    """The engine and the way to open units of work on it."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self.engine = create_database_engine(database_url)

    def unit_of_work(self, *, write: bool) -> UnitOfWork:
        return UnitOfWork(self.engine, write=write)

    def dispose(self) -> None:
        self.engine.dispose()
