"""Fixtures: ``database_kind -> db_url -> settings -> client -> api``.

Each database kind has one migrated database per test session, and one app serving it;
every test starts from that database emptied (rows and content files), which takes
milliseconds where migrating a new database and building a new app took a second. A test
that needs other settings overrides ``settings`` and gets an app of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api_client import Api
from tests.databases import (
    DATABASE_KINDS,
    SessionDatabase,
    migrated_sqlite_database,
    postgres_server_url,
    private_schema,
)


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    with private_schema(postgres_server_url()) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_session_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionDatabase]:
    with migrated_sqlite_database(tmp_path_factory.mktemp("sqlite")) as database:
        yield database


@pytest.fixture(scope="session")
def postgresql_session_database(postgres_schema_url: str) -> Iterator[SessionDatabase]:
    with SessionDatabase.migrated(postgres_schema_url) as database:
        yield database


@pytest.fixture
def session_database(database_kind: str, request: pytest.FixtureRequest) -> SessionDatabase:
    database: SessionDatabase = request.getfixturevalue(f"{database_kind}_session_database")
    return database


@pytest.fixture
def db_url(session_database: SessionDatabase) -> str:
    """A migrated database of the test's kind, empty."""
    session_database.empty()
    return session_database.url


def default_settings(db_url: str) -> Settings:
    """The shared test app's: no job executor, so that jobs a test makes wait for the
    test to run them (a test that wants the executor asks for settings of its own)."""
    return Settings(database_url=db_url, no_job_executor=True)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return default_settings(db_url)


@pytest.fixture(scope="session")
def session_clients() -> Iterator[tuple[dict[str, Any], ExitStack]]:
    """One test client per session database, started when first asked for."""
    with ExitStack() as running:
        yield {}, running


@pytest.fixture
def client(
    settings: Settings, db_url: str, session_clients: tuple[dict[str, Any], ExitStack]
) -> Iterator[Any]:
    if settings != default_settings(db_url):
        with create_app(settings, validate_responses=True).test_client() as own_client:
            yield own_client
        return
    clients, running = session_clients
    if db_url not in clients:
        app = create_app(settings, validate_responses=True)
        clients[db_url] = running.enter_context(app.test_client())
    yield clients[db_url]


@pytest.fixture
def api(client: Any) -> Api:
    return Api(client)
