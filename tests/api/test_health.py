"""``GET /health`` (extension): up when the database answers, 503 when it does not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from taskvars.app import create_app
from taskvars.persistence.unit_of_work import Database
from taskvars.settings import Settings
from tests.api_client import Api
from tests.databases import postgres_server_url, private_schema


def test_health_is_up_and_names_the_database(api: Api, database_kind: str) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": database_kind}


@pytest.fixture
def own_database(database_kind: str, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own: it loses its schema, which others must not see."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'health.db'}"
        return
    with private_schema(postgres_server_url()) as url:
        yield url


def test_health_is_503_in_camunda_error_json_when_the_schema_is_gone(own_database: str) -> None:
    with create_app(Settings(database_url=own_database)).test_client() as client:
        api = Api(client)
        assert api.get("/health").status_code == 200
        database = Database(own_database)
        try:
            with database.engine.begin() as connection:
                connection.execute(text("DROP TABLE alembic_version"))
        finally:
            database.dispose()

        response = api.get("/health")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["type"] == "RestException"
        assert body["code"] is None
        assert body["message"].startswith("The database did not answer: ")
        assert api.create_task("still-serving").status_code == 204
