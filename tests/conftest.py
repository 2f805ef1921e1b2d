from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api_client import Api
from tests.databases import DATABASE_KINDS, database_url, postgres_server_url, private_schema


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    with private_schema(postgres_server_url()) as url:
        yield url


@pytest.fixture
def db_url(database_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return database_url(
        database_kind, tmp_path, lambda: request.getfixturevalue("postgres_schema_url")
    )


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[object]:
    app = create_app(settings, validate_responses=True)
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def api(client: object) -> Api:
    return Api(client)
