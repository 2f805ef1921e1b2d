"""Apply Alembic migrations from code: at server start and from ``taskvars db upgrade``."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from taskvars.persistence.database import SQLITE_BEGIN

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: serializes concurrent upgrades from several server processes on PostgreSQL.
_PG_MIGRATION_LOCK = 7_262_019


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    # Upgraders that start together take turns: an advisory lock on PostgreSQL, the write
    # lock (taken when the transaction begins) on SQLite.
    with engine.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"}).begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def latest_version() -> str:
    """The schema version this code's migrations lead to."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def sqlite_schema_version(path: Path) -> str | None:
    """The schema version of the SQLite database file at ``path``, read without writing
    anything (not even a journal mode); ``None`` when it has none: not a taskvars
    database. Raises ``sqlite3.Error`` when the file cannot be read as a database."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return None
            raise
    return str(row[0]) if row else None
