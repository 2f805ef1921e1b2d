"""Camunda's ``/engine/{name}/...`` form of every path, for the one engine, ``default``."""

from __future__ import annotations

import pytest

from tests.api_client import Api


def test_the_engine_list_names_the_default_engine(api: Api) -> None:
    response = api.get("/engine")
    assert response.status_code == 200
    assert response.json() == [{"name": "default"}]


def test_the_default_engine_serves_every_operation_under_its_name(api: Api) -> None:
    engine = Api(api.client, base="/engine-rest/engine/default")
    engine.create_task("t1")
    assert engine.upload("/task/t1/variables/doc", b"\x00\xffbytes").status_code == 204
    assert engine.get("/task/t1/variables/doc/data").content == b"\x00\xffbytes"
    assert api.get("/task/t1/variables/doc/data").content == b"\x00\xffbytes"
    assert engine.get("/task/t1").json()["id"] == "t1"


def test_errors_under_the_engine_path_are_said_as_on_the_plain_path(api: Api) -> None:
    engine = Api(api.client, base="/engine-rest/engine/default")
    response = engine.get("/task/t9/variables/doc")
    assert response.status_code == 500
    assert response.json()["message"] == (
        "Cannot get task variable doc: task t9 doesn't exist: task is null"
    )
    wrong_method = engine.get("/task/t9/complete")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/task", "/task/t1/variables/doc/data", "/engine"])
def test_another_engine_is_camundas_400(api: Api, path: str) -> None:
    response = api.get(f"/engine/other{path}")
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "No process engine available",
        "code": None,
    }


def test_a_path_that_names_no_resource_is_a_404_under_any_engine(api: Api) -> None:
    for engine in ("default", "other"):
        response = api.get(f"/engine/{engine}/no/such/resource")
        assert response.status_code == 404
        assert response.json()["type"] == "NotFoundException"
