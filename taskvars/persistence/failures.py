"""What a failed database or file operation says about the server's storage, not the request.

Two kinds of failure are nobody's mistake in the request and say so differently from a
bug: the database went away (PostgreSQL restarting, a network cut), and the disk is full
(a content file, the upload spool, or the database itself). :func:`storage_failure`
recognises them under whatever wraps them (SQLAlchemy, a shared commit that failed, an
error raised in a worker thread), so that one place, the HTTP layer's, can answer them.
"""

from __future__ import annotations

import errno
import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from taskvars.persistence.values import DatabaseUnreachableError


class StorageFullError(RuntimeError):
    """The disk or the database ran out of space; nothing of the write was kept."""


# SQLite's primary result codes (sqlite3's ``sqlite_errorcode`` keeps the extended code
# in its upper bits): SQLITE_FULL, SQLITE_CANTOPEN.
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
# PostgreSQL SQLSTATEs: disk_full, and the server refusing or dropping connections
# (admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections). Class 08
# is every connection exception.
_POSTGRES_FULL = frozenset({"53100"})
_POSTGRES_UNREACHABLE = frozenset({"57P01", "57P02", "57P03", "53300"})
_OUT_OF_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})

OUT_OF_SPACE_MESSAGE = (
    "The server is out of disk space; nothing was stored. Retry once space is freed"
)


def storage_failure(error: BaseException) -> StorageFullError | DatabaseUnreachableError | None:
    """The storage problem behind ``error``, or ``None`` when it is something else."""
    for cause in _causes(error):
        if isinstance(cause, (StorageFullError, DatabaseUnreachableError)):
            return cause
        if isinstance(cause, OSError) and cause.errno in _OUT_OF_SPACE_ERRNOS:
            return StorageFullError(OUT_OF_SPACE_MESSAGE)
        if isinstance(cause, PoolTimeoutError):
            # Every connection stayed busy (or hung) for the pool's whole wait.
            return DatabaseUnreachableError(
                "The database is unavailable: no connection to it became free in time"
            )
        found = None
        if isinstance(cause, DBAPIError):
            found = _driver_failure(cause.orig, invalidated=cause.connection_invalidated)
        elif isinstance(cause, (sqlite3.Error, psycopg.Error)):
            # Raised by the driver itself, not through SQLAlchemy: psycopg's COPY.
            found = _driver_failure(cause, invalidated=False)
        if found is not None:
            return found
    return None


def most_telling(*errors: BaseException | None) -> BaseException | None:
    """Of several errors that met one shared transaction, the one to tell every writer
    in it: a storage failure (a lost connection, a full disk) is everybody's, whereas one
    writer's own error (a 404, say) is not."""
    present = [error for error in errors if error is not None]
    return next((e for e in present if storage_failure(e) is not None), None) or (
        present[0] if present else None
    )


def _driver_failure(
    driver_error: BaseException | None, *, invalidated: bool
) -> StorageFullError | DatabaseUnreachableError | None:
    sqlite_code = getattr(driver_error, "sqlite_errorcode", None)
    if sqlite_code is not None:
        if sqlite_code & 0xFF == _SQLITE_FULL:
            return StorageFullError(OUT_OF_SPACE_MESSAGE)
        if sqlite_code & 0xFF == _SQLITE_CANTOPEN:
            return _unreachable(driver_error)
        return None
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate in _POSTGRES_FULL:
        return StorageFullError(OUT_OF_SPACE_MESSAGE)
    if (
        invalidated
        or sqlstate in _POSTGRES_UNREACHABLE
        or (sqlstate or "").startswith("08")
        # psycopg raises a connection that failed or broke as an OperationalError with
        # no SQLSTATE: no server ever answered it.
        or (sqlstate is None and isinstance(driver_error, psycopg.OperationalError))
    ):
        return _unreachable(driver_error)
    return None


def _unreachable(driver_error: BaseException | None) -> DatabaseUnreachableError:
    reason = str(driver_error).strip().splitlines()
    detail = reason[0] if reason else type(driver_error).__name__
    return DatabaseUnreachableError(f"The database is unavailable: {detail}")


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it was raised from or during, nearest first (at most a few)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
