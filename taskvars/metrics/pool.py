"""Database connections, from the pool's events: each process counts its own, and the
``livesum`` gauges add the live processes up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from taskvars.metrics.instruments import DATABASE_CONNECTIONS

# In a connection record's info while the pool has lent it out.
_LENT = "taskvars_lent"


def watch_pool(engine: Engine) -> None:
    opened = DATABASE_CONNECTIONS.labels(state="open")
    in_use = DATABASE_CONNECTIONS.labels(state="in_use")

    def on_connect(*_: Any) -> None:
        opened.inc()

    def on_close(*_: Any) -> None:
        opened.dec()

    def on_checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        record.info[_LENT] = True
        in_use.inc()

    def on_returned(_dbapi_connection: Any, record: Any) -> None:
        # Only what was counted out: the pool also checks in a record whose connection
        # could not be made during a checkout (a database that is away), never lent.
        if record is not None and record.info.pop(_LENT, False):
            in_use.dec()

    event.listen(engine, "connect", on_connect)
    # A connection the pool closes, and one it let go of (detached) and then closed.
    event.listen(engine, "close", on_close)
    event.listen(engine, "close_detached", on_close)
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_returned)
    # A connection let go of for good (the SQLite writer's and reader's own) is no longer
    # lent by the pool: it is never checked in.
    event.listen(engine, "detach", on_returned)
