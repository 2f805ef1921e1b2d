"""The assumptions taskvars.web.framework makes about connexion, Starlette and uvicorn.

Each test names what an upgrade broke, so that it fails here, loudly, and not as a
puzzling 500 or a hanging upload elsewhere.
"""

from __future__ import annotations

import asyncio
import inspect
from importlib.metadata import version
from typing import Any

import connexion.middleware.context
import connexion.middleware.request_validation
import connexion.middleware.routing
import pytest
import uvicorn.server
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.testclient import TestClient
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from taskvars.web import framework


def test_connexion_is_the_minor_version_the_module_was_written_for() -> None:
    assert version("connexion").startswith("3.3."), (
        "taskvars.web.framework was written for connexion 3.3: check each assumption in "
        "its docstring against the new version, then widen the pin in pyproject.toml"
    )


def test_body_validators_are_called_with_the_arguments_we_accept() -> None:
    source = inspect.getsource(connexion.middleware.request_validation)
    for argument in ("schema=", "required=", "nullable=", "encoding=", "strict_validation="):
        assert argument in source, f"connexion no longer passes {argument} to body validators"
    assert "await validator.wrap_receive(receive, scope=scope)" in source, (
        "connexion no longer calls body validators through wrap_receive(receive, scope=...)"
    )


def test_routing_records_the_operation_where_we_read_it() -> None:
    assert connexion.middleware.routing.ROUTING_CONTEXT == framework.ROUTING_CONTEXT
    source = inspect.getsource(connexion.middleware.routing.RoutingOperation)
    assert '"operation_id": self.operation_id' in source, (
        "connexion's routing no longer records operation_id in the scope"
    )


def test_routing_updates_the_record_it_finds_so_outer_middlewares_see_it() -> None:
    source = inspect.getsource(connexion.middleware.routing.RoutingOperation)
    assert "extensions.setdefault(ROUTING_CONTEXT, {})" in source, (
        "connexion's routing no longer updates an existing routing record in place: the "
        "request log and metrics (taskvars.web.request_observation) cannot see the operation"
    )
    assert "connexion_routing.update(" in source


def test_handlers_get_the_context_we_put_the_form_into() -> None:
    source = inspect.getsource(connexion.middleware.context)
    assert f'.get("{framework.HANDLER_CONTEXT}"' in source, (
        "connexion no longer hands scope['extensions']['connexion_context'] to handlers"
    )


def test_operation_id_is_read_from_the_routing_record() -> None:
    scope = {"extensions": {framework.ROUTING_CONTEXT: {"operation_id": "task.createTask"}}}
    assert framework.operation_id(scope) == "createTask"
    assert framework.operation_id({}) is None


def test_an_error_after_the_response_started_comes_out_with_it_as_cause() -> None:
    class StalledError(Exception):
        pass

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
        raise StalledError

    middleware = ExceptionMiddleware(app, handlers={Exception: lambda *_: None})  # type: ignore[arg-type]
    with pytest.raises(RuntimeError) as raised:
        TestClient(middleware).get("/")
    assert isinstance(framework.raised_after_response_started(raised.value), StalledError), (
        "Starlette no longer raises RuntimeError from an error after the response started"
    )
    assert framework.raised_after_response_started(HTTPException(404)) is None


def test_uvicorn_answers_unparseable_requests_through_the_method_we_override() -> None:
    assert "send_400_response" in vars(HttpToolsProtocol), (
        "uvicorn's httptools protocol no longer has send_400_response"
    )
    parameters = list(inspect.signature(HttpToolsProtocol.send_400_response).parameters)
    assert parameters == ["self", "msg"]
    assert STATUS_LINE[400].startswith(b"HTTP/1.1 400")
    assert issubclass(framework.CamundaErrorHttpProtocol, HttpToolsProtocol)


def test_uvicorn_starts_requests_and_buffers_bodies_where_we_hook_in() -> None:
    assert list(inspect.signature(HttpToolsProtocol._start_asgi_task).parameters) == [
        "self",
        "cycle",
        "app",
    ], "uvicorn no longer starts each request through _start_asgi_task(cycle, app)"
    assert list(inspect.signature(HttpToolsProtocol.on_body).parameters) == ["self", "body"]
    receive = inspect.getsource(RequestResponseCycle.receive)
    assert "bytes(self.body)" in receive, "uvicorn no longer hands the body out as bytes(...)"
    send = inspect.getsource(RequestResponseCycle.send)
    for attribute in (
        "response_started",
        "response_complete",
        "chunked_encoding",
        "expected_content_length",
        "disconnected",
    ):
        assert f"self.{attribute}" in send, f"uvicorn's send no longer tracks {attribute}"


