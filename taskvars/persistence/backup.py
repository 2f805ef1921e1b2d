"""``taskvars backup``: a consistent copy of an SQLite database and its content files,
taken while servers read and write it.

Copying the database file and then its ``-content/`` directory can pair a row with a file
that a writer removed in between, or copy a file no committed row names yet. So both are
taken as of one snapshot:

1. with the database's write lock held (``BEGIN IMMEDIATE``: no commit can happen, so no
   content file named by a committed row can be removed), a second connection opens a
   read transaction, the snapshot, and reads the names of the content files it holds;
   each is hard-linked into a staging directory beside them (a link is a pointer, so
   this takes a moment however large the files), and the write lock is released;
2. SQLite's online backup API copies the database from that same read transaction
   (``backup`` uses a read transaction the source connection already has open), while
   writers go on;
3. the linked files, which content files never change once written, are copied next to
   the copied database, and the staging directory is removed.

The backup is built in a hidden directory beside ``DEST`` and renamed to ``DEST`` only
when complete, and synced: a backup that failed leaves nothing behind.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import tempfile
import uuid
from contextlib import closing, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from taskvars.persistence.content_files import content_directory
from taskvars.persistence.migrate import sqlite_schema_version

# Staging directories are named so: never a content file's name, which sweeps ignore.
STAGING_PREFIX = ".backup-"
# As the server's own busy timeout: a backup waits for the writers' turn as they do.
WRITE_LOCK_WAIT_SECONDS = 30


class BackupError(ValueError):
    """The backup cannot be made; the message is one line, and nothing was changed."""


@dataclass(frozen=True)
class BackupSummary:
    database: Path
    content_files: int
    content_bytes: int


def backup(database_url: str, destination: Path) -> BackupSummary:
    source = _source_database(database_url)
    destination = Path(os.path.abspath(destination))
    _check_destination(source, destination)
    _require_taskvars_database(source)
    try:
        partial = Path(
            tempfile.mkdtemp(prefix=f".{destination.name}.partial-", dir=destination.parent)
        )
    except OSError as error:
        raise BackupError(f"cannot write into {destination.parent}: {error.strerror}") from None
    try:
        try:
            summary = _copy(source, partial)
        except (OSError, sqlite3.Error) as error:
            raise BackupError(f"the backup failed, nothing was kept: {error}") from None
        if destination.exists():
            raise BackupError(f"{destination} appeared while the backup was made; not replaced")
        partial.rename(destination)
        _sync_directory(destination.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupSummary(
        destination / summary.database.name, summary.content_files, summary.content_bytes
    )


def _source_database(database_url: str) -> Path:
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise BackupError(f"not a database URL: {database_url!r}") from None
    if url.get_backend_name() == "postgresql":
        raise BackupError(
            "PostgreSQL keeps every value, binary content included, in the database: back "
            "it up with pg_dump (the README shows how), not with taskvars backup"
        )
    if url.get_backend_name() != "sqlite" or content_directory(url.database) is None:
        raise BackupError(f"only an SQLite database file can be backed up, not {database_url}")
    assert url.database is not None
    path = Path(os.path.abspath(url.database))
    if not path.is_file():
        raise BackupError(f"there is no database at {path}")
    return path


def _require_taskvars_database(source: Path) -> None:
    try:
        schema = sqlite_schema_version(source)
    except sqlite3.Error as error:
        raise BackupError(f"{source} cannot be read as an SQLite database: {error}") from None
    if schema is None:
        raise BackupError(f"{source} is not a taskvars database: it has no schema version")


def _check_destination(source: Path, destination: Path) -> None:
    content = content_directory(str(source))
    assert content is not None
    if destination in (source, source.parent, content) or destination.is_relative_to(content):
        raise BackupError(f"{destination} is where the database being backed up is")
    if destination.exists():
        raise BackupError(f"{destination} exists; the backup creates its directory itself")
    if not destination.parent.is_dir():
        raise BackupError(f"the directory {destination.parent} does not exist")
    if not os.access(destination.parent, os.W_OK | os.X_OK):
        raise BackupError(f"cannot write into {destination.parent}")


def _copy(source: Path, target_directory: Path) -> BackupSummary:
    source_content = content_directory(str(source))
    assert source_content is not None
    target = target_directory / source.name
    target_content = content_directory(str(target))
    assert target_content is not None
    target_content.mkdir(mode=0o700)
    source_content.mkdir(mode=0o700, exist_ok=True)  # as a server starting on it would
    remove_stale_staging(source_content)
    # Made under another name, locked, then given its own: another backup's clean-up
    # never sees it unlocked. The lock, held while this backup runs, says it is alive.
    name = uuid.uuid4().hex
    unlocked = source_content / f".new{STAGING_PREFIX}{name}"
    unlocked.mkdir(mode=0o700)
    staging_lock = os.open(unlocked, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(staging_lock, fcntl.LOCK_EX)
    staging = unlocked.rename(source_content / f"{STAGING_PREFIX}{name}")
    try:
        with closing(_connect(source)) as reader:
            names = _pin_snapshot(source, reader, staging)
            with closing(sqlite3.connect(target)) as copy:
                reader.backup(copy)
            reader.execute("ROLLBACK")
        size = 0
        for name in names:
            size += _copy_file(staging / name, target_content / name)
        _sync_file(target)
        _sync_directory(target_content)
        _sync_directory(target_directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        os.close(staging_lock)
    return BackupSummary(target, len(names), size)


def _pin_snapshot(source: Path, reader: sqlite3.Connection, staging: Path) -> list[str]:
    """Open ``reader``'s snapshot and link the content files it names into ``staging``,
    with no commit possible meanwhile; returns their names."""
    with closing(_connect(source)) as writer:
        try:
            writer.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise BackupError(f"could not take the database's write lock: {error}") from None
        try:
            reader.execute("BEGIN")
            try:
                names = [
                    name
                    for (name,) in reader.execute(
                        "SELECT file_name FROM binary_content WHERE file_name IS NOT NULL"
                    )
                ]
            except sqlite3.DatabaseError as error:
                raise BackupError(f"{source} is not a taskvars database: {error}") from None
            for name in names:
                try:
                    os.link(staging.parent / name, staging / name)
                except FileNotFoundError:
                    raise BackupError(
                        f"the content file {name} that the database names is missing; "
                        "taskvars check tells what else is"
                    ) from None
        finally:
            writer.execute("ROLLBACK")
    return names


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level None: this module, not the sqlite3 module, says when transactions begin.
    return sqlite3.connect(path, timeout=WRITE_LOCK_WAIT_SECONDS, isolation_level=None)


def _copy_file(source: Path, target: Path) -> int:
    shutil.copyfile(source, target)
    _sync_file(target)
    return target.stat().st_size


def _sync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_directory(path: Path) -> None:
    with suppress(OSError):  # not every filesystem syncs directories
        _sync_file(path)


def remove_stale_staging(content: Path) -> None:
    """Remove staging directories a killed backup left (no backup holds their lock):
    only hard links, but they keep removed values' space in use."""
    for path in content.glob(f"{STAGING_PREFIX}*"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(path, ignore_errors=True)
        except BlockingIOError:
            pass  # a backup running now
        finally:
            os.close(fd)
