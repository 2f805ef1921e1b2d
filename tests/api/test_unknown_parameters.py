"""Query parameters an operation does not declare are ignored, as Camunda ignores them;
``--strict-params`` refuses them instead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api_client import Api


def test_an_undeclared_parameter_is_ignored(api: Api) -> None:
    api.create_task("t1")
    assert api.upload("/task/t1/variables/doc", b"\x00bytes").status_code == 204
    download = api.get("/task/t1/variables/doc/data", deserializeValue="false", x="1")
    assert download.status_code == 200
    assert download.content == b"\x00bytes"
    assert [task["id"] for task in api.get("/task", someFilterOfOurOwn="x").json()] == ["t1"]


def test_a_declared_parameter_with_an_invalid_value_is_still_refused(api: Api) -> None:
    api.create_task("t1")
    response = api.get("/task/t1/variables", deserializeValues="maybe", ignored="1")
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"


def test_camundas_task_filters_this_server_does_not_model_are_refused_by_name(api: Api) -> None:
    api.create_task("t1", assignee="ann")
    assert api.get("/task", active="false", assigned="false").status_code == 200
    for parameter, value in (
        ("processDefinitionName", "Invoice"),
        ("caseDefinitionKey", "case"),
        ("activityInstanceIdIn", "a1,a2"),
    ):
        response = api.get("/task", **{parameter: value})
        assert response.status_code == 400
        assert response.json()["message"] == (
            f"The task query parameter {parameter} is not supported by this server"
        )
        assert api.get("/task/count", **{parameter: value}).status_code == 400


@pytest.fixture
def strict(db_url: str) -> Iterator[Any]:
    settings = Settings(database_url=db_url, strict_params=True)
    with create_app(settings, validate_responses=True).test_client() as client:
        yield Api(client)


def test_strict_params_refuses_an_undeclared_parameter(strict: Api) -> None:
    strict.create_task("t1")
    response = strict.get("/task/t1", unknown="1")
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "Extra query parameter(s) unknown not in spec",
        "code": None,
    }
