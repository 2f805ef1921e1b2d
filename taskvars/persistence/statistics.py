"""The planner's statistics, kept current by the server: at start and then periodically.

Without them SQLite guesses every table at a million rows and orders a filtered query's
loops badly (the task count over 100,000 tasks scanned every scope before narrowing to
the process definition asked for). SQLite never gathers statistics on its own:
``ANALYZE`` runs when none were ever gathered, when a table the queries filter on has
grown or shrunk by :data:`GROWTH_FACTOR` since, and ``PRAGMA optimize`` (SQLite's own
judgement) every period; ``analysis_limit`` samples a bounded number of rows per index,
so that the write lock it takes is held for milliseconds, not for a scan of the table.

PostgreSQL's autovacuum analyzes by itself, but lags after bulk changes and never builds
the extended statistics (migration 0019) of a table until it analyzes it again: a table
never analyzed, with its extended statistics not built yet, or changed by more than
:data:`CHANGED_SHARE` of its rows since, is analyzed here. ``ANALYZE`` takes a lock that
does not conflict with writes. One process at a time does it, whatever the number of
workers or servers sharing the database: the others skip their turn
(``pg_try_advisory_xact_lock``).
"""

from __future__ import annotations

import logging
import threading
import zlib

from sqlalchemy import Connection, Engine, text

from taskvars.persistence.database import SQLITE_BEGIN, is_sqlite

logger = logging.getLogger(__name__)

# The tables the task, process instance and variable queries filter and join on.
QUERIED_TABLES = ("task", "scope", "process_instance", "identity_link", "variable")
# Rows sampled per index by an ANALYZE (SQLite's suggestion is 100 to 1000): bounded,
# so that it holds the write lock briefly on any size of database.
SQLITE_ANALYSIS_LIMIT = 400
# Re-analyzed when a table's rows changed by this factor since its statistics.
GROWTH_FACTOR = 2.0
# PostgreSQL: analyzed when more than this share of a table's rows changed since.
CHANGED_SHARE = 0.2
# Changes fewer than these never call for an ANALYZE (small tables plan well anyway).
MIN_CHANGED_ROWS = 1000
# How often the server looks again (and runs PRAGMA optimize on SQLite).
PERIOD_SECONDS = 600.0
# Any constant, with the schema's hash: one refresh at a time per schema.
_PG_LOCK_CLASS = 7_262_026


def refresh(engine: Engine) -> list[str]:
    """Statistics of stale tables gathered now; the tables analyzed."""
    if is_sqlite(engine):
        return _refresh_sqlite(engine)
    return _refresh_postgresql(engine)


def _refresh_sqlite(engine: Engine) -> list[str]:
    # Tables counted in a read transaction: writers go on meanwhile (WAL).
    with engine.connect() as connection:
        stale = [table for table in QUERIED_TABLES if _sqlite_stale(connection, table)]
    # BEGIN IMMEDIATE: the write lock up front, so that the statistics' write never has
    # to upgrade a read transaction (which fails at once when a writer is active).
    writer = engine.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
    with writer.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        for table in stale:
            connection.exec_driver_sql(f'ANALYZE "{table}"')
        # SQLite's own judgement for every other table (0x10002: look at all of them).
        connection.exec_driver_sql("PRAGMA optimize=0x10002")
    if stale:
        # A connection reads the statistics when it opens (or its schema changes, which
        # ANALYZE does not do): the pooled ones would plan without them for ever.
        engine.dispose(close=False)
        logger.info("statistics gathered for %s", ", ".join(stale))
    return stale


def _sqlite_stale(connection: Connection, table: str) -> bool:
    analyzed = _sqlite_analyzed_rows(connection, table)
    rows = int(connection.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one())
    if analyzed is None:
        return rows > 0
    return abs(rows - analyzed) >= MIN_CHANGED_ROWS and (
        rows >= analyzed * GROWTH_FACTOR or rows * GROWTH_FACTOR <= analyzed
    )


def _sqlite_analyzed_rows(connection: Connection, table: str) -> int | None:
    """The row count the table's statistics were gathered at (``sqlite_stat1``'s first
    number), or ``None`` if it has none."""
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
    ).first()
    if exists is None:
        return None
    stat = connection.execute(
        text("SELECT stat FROM sqlite_stat1 WHERE tbl = :table LIMIT 1"), {"table": table}
    ).scalar()
    return int(str(stat).split()[0]) if stat else None


def _refresh_postgresql(engine: Engine) -> list[str]:
    with engine.begin() as connection:
        schema = str(connection.execute(text("SELECT current_schema()")).scalar_one())
        # Released at commit. Another process refreshing now: this one skips its turn.
        taken = connection.execute(
            text("SELECT pg_try_advisory_xact_lock(:class, :key)"),
            {"class": _PG_LOCK_CLASS, "key": _schema_key(schema)},
        ).scalar_one()
        if not taken:
            return []
        # Never wait long behind an autovacuum of the same table: it is doing the work.
        connection.execute(text("SET LOCAL lock_timeout = '2s'"))
        stale = _postgresql_stale(connection)
        for table in stale:
            connection.exec_driver_sql(f'ANALYZE "{table}"')
    if stale:
        logger.info("statistics gathered for %s", ", ".join(stale))
    return stale


def _schema_key(schema: str) -> int:
    """A 32-bit signed key for the schema's name (advisory locks take int4 pairs)."""
    return zlib.crc32(schema.encode()) - 2**31


def _postgresql_stale(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT t.relname, t.n_live_tup, t.n_mod_since_analyze,"
            " t.last_analyze IS NULL AND t.last_autoanalyze IS NULL AS never,"
            " EXISTS (SELECT 1 FROM pg_statistic_ext e"
            "  LEFT JOIN pg_statistic_ext_data d ON d.stxoid = e.oid"
            "  WHERE e.stxrelid = t.relid AND d.stxoid IS NULL) AS unbuilt"
            " FROM pg_stat_user_tables t"
            " WHERE t.schemaname = current_schema() AND t.relname = ANY(:tables)"
        ),
        {"tables": list(QUERIED_TABLES)},
    )
    stale = []
    for name, live, changed, never, unbuilt in rows:
        if (
            never
            or (unbuilt and live > 0)
            or changed >= max(MIN_CHANGED_ROWS, CHANGED_SHARE * live)
        ):
            stale.append(str(name))
    return sorted(stale, key=QUERIED_TABLES.index)


class StatisticsKeeper:
    """A daemon thread refreshing the statistics at start and every ``period`` seconds;
    a failed refresh is logged and tried again at the next period."""

    def __init__(self, engine: Engine, period: float = PERIOD_SECONDS) -> None:
        self._engine = engine
        self._period = period
        self._stopping = threading.Event()
        # Set once the first refresh ended (done or failed).
        self.first_refresh_done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taskvars-statistics", daemon=True)

    def start(self) -> None:
        # An in-memory database is each thread's own (SQLAlchemy's SingletonThreadPool):
        # this thread would see an empty one. Its tables are small anyway.
        if _in_memory(self._engine):
            self.first_refresh_done.set()
            return
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                refresh(self._engine)
            except Exception:  # statistics are an optimisation: never fatal
                logger.warning("gathering statistics failed", exc_info=True)
            self.first_refresh_done.set()
            self._stopping.wait(self._period)


def _in_memory(engine: Engine) -> bool:
    return is_sqlite(engine) and engine.url.database in (None, "", ":memory:")
