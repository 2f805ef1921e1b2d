"""The pool's connections in use, as the metrics count them (taskvars.metrics.pool)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError

from taskvars.metrics.instruments import REGISTRY
from taskvars.metrics.pool import watch_pool


def in_use() -> float:
    value = REGISTRY.get_sample_value("taskvars_database_connections", {"state": "in_use"})
    return value or 0.0


def test_a_dead_pooled_connection_that_cannot_be_replaced_is_not_counted_as_given_back(
    tmp_path: Path,
) -> None:
    # The database went away: the pooled connection is found dead at checkout, and a new
    # one cannot be made. The pool then checks in a record it never lent out.
    path = tmp_path / "db.sqlite"
    away = False

    def connect() -> sqlite3.Connection:
        if away:
            raise sqlite3.OperationalError("the database is away")
        return sqlite3.connect(path)

    engine = create_engine("sqlite://", creator=connect)

    @event.listens_for(engine, "checkout")
    def found_dead(*_: Any) -> None:
        if away:
            raise DisconnectionError("the server closed the connection")

    watch_pool(engine)
    with engine.connect():
        pass
    before = in_use()
    away = True
    with pytest.raises(DBAPIError):
        engine.connect()
    assert in_use() == before
    engine.dispose()


def test_a_connection_lent_and_given_back_is_counted_out_and_in(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    watch_pool(engine)
    before = in_use()
    with engine.connect():
        assert in_use() == before + 1
    assert in_use() == before
    engine.dispose()
