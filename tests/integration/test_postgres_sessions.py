"""What the server's PostgreSQL sessions are set to when they connect."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from taskvars.persistence.database import create_database_engine
from tests.databases import postgres_server_url, private_schema

pytestmark = pytest.mark.postgres


def test_sessions_run_without_jit_and_keep_the_urls_options() -> None:
    # JIT compiling cost 15-70 ms of each task count over 100,000 tasks, every time.
    with private_schema(postgres_server_url()) as url:
        engine = create_database_engine(url)
        try:
            for _ in range(2):  # a new connection, then a pooled one
                with engine.connect() as connection:
                    assert connection.execute(text("SHOW jit")).scalar_one() == "off"
                    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
                    assert schema.startswith("taskvars_test_")  # the URL's search_path
        finally:
            engine.dispose()


def test_a_lock_timeout_is_set_beside_the_other_settings() -> None:
    # The commit engine's connections: set as the session starts, not per transaction.
    with private_schema(postgres_server_url()) as url:
        engine = create_database_engine(url, lock_timeout="250ms")
        try:
            with engine.connect() as connection:
                assert connection.execute(text("SHOW lock_timeout")).scalar_one() == "250ms"
                assert connection.execute(text("SHOW jit")).scalar_one() == "off"
                schema = connection.execute(text("SELECT current_schema()")).scalar_one()
                assert schema.startswith("taskvars_test_")
        finally:
            engine.dispose()
