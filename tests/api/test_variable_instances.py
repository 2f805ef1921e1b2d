"""Camunda's variable instances: every variable, found by where it lives, or by its id."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api

TREE = {
    "id": "pi",
    "variables": {"customer": {"type": "String", "value": "ACME"}},
    "executions": [{"id": "ex", "variables": {"step": {"type": "Integer", "value": 2}}}],
    "tasks": [{"id": "t1", "executionId": "ex", "variables": {"note": {"value": "n"}}}],
}


@pytest.fixture
def scopes(api: Api) -> Api:
    api.create_process_instance(TREE)
    api.create_task("solo")
    assert api.upload("/task/solo/localVariables/scan", b"\x00\xffscan").status_code == 204
    return api


def instances(api: Api, **query: str) -> list[dict[str, Any]]:
    response = api.get("/variable-instance", **query)
    assert response.status_code == 200, response.text
    return response.json()


def where(listed: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {v["name"]: (v["processInstanceId"], v["executionId"], v["taskId"]) for v in listed}


def test_every_variable_says_where_it_lives(scopes: Api) -> None:
    assert where(instances(scopes)) == {
        "customer": ("pi", "pi", None),
        "step": ("pi", "ex", None),
        "note": ("pi", "ex", "t1"),
        "scan": (None, None, "solo"),
    }


def test_values_are_typed_values_and_the_rest_of_camundas_dto_is_null(scopes: Api) -> None:
    scan = next(v for v in instances(scopes) if v["name"] == "scan")
    assert (scan["type"], scan["value"], scan["valueInfo"]) == ("Bytes", "AP9zY2Fu", {})
    assert scan["activityInstanceId"] is None
    assert scan["tenantId"] is None


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"processInstanceIdIn": "pi"}, {"customer", "step", "note"}),
        ({"executionIdIn": "ex"}, {"step", "note"}),
        ({"taskIdIn": "t1,solo"}, {"note", "scan"}),
        ({"variableScopeIdIn": "ex"}, {"step"}),
        ({"variableName": "note"}, {"note"}),
        ({"variableNameLike": "s%"}, {"step", "scan"}),
        ({"processInstanceIdIn": "pi", "variableNameLike": "%e%"}, {"customer", "step", "note"}),
    ],
)
def test_filters_narrow_the_list_and_the_count(
    scopes: Api, query: dict[str, str], names: set[str]
) -> None:
    assert {v["name"] for v in instances(scopes, **query)} == names
    assert scopes.get("/variable-instance/count", **query).json() == {"count": len(names)}


def test_sorting_and_paging(scopes: Api) -> None:
    names = [v["name"] for v in instances(scopes, sortBy="variableName", sortOrder="asc")]
    assert names == ["customer", "note", "scan", "step"]
    page = instances(
        scopes, sortBy="variableName", sortOrder="desc", firstResult="1", maxResults="2"
    )
    assert [v["name"] for v in page] == ["scan", "note"]


def test_a_variable_is_found_by_its_id_which_stays_while_it_is_updated(scopes: Api) -> None:
    note = next(v for v in instances(scopes) if v["name"] == "note")
    put = scopes.client.put(scopes.url("/task/t1/localVariables/note"), json={"value": "new"})
    assert put.status_code == 204
    again = scopes.get(f"/variable-instance/{note['id']}").json()
    assert (again["name"], again["value"], again["taskId"]) == ("note", "new", "t1")


def test_a_binary_variable_downloads_by_its_id(scopes: Api) -> None:
    scan = next(v for v in instances(scopes) if v["name"] == "scan")
    response = scopes.get(f"/variable-instance/{scan['id']}/data")
    assert response.status_code == 200
    assert response.content == b"\x00\xffscan"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"].startswith('"')
    partial = scopes.client.get(
        scopes.url(f"/variable-instance/{scan['id']}/data"), headers={"Range": "bytes=1-2"}
    )
    assert (partial.status_code, partial.content) == (206, b"\xffs")


def test_missing_and_not_binary_are_camundas_errors(scopes: Api) -> None:
    for missing in ("999999", "not-a-number", "99999999999", "٣"):
        response = scopes.get(f"/variable-instance/{missing}")
        assert response.status_code == 404
        assert response.json() == {
            "type": "InvalidRequestException",
            "message": f"Variable instance with Id '{missing}' does not exist.",
            "code": None,
        }
    customer = next(v for v in instances(scopes) if v["name"] == "customer")
    response = scopes.get(f"/variable-instance/{customer['id']}/data")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Value of variable with id {customer['id']} is not a binary value."
    )


def test_filters_this_server_does_not_model_are_refused_by_name(scopes: Api) -> None:
    assert scopes.get("/variable-instance", tenantIdIn="").status_code == 200
    response = scopes.get("/variable-instance", tenantIdIn="t1")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "The variable instance query parameter tenantIdIn is not supported by this server"
    )
    posted = scopes.client.post(scopes.url("/variable-instance"), json={"batchIdIn": ["b"]})
    assert posted.status_code == 400
    assert "batchIdIn" in posted.json()["message"]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"variableValues": "customer_eq_ACME"}, {"customer"}),
        ({"variableValues": "customer_eq_acme"}, set()),
        ({"variableValues": "customer_eq_acme", "variableValuesIgnoreCase": "true"}, {"customer"}),
        ({"variableValues": "CUSTOMER_like_A%", "variableNamesIgnoreCase": "true"}, {"customer"}),
        ({"variableValues": "note_neq_x"}, {"note"}),
        # query-parameter values are text: the Integer 2 is not the text "2"
        ({"variableValues": "step_eq_2"}, set()),
    ],
)
def test_variable_values_match_the_variables_own_value(
    scopes: Api, query: dict[str, str], names: set[str]
) -> None:
    assert {v["name"] for v in instances(scopes, **query)} == names
    assert scopes.get("/variable-instance/count", **query).json() == {"count": len(names)}


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"variableValues": [{"name": "step", "operator": "gteq", "value": 2}]}, {"step"}),
        ({"variableValues": [{"name": "step", "operator": "lt", "value": 2}]}, set()),
        ({"processInstanceIdIn": ["pi"], "variableNameLike": "%e%"}, {"customer", "step", "note"}),
        ({"taskIdIn": ["t1", "solo"]}, {"note", "scan"}),
    ],
)
def test_the_json_query_takes_typed_values_and_arrays(
    scopes: Api, body: dict[str, Any], names: set[str]
) -> None:
    response = scopes.client.post(scopes.url("/variable-instance"), json=body)
    assert response.status_code == 200, response.text
    assert {v["name"] for v in response.json()} == names
    count = scopes.client.post(scopes.url("/variable-instance/count"), json=body)
    assert count.json() == {"count": len(names)}


def test_the_json_query_sorts_by_several_criteria_and_pages(scopes: Api) -> None:
    body = {
        "sorting": [
            {"sortBy": "variableType", "sortOrder": "desc"},
            {"sortBy": "variableName", "sortOrder": "asc"},
        ]
    }
    response = scopes.client.post(
        scopes.url("/variable-instance"), json=body, params={"maxResults": 3}
    )
    assert [v["name"] for v in response.json()] == ["customer", "note", "step"]


def test_bad_variable_values_are_refused_naming_the_problem(scopes: Api) -> None:
    response = scopes.get("/variable-instance", variableValues="step_is_2")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid variable comparator specified: is"
    response = scopes.get("/variable-instance", variableValues="step")
    assert "KEY_OPERATOR_VALUE" in response.json()["message"]
