"""A PostgreSQL server of a test's own, which it may stop and start: the shared one on
5432 must stay up for every other test.

Made with the installed server's ``initdb`` and ``pg_ctl``; PostgreSQL refuses to run as
root, so under root they run as the ``postgres`` user (``runuser``), in a directory that
user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from taskvars.pytest_plugin import free_port
from tests.databases import SessionDatabase, postgres_server_url
from tests.small_disk import unavailable

SERVER_USER = "postgres"


def _bin_directory() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: ``pg_config --bindir``, else Debian's
    versioned directories (newest first); ``None`` when there is no server."""
    candidates: list[str] = []
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(bindir.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and (Path(directory) / "initdb").exists():
            return Path(directory)
    return None


class PrivatePostgres:
    """One cluster in a temporary directory, listening on a free loopback port."""

    def __init__(self, bin_directory: Path, directory: Path, as_user: list[str]) -> None:
        self.bin = bin_directory
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_user = as_user

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def initialise(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            # Durability across a power cut is not what these tests are about.
            "-c fsync=off"
        )
        log = str(self.directory / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are ended, as by an administrator's restart."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private cluster, removed afterwards; a skip (a failure in CI) where this
    machine has no PostgreSQL server installed (or, as root, no ``postgres`` user)."""
    bin_directory = _bin_directory()
    if bin_directory is None:
        unavailable("no PostgreSQL server installed (initdb, pg_ctl) to start a private one")
    as_user: list[str] = []
    directory = Path(tempfile.mkdtemp(prefix="taskvars-pg-"))
    if os.geteuid() == 0:
        if shutil.which("runuser") is None or _uid_of(SERVER_USER) is None:
            shutil.rmtree(directory)
            unavailable(f"PostgreSQL refuses root, and there is no {SERVER_USER} user to run as")
        as_user = ["runuser", "-u", SERVER_USER, "--"]
        shutil.chown(directory, SERVER_USER)
    cluster = PrivatePostgres(bin_directory, directory, as_user)
    try:
        cluster.initialise()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def quiet_postgres() -> Iterator[str]:
    """The URL of a private cluster's database where nothing commits but the test's own
    work: autovacuum off (its ANALYZE commits). For what depends on the cluster's
    snapshot, which the shared server's other tests change at any time."""
    with private_postgres() as cluster:
        with psycopg.connect(cluster.url, autocommit=True) as connection:
            connection.execute("ALTER SYSTEM SET autovacuum = off")
            connection.execute("SELECT pg_reload_conf()")
        yield cluster.url


@contextmanager
def quiet_session_database() -> Iterator[SessionDatabase]:
    """A migrated session database on a quiet private cluster (:func:`quiet_postgres`),
    or the test skipped as the other PostgreSQL tests are."""
    postgres_server_url()
    with quiet_postgres() as url, SessionDatabase.migrated(url) as database:
        yield database


def _uid_of(user: str) -> int | None:
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None
