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
7. uvicorn's httptools protocol keeps a request's unread body in ``cycle.body``, which
   ``RequestResponseCycle.receive`` hands out as ``bytes(cycle.body)``, pausing reading
   above ``HIGH_WATER_LIMIT``; it starts each request through
   ``_start_asgi_task(cycle, app)``, and a cycle's ``send`` tracks ``response_started``,
   ``response_complete``, ``chunked_encoding`` and ``expected_content_length`` and
   completes the response on an empty final body message.
8. uvicorn's server, told to stop, calls ``shutdown()`` on each open connection's
   protocol before it waits for the requests in flight (and only then ends the app's
   lifespan), and the protocol holds the state the lifespan yielded as ``app_state``.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Scope
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import is_ssl

from taskvars.errors import error_body
from taskvars.handlers.http.runtime import STATE_KEY, Runtime
from taskvars.web import send_file

ROUTING_CONTEXT = "connexion_routing"
# The ASGI extension for sending part of an open file (asgi.readthedocs.io, "Zero Copy Send").
ZERO_COPY_SEND = "http.response.zerocopysend"
# Key in the extension's scope entry: how long a send may wait for the client to read.
STALL_SECONDS = "taskvars_stall_seconds"
HANDLER_CONTEXT = "connexion_context"


def operation_id(scope: Scope) -> str | None:
    """The Camunda operationId of the request's operation, once routing has matched it."""
    routed: str | None = scope.get("extensions", {}).get(ROUTING_CONTEXT, {}).get("operation_id")
    return routed.rpartition(".")[2] if routed else None


def share_routing_record(scope: Scope) -> None:
    """Let an outer middleware read the operation from ``scope`` once routing has run:
    routing updates the record in place when it exists before the scope is copied."""
    scope.setdefault("extensions", {}).setdefault(ROUTING_CONTEXT, {})


def record_operation(scope: Scope, routed_as: str) -> None:
    """Record the operation as routing does (``<controller>.<operationId>``), for a request
    served without it (:mod:`taskvars.web.fast_path`)."""
    share_routing_record(scope)
    scope["extensions"][ROUTING_CONTEXT]["operation_id"] = routed_as


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

    def shutdown(self) -> None:
        """uvicorn's, after the parked fetch-and-lock requests have been answered: uvicorn
        waits for requests in flight before it ends the lifespan, and a parked one could
        hold the server that long (up to 30 minutes), to be cut off at the graceful
        shutdown's timeout. Called for each connection; answering is done once."""
        runtime: Runtime | None = self.app_state.get(STATE_KEY)
        if runtime is not None:
            runtime.parked_fetches.close()
        super().shutdown()

    def on_body(self, body: bytes) -> None:
        """uvicorn's, except that a chunk arriving while none waits is handed to the app
        as it is: uvicorn appends every chunk to a buffer and copies the buffer out again,
        two copies of each byte of an upload (about an eighth of the server's CPU time
        for a 256 MiB one, measured here). ``bytes()`` of a ``bytes`` object, which is
        what ``RequestResponseCycle.receive`` makes of the buffer, is that object itself."""
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

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        """Offer the ASGI zero-copy send extension, which uvicorn does not: a content
        file goes from the page cache to the socket by ``sendfile``, never through
        Python (see :mod:`taskvars.web.file_span_response`). Not over TLS, which
        ``sendfile`` would bypass."""
        if not is_ssl(self.transport):
            cycle.scope.setdefault("extensions", {})[ZERO_COPY_SEND] = {}
            cycle.send = _ZeroCopySend(cycle)  # type: ignore[method-assign]
        super()._start_asgi_task(cycle, app)


class _ZeroCopySend:
    """``send`` of one request: uvicorn's, plus ``http.response.zerocopysend`` messages
    (``file``, ``offset``, ``count``, ``more_body``).

    uvloop's transports have no ``loop.sendfile``, and a socket a transport owns cannot
    be watched by the loop too, so the bytes go by ``os.sendfile`` in a worker thread
    that waits for the socket with ``poll`` (:mod:`taskvars.web.send_file`), once the
    transport has written out what was sent before (the headers)."""

    def __init__(self, cycle: RequestResponseCycle) -> None:
        self._cycle = cycle
        self._send = cycle.send

    async def __call__(self, message: Any) -> None:
        if message["type"] != ZERO_COPY_SEND:
            await self._send(message)
            return
        cycle = self._cycle
        if not cycle.response_started or cycle.response_complete:
            raise RuntimeError(f"Unexpected ASGI message {ZERO_COPY_SEND!r}")
        if cycle.chunked_encoding:
            raise RuntimeError(f"{ZERO_COPY_SEND} needs a Content-Length")
        count: int = message["count"]
        if count > cycle.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        if cycle.scope["method"] != "HEAD" and not cycle.disconnected:
            offered: Any = cycle.scope["extensions"][ZERO_COPY_SEND]
            stall_seconds = float(offered.get(STALL_SECONDS, send_file.DEFAULT_STALL_SECONDS))
            # Nothing else may write to the socket meanwhile: a pipelined request that
            # does not parse would be answered (400) in the middle of the file's bytes.
            paused_here = not cycle.flow.read_paused
            if paused_here:
                cycle.flow.pause_reading()
            try:
                await send_file.flushed(cycle.transport)
                await send_file.send_span(
                    cycle.transport, message["file"], message.get("offset", 0), count, stall_seconds
                )
            except ConnectionError:
                cycle.disconnected = True  # the client went away: nothing left to send
                cycle.transport.close()
                return
            finally:
                if paused_here and not cycle.transport.is_closing():
                    cycle.flow.resume_reading()
            cycle.expected_content_length -= count
        if not message.get("more_body", False):
            # uvicorn's own completion: length check, keep-alive, the next pipelined request
            await self._send({"type": "http.response.body", "body": b"", "more_body": False})
