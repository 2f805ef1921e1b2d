"""Large binary content kept as files in a directory beside an SQLite database.

SQLite writes every byte twice (into the WAL, then into the database file at the
checkpoint) and holds its single write lock while it does, so large values stored as
chunk rows are slow to store and hold up every other writer (docs/benchmarks.md). Kept as
a file, a value is written once, while it is received,
and the transaction that makes it visible only inserts a row naming the file. SQLite is
one machine's database anyway, so files beside it share its fate; PostgreSQL, whose
server processes may run on several machines, keeps chunk rows.

The protocol that makes files and rows agree after any crash:

- a file is created under a fresh random name and locked (``flock``) by its writer until
  the transaction that references it has committed or rolled back; the writer removes it
  on rollback;
- the data is flushed to disk (``fdatasync``), and the directory that names the new file
  too (``fsync``), before the row naming it is committed, so a committed row never names
  a torn or a missing file, even after a power cut;
- a replaced or deleted value's file is removed after the commit that dropped its row,
  by a thread of its own (``file_removal``: the answer and the other writers do not wait);
  as it is handed over it is renamed with :data:`REMOVING_SUFFIX`, so that ``taskvars
  check`` run meanwhile tells a file on its way out (behind a backlog of large removals,
  about 190 ms a GiB) from an orphan;
- :meth:`ContentFiles.sweep` removes files that no row names and nobody locks: left by a
  process killed between writing and committing, or between committing and removing
  (then under their marked names too).
  The lock is released by the kernel when its holder dies, however it dies.

Readers open a file by the name their snapshot holds. A writer may remove it in the
moment between: :class:`ContentReplacedError` tells the reader to look again.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from taskvars.persistence.file_removal import remover_for

# The file names this module creates: 32 hex digits. Anything else in the directory is
# left alone.
_NAME_LENGTH = 32
# Appended to a content file's name as it is handed over for removal.
REMOVING_SUFFIX = ".removing"
# A file marked for removal longer ago than this, and still there, was left by a process
# that stopped before it removed it: an orphan. (Renaming sets the file's ctime.)
STALE_REMOVAL_SECONDS = 60.0


class ContentReplacedError(LookupError):
    """The content a snapshot names was removed after the snapshot was taken."""


class UploadFile(Protocol):
    """A file an upload is spooled into as it arrives (the upload spool)."""

    path: Path
    fd: int
    # Whether the file itself becomes the stored value, and so must be on disk before
    # its row commits; a staging copy whose bytes go into the database need not be.
    durable: bool

    def sync_name(self) -> None:
        """Its name on disk, early: while its data is still being written, so that
        :meth:`sync` has only the data left to do (``durable`` files only; from the
        thread that will call :meth:`sync`)."""

    def sync(self) -> None:
        """Its data and its name on disk; before a row naming it commits (``durable``
        files only)."""

    def keep(self) -> None:
        """Its content was committed as a value: :meth:`release` leaves it on disk."""

    def release(self) -> None:
        """Close; remove the file unless kept."""


class LockedContentFile:
    """A new content file, open for writing and locked until :meth:`release`."""

    durable = True

    def __init__(self, files: ContentFiles) -> None:
        while True:
            name = uuid.uuid4().hex
            path = files.directory / name
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
            try:
                # Waits while a sweep or a check holds the new, empty file's lock for
                # a moment (never longer: neither keeps it).
                fcntl.flock(fd, fcntl.LOCK_EX)
                # A sweep may have locked and removed the file between our open and our
                # lock; then the name is gone and the file we hold is nobody's.
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    break
            except OSError:
                pass
            os.close(fd)
        self.files = files
        self.name = name
        self.path = path
        self.fd = fd
        self._kept = False
        self._name_synced = False

    def sync_name(self) -> None:
        # A new file's name is in its directory, which fdatasync of the file does not
        # write: without this a power cut could lose the name of a committed value.
        _sync_directory(self.files.directory)
        self._name_synced = True

    def sync(self) -> None:
        os.fdatasync(self.fd)
        if not self._name_synced:
            self.sync_name()

    def keep(self) -> None:
        self._kept = True

    def release(self) -> None:
        """Unlock and close; the file stays only if kept (its row was committed)."""
        if self.fd < 0:
            return
        try:
            if not self._kept:
                self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = -1


class TemporaryUploadFile:
    """An upload's file where the database keeps no content files (PostgreSQL, or an
    in-memory SQLite database): in the system's temporary directory, always removed when
    released, since the store copies its bytes into the database."""

    # Read back at once, by the store's COPY: kept in the page cache, never synced.
    durable = False

    def __init__(self, directory: str | None = None) -> None:
        self.fd, name = tempfile.mkstemp(prefix="taskvars-upload-", dir=directory)
        self.path = Path(name)

    def sync_name(self) -> None:
        pass

    def sync(self) -> None:
        os.fdatasync(self.fd)

    def keep(self) -> None:
        pass

    def release(self) -> None:
        if self.fd < 0:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)
            self.fd = -1


class ContentFiles:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._remover = remover_for(directory)

    def prepare(self) -> None:
        # Beside the database file, whose directory exists (see database.py).
        self.directory.mkdir(mode=0o700, exist_ok=True)
        _sync_directory(self.directory.parent)  # its name, as each file's in it (once a start)

    def create(self) -> LockedContentFile:
        return LockedContentFile(self)

    def adopts(self, file: UploadFile) -> bool:
        """Whether ``file`` is one of this directory's content files, which a value can
        name as it is instead of copying it."""
        return isinstance(file, LockedContentFile) and file.files is self

    def open(self, name: str) -> BinaryIO:
        try:
            return (self.directory / name).open("rb")
        except FileNotFoundError:
            raise ContentReplacedError(name) from None

    def remove(self, names: Iterable[str]) -> None:
        """Remove the files ``names``, soon (:mod:`file_removal`): each is renamed as
        marked for removal now, and removed afterwards; ``wait_for_removals`` waits for
        that."""
        marked = []
        for name in names:
            path = self.directory / name
            try:
                path = path.rename(path.with_name(name + REMOVING_SUFFIX))
            except FileNotFoundError:
                continue
            except OSError:
                pass  # the remover tries the file as it is, and says what failed
            marked.append(path)
        self._remover.remove(marked)

    def wait_for_removals(self, timeout: float | None = None) -> bool:
        """Wait until the files handed to :meth:`remove` in this process are gone;
        False on timeout."""
        return self._remover.wait(timeout)

    def sweep(self, referenced: set[str]) -> int:
        """Remove files no row names and no writer holds, and every file marked for
        removal; returns how many orphans that was (a file marked a moment ago was on its
        way out anyway, and is not counted).

        Call it while holding the database's write lock, with ``referenced`` read in that
        same transaction, so that no reference can be committed meanwhile.
        """
        removed = 0
        unnamed, marked = self._scan(referenced)
        for path, fd in _unclaimed(unnamed):
            try:
                path.unlink(missing_ok=True)
                removed += 1
            finally:
                os.close(fd)
        for path, stat in _stated(marked):
            path.unlink(missing_ok=True)
            removed += _stale(stat)
        return removed

    def unclaimed(self, referenced: set[str]) -> dict[str, int]:
        """Files, with their sizes, that ``referenced`` does not name and no writer holds
        now, and files marked for removal long ago (:data:`STALE_REMOVAL_SECONDS`): the
        orphans :meth:`sweep` would remove. Removes nothing."""
        found = {}
        unnamed, marked = self._scan(referenced)
        for path, fd in _unclaimed(unnamed):
            try:
                found[path.name] = os.fstat(fd).st_size
            finally:
                os.close(fd)
        for path, stat in _stated(marked):
            if _stale(stat):
                found[path.name] = stat.st_size
        return found

    def names(self) -> set[str]:
        """Every content file in the directory now."""
        return {path.name for path in self.directory.iterdir() if _is_content_name(path.name)}

    def _scan(self, referenced: set[str]) -> tuple[list[Path], list[Path]]:
        """One listing of the directory: the content files ``referenced`` does not name,
        and the files marked for removal."""
        unnamed, marked = [], []
        for path in self.directory.iterdir():
            name = path.name
            if _is_content_name(name):
                if name not in referenced:
                    unnamed.append(path)
            elif name.endswith(REMOVING_SUFFIX) and _is_content_name(
                name.removesuffix(REMOVING_SUFFIX)
            ):
                marked.append(path)
        return unnamed, marked


def _unclaimed(paths: list[Path]) -> Iterator[tuple[Path, int]]:
    """Those of ``paths`` no writer holds, each open and locked (the caller closes ``fd``)."""
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a writer is still on it
        yield path, fd


def _stated(paths: list[Path]) -> Iterator[tuple[Path, os.stat_result]]:
    """``paths`` still there, with what ``stat`` says of each."""
    for path in paths:
        try:
            yield path, path.stat()
        except FileNotFoundError:
            continue  # removed meanwhile


def _stale(stat: os.stat_result) -> bool:
    return time.time() - stat.st_ctime > STALE_REMOVAL_SECONDS


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_content_name(name: str) -> bool:
    return len(name) == _NAME_LENGTH and all(c in "0123456789abcdef" for c in name)


def content_directory(database_path: str | None) -> Path | None:
    """Where an SQLite database at ``database_path`` keeps its content files; ``None``
    for an in-memory database, which keeps everything in itself."""
    if not database_path or database_path == ":memory:" or database_path.startswith("file:"):
        return None
    path = Path(database_path).resolve()
    return path.with_name(path.name + "-content")
