"""GET /version: the Camunda version whose REST API this server follows."""

from __future__ import annotations

from tests.api_client import Api


def test_version_is_the_camunda_version_followed(api: Api) -> None:
    response = api.get("/version")
    assert response.status_code == 200
    assert response.json() == {"version": "7.24.0"}


def test_the_engine_list_is_the_default_engine_alone(api: Api) -> None:
    assert api.get("/engine").json() == [{"name": "default"}]
