"""Every place taskvars relies on connexion, Starlette or uvicorn beyond their public API.

Written for connexion 3.3 (pinned to that minor version in ``pyproject.toml``),
Starlette 1.x and uvicorn's httptools protocol. ``tests/unit/test_framework_internals.py``
checks each assumption below directly, so that an upgrade that changes one fails there,
by name, instead of somewhere downstream.

1. connexion's body validators (``validator_map={"body": ...}``) are called as
   ``factory(schema=..., required=..., nullable=..., encoding=..., strict_validation=...,
   uri_parser=...)`` and then ``await validator.wrap_receive(receive, scope=scope)``,
   which returns the ``receive`` and scope the rest of the app sees. Our validators
   implement that contract without subclassing connexion's.
2. connexion's routing records the operation in ``scope["extensions"]["connexion_routing"]
   ["operation_id"]`` as ``<x-openapi-router-controller>.<operationId>``, updating the
   ``connexion_routing`` dict it finds there (the scope it writes to is a shallow copy of
   the one outer middlewares hold, so a dict made beforehand is shared with them).
3. connexion hands the items of ``scope["extensions"]["connexion_context"]`` to a handler
   as keyword arguments of the same name: that is how the streamed multipart form reaches
   the handler.
4. Starlette's exception middleware, when an error is raised after the response started,
   raises a ``RuntimeError`` whose ``__cause__`` is that error.
5. uvicorn's httptools protocol answers requests it cannot parse through
   ``send_400_response(msg)``, with ``STATUS_LINE``, ``server_state.default_headers`` and
   ``transport``.
6. connexion keeps an app's middlewares, outermost first, in ``app.middleware.middlewares``
   (ours as ``functools.partial`` of the class): read only by the test of the pipeline.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from taskvars.errors import error_body

ROUTING_CONTEXT = "connexion_routing"
HANDLER_CONTEXT = "connexion_context"


def operation_id(scope: Scope) -> str | None:
    """The Camunda operationId of the request's operation, once routing has matched it."""
    routed: str | None = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
    return routed.rpartition(".")[2] if routed else None


def share_routing_record(scope: Scope) -> None:
    """Let an outer middleware read the operation from ``scope`` once routing has run:
    routing updates the record in place when it exists before the scope is copied."""
    scope.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {})


def hand_to_handler(scope: Scope, name: str, value: Any) -> None:
    """Make ``value`` the handler's keyword argument ``name``."""
    scope.setdefault("extensions", {}).setdefault(HANDLER_CONTEXT, {})[name] = value


def middleware_classes(app: Any) -> list[type]:
    """The middlewares a request passes, outermost first."""
    return [getattr(middleware, "func", middleware) for middleware in app.middleware.middlewares]


def raised_after_response_started(error: BaseException) -> BaseException | None:
    """The error a handler raised once its response had started, if ``error`` is how
    Starlette reports that."""
    return error.__cause__ if isinstance(error, RuntimeError) else None


class CamundaErrorHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, answering requests it cannot parse (broken chunked
    framing, a bad request line, bytes after a body shorter than its ``Content-Length``
    claimed) in Camunda's error JSON instead of plain text. Otherwise uvicorn's
    behaviour: 400, then the connection is closed."""

    def send_400_response(self, msg: str) -> None:
        body = error_body("InvalidRequestException", msg)
        content = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

    def on_body(self, body: bytes) -> None:
        """uvicorn's, except that a chunk arriving while none waits is handed to the app
        as it is: uvicorn appends every chunk to a buffer and copies the buffer out again,
        two copies of each byte of an upload that cost a third of its time
        (docs/benchmarks.md). ``bytes()`` of a ``bytes`` object, which is what
        ``RequestResponseCycle.receive`` makes of the buffer, is that object itself."""
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        waiting: Any = cycle.body  # bytearray, or bytes that this method put there
        if not waiting:
            waiting = body
        elif isinstance(waiting, bytes):
            waiting = bytearray(waiting) + body
        else:
            waiting += body
        cycle.body = waiting
        if len(waiting) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()
