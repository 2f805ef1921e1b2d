"""The fast path's routes and parameter checks, compiled from the spec."""

from __future__ import annotations

import importlib

import inflection
import pytest
from connexion.json_schema import resolve_refs

from taskvars.app import BASE_PATH, HANDLERS_PACKAGE
from taskvars.resources import load_spec
from taskvars.web.fast_path.operations import DOWNLOADS, READS, UPLOADS, resource_of
from taskvars.web.fast_path.parameters import NotCompilableError, boolean_parser, string_check
from taskvars.web.fast_path.routes import RouteTable

FAST = UPLOADS | DOWNLOADS | READS


@pytest.fixture(scope="module")
def table() -> RouteTable:
    return RouteTable.compile(resolve_refs(load_spec()), BASE_PATH, FAST)


def test_every_fast_operation_compiles_from_the_spec(table: RouteTable) -> None:
    assert {route.operation_id for route in table.routes} == FAST


def test_each_route_serves_what_its_connexion_handler_serves(table: RouteTable) -> None:
    for route in table.routes:
        module = importlib.import_module(f"{HANDLERS_PACKAGE}.{route.controller}")
        assert callable(getattr(module, inflection.underscore(route.operation_id)))
        assert resource_of(route) is module.RESOURCE


def test_a_path_matches_with_its_parameters(table: RouteTable) -> None:
    matched = table.match("POST", "/engine-rest/task/t 1/localVariables/x.y/data")
    assert matched is not None
    route, parameters = matched
    assert route.operation_id == "setBinaryTaskLocalVariable"
    assert parameters == {"id": "t 1", "varName": "x.y"}
    assert route.routed_as == "task_local_variable.setBinaryTaskLocalVariable"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("HEAD", "/engine-rest/task/t/variables/v/data"),
        ("PUT", "/engine-rest/task/t/variables/v/data"),
        ("GET", "/engine-rest/task/t/variables/v/data/more"),
        ("GET", "/engine-rest/task//variables/v/data"),
        ("GET", f"/engine-rest/task/t/variables/{'n' * 256}/data"),
        ("GET", "/engine-rest/task/t\x01/variables/v/data"),
        ("GET", "/engine-rest/task/t/variables/v\n"),
        ("GET", "/engine-rest/engine/default/task/t/variables/v"),  # the named engine's stage
        ("GET", "/engine-rest/task/t"),
    ],
)
def test_what_the_spec_would_refuse_or_route_elsewhere_is_not_matched(
    table: RouteTable, method: str, path: str
) -> None:
    assert table.match(method, path) is None


def test_a_boolean_query_parameter_is_read_as_connexion_reads_it(table: RouteTable) -> None:
    matched = table.match("GET", "/engine-rest/task/t/variables/v")
    assert matched is not None
    route = matched[0]
    assert route.query_values(b"") == ({"deserializeValue": True}, False)
    assert route.query_values(b"deserializeValue=FALSE") == ({"deserializeValue": False}, False)
    assert route.query_values(b"x=1&deserializeValue=true") == ({"deserializeValue": True}, True)
    assert route.query_values(b"deserializeValue=maybe") is None
    assert route.query_values(b"deserializeValue=true&deserializeValue=true") is None


def test_a_schema_with_more_than_the_fast_path_checks_is_not_compiled() -> None:
    with pytest.raises(NotCompilableError):
        string_check({"type": "string", "format": "date-time"})
    with pytest.raises(NotCompilableError):
        string_check({"type": "integer"})
    with pytest.raises(NotCompilableError):
        boolean_parser({"type": "boolean", "enum": [True]})


def test_an_operation_with_parameters_it_cannot_check_is_left_to_the_full_pipeline() -> None:
    spec = {
        "paths": {
            "/task/{id}/variables/{varName}/data": {
                "get": {
                    "operationId": "getTaskVariableBinary",
                    "x-openapi-router-controller": "task_variable",
                    "parameters": [
                        {"name": "id", "in": "path", "schema": {"type": "string"}},
                        {"name": "varName", "in": "path", "schema": {"type": "string"}},
                        {"name": "max", "in": "query", "schema": {"type": "integer"}},
                    ],
                }
            }
        }
    }
    assert RouteTable.compile(spec, BASE_PATH, FAST).routes == ()