def test_uvicorn_feeds_what_it_receives_to_httptools_and_makes_protocols_we_can_wrap() -> None:
    assert "self.parser.feed_data(data)" in inspect.getsource(HttpToolsProtocol.data_received), (
        "uvicorn no longer hands received bytes straight to httptools: BufferedHttpProtocol "
        "passes it a view of a buffer it reuses"
    )
    startup = inspect.getsource(uvicorn.server.Server.startup)
    assert "config.http_protocol_class(" in startup
    assert "config=config," in startup, "uvicorn no longer makes protocols with keywords"
    wrapped = framework.BufferedHttpProtocol
    assert not issubclass(wrapped, asyncio.Protocol), "uvloop would not read into its buffer"
    for method in ("connection_made", "eof_received", "connection_lost", "pause_writing"):
        assert method in vars(HttpToolsProtocol) or hasattr(HttpToolsProtocol, method)
        assert method in vars(wrapped), f"BufferedHttpProtocol does not pass on {method}"


def test_uvicorn_parses_requests_where_a_body_read_from_the_socket_hands_back_to() -> None:
    """What BufferedHttpProtocol relies on to skip a body a thread has read and parse the
    next request with a parser of its own (framework docstring, 7)."""
    init = inspect.getsource(HttpToolsProtocol.__init__)
    assert "self.parser = httptools.HttpRequestParser(self)" in init
    assert "set_dangerous_leniencies(lenient_data_after_close=True)" in init, (
        "uvicorn now sets up its parser otherwise: framework._new_parser must follow"
    )
    complete = inspect.getsource(HttpToolsProtocol.on_message_complete)
    assert "self.cycle.more_body = False" in complete
    received = inspect.getsource(HttpToolsProtocol.data_received)
    assert received.index("self._unset_keepalive_if_required()") < received.index("feed_data")
    receive = inspect.getsource(RequestResponseCycle.receive)
    assert "self.waiting_for_100_continue" in receive
    assert 'b"HTTP/1.1 100 Continue\\r\\n\\r\\n"' in receive
    cycle_init = inspect.getsource(RequestResponseCycle.__init__)
    for attribute in ("self.flow = flow", "self.more_body = True", "self.keep_alive"):
        assert attribute in cycle_init, f"uvicorn's cycle no longer sets {attribute}"


def test_uvicorn_shuts_connections_down_before_it_waits_for_requests_in_flight() -> None:
    shutdown = inspect.getsource(uvicorn.server.Server.shutdown)
    told, waited, ended = (
        shutdown.find(step)
        for step in ("connection.shutdown()", "_wait_tasks_to_complete()", "lifespan.shutdown()")
    )
    assert -1 < told < waited < ended, (
        "uvicorn no longer tells connections to shut down before it waits for requests in "
        "flight and then ends the lifespan: parked fetches would hold the server up"
    )
    assert list(inspect.signature(HttpToolsProtocol.shutdown).parameters) == ["self"]
    assert "self.app_state = app_state" in inspect.getsource(HttpToolsProtocol.__init__)


# connexion's per-request waste (framework docstring, 9-13)


def test_connexion_decorates_the_handler_in_each_request_where_we_decorate_it_once() -> None:
    from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
    from connexion.decorators.main import ASGIDecorator

    assert AsyncASGIApp.api_cls is AsyncApi, "connexion's app no longer makes its API from api_cls"
    assert "AsyncOperation.from_operation(" in inspect.getsource(AsyncApi.make_operation)
    assert isinstance(vars(AsyncOperation)["fn"], property), (
        "connexion's AsyncOperation.fn is no longer the property we replace"
    )
    assert "self.decorate(function)" in inspect.getsource(ASGIDecorator.__call__), (
        "connexion's decorator no longer decorates per request: framework._DecoratedOnce "
        "may no longer be needed, or no longer fit"
    )
    decorate = inspect.getsource(ASGIDecorator.decorate)
    body = decorate.split('"""')[-1]  # after the docstring
    assert "operation." not in body, "decorate() now reads the request's operation"
    assert "request" not in body, "decorate() now reads the request"


def test_connexion_parses_the_form_in_the_place_we_skip() -> None:
    from connexion.decorators.parameter import AsyncParameterDecorator
    from connexion.lifecycle import ConnexionRequest

    split = inspect.getsource(ConnexionRequest._split_form_files)
    assert "await self._starlette_request.form()" in split
    assert "self._form = self.uri_parser.resolve_form(form)" in split
    assert "await request.files()" in inspect.getsource(AsyncParameterDecorator.__call__)


