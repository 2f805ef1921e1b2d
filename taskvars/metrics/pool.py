"""Database connections, from the pool's events: each process counts its own, and the
``livesum`` gauges add the live processes up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from taskvars.metrics.instruments import DATABASE_CONNECTIONS


def watch_pool(engine: Engine) -> None:
    opened = DATABASE_CONNECTIONS.labels(state="open")
    in_use = DATABASE_CONNECTIONS.labels(state="in_use")

    def on_connect(*_: Any) -> None:
        opened.inc()

    def on_close(*_: Any) -> None:
        opened.dec()

    def on_checkout(*_: Any) -> None:
        in_use.inc()

    def on_checkin(*_: Any) -> None:
        in_use.dec()

    event.listen(engine, "connect", on_connect)
    # A connection the pool closes, and one it let go of (detached) and then closed.
    event.listen(engine, "close", on_close)
    event.listen(engine, "close_detached", on_close)
    event.listen(engine, "checkout", on_checkout)
    event.listen(engine, "checkin", on_checkin)
    # A connection let go of for good (the SQLite writer's and reader's own) is no longer
    # lent by the pool: it is never checked in.
    event.listen(engine, "detach", on_checkin)
