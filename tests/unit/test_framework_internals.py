"""The assumptions taskvars.web.framework makes about connexion, Starlette and uvicorn.

Each test names what an upgrade broke, so that it fails here, loudly, and not as a
puzzling 500 or a hanging upload elsewhere.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

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