def test_connexion_keeps_the_name_sanitizer_we_cache() -> None:
    from connexion.decorators.parameter import BaseParameterDecorator

    source = inspect.getsource(BaseParameterDecorator.__init__)
    assert "self.sanitize_fn = pythonic if pythonic_params else sanitized" in source


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ({"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}, "t1"),
        ({"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}, None),
        ({"name": "n", "in": "query", "schema": {"type": "integer"}}, "x"),
        ({"name": "n", "in": "query", "schema": {"type": "integer"}}, 3),
        ({"name": "n", "in": "query", "schema": {"type": "integer", "nullable": True}}, "null"),
        ({"name": "d", "in": "query", "schema": {"type": "string", "format": "date"}}, "no"),
        ({"name": "e", "in": "query", "schema": {"enum": ["a", "b"]}}, "c"),
    ],
)
def test_compiled_parameter_validator_answers_as_connexions(param: dict, value: object) -> None:  # type: ignore[type-arg]
    from connexion.validators import ParameterValidator

    for _ in range(2):  # built, then from the cache
        assert framework.CompiledParameterValidator.validate_parameter(
            param["in"], value, param
        ) == ParameterValidator.validate_parameter(param["in"], value, param)
    assert "self.validate_parameter(" in inspect.getsource(ParameterValidator)


_QUERY_PARAMETERS: list[dict[str, Any]] = [
    {"name": "sent", "in": "query", "schema": {"type": "integer"}},
    {"name": "absent", "in": "query", "schema": {"type": "integer"}},
    {"name": "needed", "in": "query", "required": True, "schema": {"type": "string"}},
    {"name": "later", "in": "query", "schema": {"type": "integer"}},
]


class _ParsedQuery:
    """What the validators read of a request: its query, parsed (no I/O to stand in for)."""

    def __init__(self, query: dict[str, object]) -> None:
        self.query_params = query
        self.path_params: dict[str, object] = {}
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}


def _query_error(validator_class: type, query: dict[str, object]) -> str | None:
    from connexion.exceptions import BadRequestProblem

    validator = validator_class(_QUERY_PARAMETERS, uri_parser=None)
    try:
        validator.validate_request(_ParsedQuery(query))
    except BadRequestProblem as problem:
        return str(problem.detail)
    return None


def test_connexion_validates_each_declared_query_parameter_by_name() -> None:
    from connexion.validators import ParameterValidator

    request_validation = inspect.getsource(ParameterValidator.validate_request)
    assert 'for param in self.parameters.get("query", []):' in request_validation
    assert "self.validate_query_parameter(param, request)" in request_validation
    one = inspect.getsource(ParameterValidator.validate_query_parameter)
    assert 'request.query_params.get(param["name"])' in one


@pytest.mark.parametrize(
    ("query", "looked_at_expected"),
    [
        # As the URI parser hands them on: converted to the parameter's type where they can
        # be. Looked at: in the spec's order, those sent or required, up to the first wrong.
        ({"sent": 1, "needed": "x"}, ["sent", "needed"]),
        ({"sent": 1}, ["sent", "needed"]),  # a required one missing
        ({"sent": 1, "needed": "x", "later": "two"}, ["sent", "needed", "later"]),
        ({"sent": "one", "needed": "x", "later": "two"}, ["sent"]),  # the first wrong one
        ({"needed": "null"}, ["needed"]),
    ],
)
def test_query_validation_answers_as_connexions_without_looking_at_what_was_not_sent(
    query: dict[str, object], looked_at_expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from connexion.validators import ParameterValidator

    expected = _query_error(ParameterValidator, query)
    looked_at: list[str] = []
    validate = framework.CompiledParameterValidator.validate_parameter

    def counted(kind: str, value: object, param: dict, name: str | None = None) -> object:  # type: ignore[type-arg]
        looked_at.append(param["name"])
        return validate(kind, value, param, name)

    monkeypatch.setattr(
        framework.CompiledParameterValidator, "validate_parameter", staticmethod(counted)
    )
    assert _query_error(framework.CompiledParameterValidator, query) == expected
    assert looked_at == looked_at_expected


def test_routing_mounts_each_api_router_where_we_index_it() -> None:
    add_api = inspect.getsource(connexion.middleware.routing.RoutingMiddleware.add_api)
    assert "api = RoutingAPI(" in add_api
    assert "route.app.default = api.router" in add_api
    assert "self.router.mount(api.base_path, app=api.router)" in add_api, (
        "connexion's routing no longer mounts each API's router: "
        "framework.IndexedRoutingMiddleware.add_api must follow it"
    )


def test_single_segment_parameter_patterns_never_match_a_slash() -> None:
    import re

    for pattern in framework.SINGLE_SEGMENT_PATTERNS:
        for text in ("/", "a/b", "1/2", "-1/0", ".5/", "/1", "1/"):
            assert re.fullmatch(f"(?:{pattern})", text) is None, (pattern, text)


def test_the_indexed_router_answers_as_starlettes() -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, Router

    class Named:
        """An ASGI endpoint that answers its name and the path parameters."""

        def __init__(self, name: str) -> None:
            self.name = name

        async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            answer = PlainTextResponse(f"{self.name} {scope.get('path_params')}")
            await answer(scope, receive, send)  # type: ignore[arg-type]

    paths = [
        ("/task", ["GET", "POST"]),
        ("/task/count", ["GET"]),
        ("/task/{id}", ["GET", "PUT", "DELETE"]),
        ("/task/{id}/variables/{name}/data", ["GET", "POST"]),
        ("/task/{id}/localVariables/{name}/data", ["POST"]),
        ("/{kind}/{id}/variables", ["GET"]),
        ("/process-instance/{id:int}", ["GET"]),
        ("/deployment/create", ["POST"]),
        ("/deployment/{id}/", ["GET"]),
    ]

    def router() -> Router:
        return Router([Route(p, Named(f"{p} {m}"), methods=[m]) for p, ms in paths for m in ms])

    requests = [
        (method, path)
        for method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
        for path in (
            "/task",
            "/task/",
            "/task/count",
            "/task/t1",
            "/task/t1/",
            "/task/t1/variables/v/data",
            "/task/t1/localVariables/v/data",
            "/execution/e1/variables",
            "/process-instance/12",
            "/process-instance/x",
            "/deployment/create",
            "/deployment/d1",
            "/deployment/d1/",
            "/nothing",
            "/",
            "//",
        )
    ]
    plain = TestClient(router(), follow_redirects=False)
    indexed = TestClient(framework._IndexedRouter(router()), follow_redirects=False)
    for method, path in requests:
        expected, got = plain.request(method, path), indexed.request(method, path)
        assert (got.status_code, got.headers, got.content) == (
            expected.status_code,
            expected.headers,
            expected.content,
        ), (method, path)
    assert framework._IndexedRouter(router()).candidates("POST", "/task/t1/variables/v/data")


def test_the_indexed_router_scans_like_starlettes_when_a_route_spans_segments() -> None:
    from starlette.routing import Route, Router

    async def endpoint(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        pass

    spanning = Router([Route("/files/{rest:path}", endpoint, methods=["GET"])])  # type: ignore[arg-type]
    assert framework._IndexedRouter(spanning).candidates("GET", "/files/a/b") == []


def test_the_app_routes_and_decorates_without_connexions_per_request_waste(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stock connexion app given our parts: no signature inspected, no form parsed
    again, one route tried by the API's router per request."""
    from connexion import AsyncApp
    from connexion.options import SwaggerUIOptions
    from starlette.requests import Request
    from starlette.routing import Route

    from taskvars.app import HANDLERS_PACKAGE  # noqa: F401 (the app module imports cleanly)

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            **{
                f"/other{n}/{{id}}": {
                    "get": {
                        "operationId": "tests.unit.test_framework_internals.other",
                        "parameters": [
                            {
                                "name": "id",
                                "in": "path",
                                "required": True,
                                "schema": {"type": "string"},
                            }
                        ],
                        "responses": {"200": {"description": "ok"}},
                    }
                }
                for n in range(20)
            },
            "/item/{itemId}": {
                "get": {
                    "operationId": "tests.unit.test_framework_internals.item",
                    "parameters": [
                        {
                            "name": "itemId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            },
        },
    }
    app = AsyncApp(__name__, swagger_ui_options=SwaggerUIOptions(swagger_ui=False))
    app.add_api(
        spec,
        pythonic_params=True,
        validator_map={"parameter": framework.CompiledParameterValidator},
    )
    framework.remove_per_request_waste(app)
    counts = {"signature": 0, "routes": 0, "forms": 0}

    def counting(name: str, original: object) -> object:
        def counted(*args: object, **kwargs: object) -> object:
            counts[name] += 1
            return original(*args, **kwargs)  # type: ignore[operator]

        return counted

    with TestClient(app) as client:
        assert client.get("/item/a").json() == {"item": "a"}  # first request: decorated here
        monkeypatch.setattr(inspect, "signature", counting("signature", inspect.signature))
        original_matches = Route.matches

        def api_route_matches(route: Route, scope: dict) -> object:  # type: ignore[type-arg]
            counts["routes"] += route.path.startswith(("/item", "/other"))
            return original_matches(route, scope)

        monkeypatch.setattr(Route, "matches", api_route_matches)
        monkeypatch.setattr(Request, "form", counting("forms", Request.form))
        for _ in range(3):
            assert client.get("/item/b").json() == {"item": "b"}
    assert counts["signature"] == 0
    assert counts["routes"] == 3  # the one candidate, once a request, not 21 in order
    assert counts["forms"] == 3  # connexion asks a GET for its (empty) form: no body read


async def item(item_id: str) -> dict[str, str]:
    return {"item": item_id}


async def other(id_: str) -> dict[str, str]:
    return {"other": id_}


def test_swagger_ui_routes_through_its_router_and_passes_on_a_copy_of_the_scope() -> None:
    from connexion.middleware import swagger_ui

    call = inspect.getsource(swagger_ui.SwaggerUIMiddleware.__call__)
    assert "_original_scope.set(scope.copy())" in call
    assert "await self.router(scope, receive, send)" in call, (
        "connexion's Swagger UI no longer routes every request through its router: "
        "framework.SwaggerUIOnItsPaths must follow it"
    )
    default = inspect.getsource(swagger_ui.SwaggerUIMiddleware.default_fn)
    assert "await self.app(original_scope, receive, send)" in default
    add_api = inspect.getsource(swagger_ui.SwaggerUIMiddleware.add_api)
    assert "self.router.mount(api.base_path, app=api.router)" in add_api


def _docs_app(ours: bool) -> object:
    from connexion import AsyncApp
    from connexion.options import SwaggerUIOptions

    spec = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/item/{itemId}": {
                "get": {
                    "operationId": "tests.unit.test_framework_internals.item",
                    "parameters": [
                        {
                            "name": "itemId",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    options = SwaggerUIOptions(
        serve_spec=False, spec_path="/openapi.json", swagger_ui=True, swagger_ui_path="/docs"
    )
    app = AsyncApp(__name__, swagger_ui_options=options)
    app.add_api(spec, base_path="/engine-rest", pythonic_params=True)
    if ours:
        framework.remove_per_request_waste(app)
    return app


def test_swagger_ui_on_its_paths_answers_as_connexions_and_routes_only_its_paths(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from starlette.routing import Mount

    requests = [
        ("GET", path)
        for path in (
            "/engine-rest/item/a",
            "/engine-rest/item/a/",
            "/engine-rest",
            "/engine-rest/",
            "/engine-rest/docs",
            "/engine-rest/docs/",
            "/engine-rest/docs/index.html",
            "/engine-rest/docs/index.html/",
            "/engine-rest/docs/swagger-ui-config.json",
            "/engine-rest/docs/swagger-ui.css",
            "/engine-rest/docsx",
            "/engine-rest/openapi.json",
            "/elsewhere",
        )
    ] + [("POST", "/engine-rest/docs/"), ("POST", "/engine-rest"), ("POST", "/engine-rest/item/a")]
    answers = {}
    for ours in (False, True):
        with TestClient(_docs_app(ours), follow_redirects=False) as client:  # type: ignore[arg-type]
            answers[ours] = [
                (r.status_code, r.headers.get("location"), r.content)
                for r in (client.request(method, path) for method, path in requests)
            ]
    for request, stock, taken in zip(requests, answers[False], answers[True], strict=True):
        assert taken == stock, request

    mounts_tried = 0
    original_matches = Mount.matches

    def counted_matches(mount: Mount, scope: dict) -> object:  # type: ignore[type-arg]
        nonlocal mounts_tried
        mounts_tried += 1
        return original_matches(mount, scope)

    with TestClient(_docs_app(True)) as client:  # type: ignore[arg-type]
        monkeypatch.setattr(Mount, "matches", counted_matches)
        assert client.get("/engine-rest/item/b").json() == {"item": "b"}
        api_mounts = mounts_tried  # routing's own mount of the API
        assert client.get("/engine-rest/docs/").status_code == 200
    assert api_mounts == 1, "the Swagger UI's router ran for an API request"
    assert mounts_tried > api_mounts, "the Swagger UI was not routed to for its own page"
