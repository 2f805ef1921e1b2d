"""``GET /health`` (extension): up when the database answers, 503 when it does not."""

from __future__ import annotations

from sqlalchemy import text

from taskvars.persistence.unit_of_work import Database
from tests.api_client import Api


def test_health_is_up_and_names_the_database(api: Api, database_kind: str) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "database": database_kind}


def test_health_is_503_in_camunda_error_json_when_the_schema_is_gone(api: Api, db_url: str) -> None:
    assert api.get("/health").status_code == 200
    database = Database(db_url)
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
