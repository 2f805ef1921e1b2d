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
   completes the response on an empty final body message. Its ``data_received`` hands
   what it gets to httptools' ``feed_data``, which takes any buffer and keeps nothing of
   it (``on_body`` gets a copy), and uvicorn makes a connection's protocol by calling its
   ``http`` class with keyword arguments: :class:`BufferedHttpProtocol` wraps it so.
   For a body read from the socket by a thread (:func:`body_from_socket`): the protocol
   makes its parser in ``__init__`` as ``httptools.HttpRequestParser(self)`` with
   ``set_dangerous_leniencies(lenient_data_after_close=True)`` and keeps it as
   ``parser`` (a new one can take over between requests); ``on_message_complete`` sets
   ``cycle.more_body`` to false; ``data_received`` first calls
   ``_unset_keepalive_if_required()``; a cycle keeps its ``flow`` and
   ``waiting_for_100_continue``, which ``receive`` answers by writing ``100 Continue``.
8. uvicorn's server, told to stop, calls ``shutdown()`` on each open connection's
   protocol before it waits for the requests in flight (and only then ends the app's
   lifespan), and the protocol holds the state the lifespan yielded as ``app_state``.

connexion's per-request waste, removed where it is made (:func:`remove_per_request_waste`;
``docs/upstream/`` reproduces each against a stock connexion app):

9. ``AsyncOperation.fn`` builds a new ``StarletteDecorator`` for every request, whose
   wrapper decorates the handler again for every request (``inspect.signature`` of it
   each time) and builds a new URI parser. connexion's ``AsyncASGIApp`` makes its
   operations through its ``api_cls``, whose ``make_operation`` calls
   ``AsyncOperation.from_operation``; the decorator's ``decorate`` depends on nothing of
   the request, and its ``uri_parser`` only on the operation.
10. The parameter decorator always asks the request for its files, which parses the
    form (``ConnexionRequest._split_form_files``) even when a body validator has parsed
    it already: our multipart validator says so with :func:`hand_parsed_form_to_handler`
    and replays an empty form, whose parse yields nothing.
11. The parameter decorator turns every name into its Python form (``pythonic``: the
    ``inflection`` regular expressions) on every request; the decorator keeps the
    function as ``sanitize_fn``.
12. ``ParameterValidator.validate_parameter`` deep-copies each parameter's definition and
    builds a new JSON-schema validator from it for every parameter of every request;
    ``validator_map["parameter"]`` takes a subclass.
13. ``RoutingMiddleware`` routes through Starlette routers that try the paths in order
    (over a hundred here), mounting each API's ``RoutingAPI.router`` in ``add_api``.
    The routes are Starlette ``Route``s whose parameters match inside one segment.
14. ``SwaggerUIMiddleware`` runs every request through a Starlette router (its API's
    mount, then the documentation's routes) and, when none matches, passes a copy of the
    scope on (``default_fn``, with the copy made before routing). Its routes hang off one
    ``Mount`` per API; its router redirects a path that matches only with a slash added.
15. ``ParameterValidator.validate_request`` validates every query parameter the operation
    declares on every request, through ``validate_query_parameter(param, request)``,
    sent or not (``GET /task`` declares over a hundred); one not sent is ``None`` to
    ``validate_parameter``, which finds nothing wrong with it unless it is required.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import httptools
from connexion import AsyncApp
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.context import receive as request_receive
from connexion.context import scope as request_scope
from connexion.decorators import StarletteDecorator
from connexion.decorators.parameter import AsyncParameterDecorator
from connexion.frameworks.starlette import FloatConverter, IntegerConverter
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionRequest
from connexion.middleware.routing import RoutingAPI, RoutingMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.utils import is_null, is_nullable
from connexion.validators import ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette._utils import get_route_path
from starlette.convertors import (
    FloatConvertor,
    IntegerConvertor,
    StringConvertor,
    UUIDConvertor,
)
from starlette.routing import Match, Mount, Route, Router
from starlette.types import Receive, Scope, Send
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
from taskvars.web.schema_cache import SchemaCache

ROUTING_CONTEXT = "connexion_routing"
# The ASGI extension for sending part of an open file (asgi.readthedocs.io, "Zero Copy Send").
ZERO_COPY_SEND = "http.response.zerocopysend"
# Key in the extension's scope entry: how long a send may wait for the client to read.
STALL_SECONDS = "taskvars_stall_seconds"
HANDLER_CONTEXT = "connexion_context"
# Key in scope["extensions"]: the body's form has been parsed and handed to the handler.
FORM_PARSED = "taskvars_form_parsed"


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


def hand_parsed_form_to_handler(scope: Scope, name: str, form: Any) -> None:
    """Make the form a body validator parsed the handler's keyword argument ``name``; the
    body it passes on must then be an empty form, which connexion need not parse again."""
    hand_to_handler(scope, name, form)
    scope["extensions"][FORM_PARSED] = True


def middleware_classes(app: Any) -> list[type]:
    """The middlewares a request passes, outermost first; one that stands in for one of
    connexion's under the name of connexion's, the one middleware positions refer to."""
    classes = [getattr(middleware, "func", middleware) for middleware in app.middleware.middlewares]
    return [_STANDS_IN_FOR.get(middleware, middleware) for middleware in classes]


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

    # Set by BufferedHttpProtocol: offers a request's body to be read from the socket.
    offer_body_from_socket: Callable[[RequestResponseCycle], None] | None = None
    # Body bytes of the latest request that httptools has handed to on_body.
    body_bytes_parsed = 0

    def on_headers_complete(self) -> None:
        self.body_bytes_parsed = 0
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """uvicorn's, except that a chunk arriving while none waits is handed to the app
        as it is: uvicorn appends every chunk to a buffer and copies the buffer out again,
        two copies of each byte of an upload (about an eighth of the server's CPU time
        for a 256 MiB one, measured here). ``bytes()`` of a ``bytes`` object, which is
        what ``RequestResponseCycle.receive`` makes of the buffer, is that object itself."""
        self.body_bytes_parsed += len(body)
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
            if self.offer_body_from_socket is not None:
                self.offer_body_from_socket(cycle)
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


def remove_per_request_waste(app: AsyncApp) -> None:
    """Give ``app`` the parts below in place of connexion's (assumptions 9, 11 and 13;
    the parameter validator goes into ``validator_map``). Call it once all middlewares are
    added: connexion places them by the class of its own, and routing's is replaced."""
    app._middleware_app.api_cls = _ApiDecoratingOnce
    middlewares = app.middleware.middlewares
    middlewares[middlewares.index(RoutingMiddleware)] = IndexedRoutingMiddleware
    middlewares[middlewares.index(SwaggerUIMiddleware)] = SwaggerUIOnItsPaths


class _FormAwareRequest(ConnexionRequest):  # type: ignore[misc]
    """connexion's request, which does not parse again a form already parsed (10)."""

    async def _split_form_files(self) -> None:
        if self.scope.get("extensions", {}).get(FORM_PARSED):
            # What parsing the empty form the validator passed on yields.
            self._files: dict[str, list[Any]] = defaultdict(list)
            self._form = self.uri_parser.resolve_form(defaultdict(list))
            return
        await super()._split_form_files()


class _FormAwareStarlette(StarletteFramework):  # type: ignore[misc]
    @staticmethod
    def get_request(*, scope: Scope, receive: Receive, uri_parser: Any, **_: Any) -> Any:
        return _FormAwareRequest(scope, receive, uri_parser=uri_parser)


# The same few names (the spec's parameters) are turned into Python names on every request.
_REMEMBERED_NAMES = 4096


class _ParameterDecorator(AsyncParameterDecorator):  # type: ignore[misc]
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        sanitize: Callable[[str], str] = getattr(self, "sanitize_fn")  # noqa: B009 (untyped base)
        self.sanitize_fn = functools.lru_cache(maxsize=_REMEMBERED_NAMES)(sanitize)


class _DecoratedOnce(StarletteDecorator):  # type: ignore[misc]
    """connexion's decorator, decorating the handler once instead of on every request (9)."""

    framework = _FormAwareStarlette

    @property
    def _parameter_decorator_cls(self) -> type:
        return _ParameterDecorator

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)
        # The operation's URI parser, made at its first request: it reads the operation
        # from the request's context.
        uri_parsers: list[Any] = []

        @functools.wraps(function)
        async def wrapper(*_args: Any, **_kwargs: Any) -> Any:
            if not uri_parsers:
                uri_parsers.append(self.uri_parser)
            request = self.framework.get_request(
                uri_parser=uri_parsers[0], scope=request_scope, receive=request_receive
            )
            return await decorated(request)

        return wrapper


class _OperationDecoratedOnce(AsyncOperation):  # type: ignore[misc]
    @functools.cached_property
    def fn(self) -> Callable[..., Any]:
        decorator = _DecoratedOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        decorated: Callable[..., Any] = decorator(self._fn)
        return decorated


class _ApiDecoratingOnce(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: Any) -> AsyncOperation:
        return _OperationDecoratedOnce.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class CompiledParameterValidator(ParameterValidator):  # type: ignore[misc]
    """connexion's, with each parameter's JSON-schema validator built once (12), and
    nothing looked at for an optional query parameter the request did not send (15)."""

    def validate_query_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        if not param.get("required") and param["name"] not in request.query_params:
            return None  # what validate_parameter answers for it: nothing was sent
        error: str | None = super().validate_query_parameter(param, request)
        return error

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        # connexion's steps, with the validator built once.
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            try:
                _PARAMETER_VALIDATORS.get(param).validate(value)
            except ValidationError as exception:
                return str(exception)
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


def _parameter_validator(param: dict[str, Any]) -> Draft4Validator:
    return Draft4Validator(
        param.get("schema", param), format_checker=Draft4Validator.FORMAT_CHECKER
    )


_PARAMETER_VALIDATORS = SchemaCache(_parameter_validator)


# Regular expressions of path parameters that never match a "/": a route whose parameters
# all have one of these matches only paths with as many segments as its own.
SINGLE_SEGMENT_PATTERNS = frozenset(
    convertor.regex
    for convertor in (
        StringConvertor,
        IntegerConvertor,
        FloatConvertor,
        UUIDConvertor,
        IntegerConverter,
        FloatConverter,
    )
)
_RouteKey = tuple[str, int, str | None]  # method, number of "/", first segment if literal


class _IndexedRouter(Router):
    """Starlette's router, trying first only the routes that can match a request fully:
    those of its method, its number of segments and its first segment (or a parameter
    there), in their order. When none does, Starlette's whole ordered scan runs (405,
    redirect, the default), so every answer is the one the plain router gives (13)."""

    def __init__(self, router: Router) -> None:
        super().__init__(
            routes=router.routes, redirect_slashes=router.redirect_slashes, default=router.default
        )
        self._indexed_routes = -1
        self._index: dict[_RouteKey, list[Route]] | None = None

    def candidates(self, method: str, route_path: str) -> list[Route]:
        if self._indexed_routes != len(self.routes):
            self._index = _route_index(self.routes)
            self._indexed_routes = len(self.routes)
        if self._index is None:
            return []
        count = route_path.count("/")
        first = route_path.split("/", 2)[1] if count else ""
        found = self._index.get((method, count, first))
        return found if found is not None else self._index.get((method, count, None), [])

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.candidates(scope["method"], get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _route_index(routes: list[Any]) -> dict[_RouteKey, list[Route]] | None:
    """Candidate routes by method, "/" count and first segment (``None``: a parameter), in
    order; ``None`` if some route could match paths of other shapes."""
    shapes: list[tuple[Route, set[str], int, str | None]] = []
    for route in routes:
        if (
            type(route) is not Route
            or not route.methods
            or any(c.regex not in SINGLE_SEGMENT_PATTERNS for c in route.param_convertors.values())
        ):
            return None
        first = route.path.split("/", 2)[1] if route.path.count("/") else ""
        shapes.append(
            (route, route.methods, route.path.count("/"), None if "{" in first else first)
        )
    keys = {(method, count, first) for _, methods, count, first in shapes for method in methods}
    keys |= {(method, count, None) for method, count, _ in keys}
    return {
        (method, count, first): [
            route
            for route, methods, route_count, route_first in shapes
            if method in methods
            and route_count == count
            and (route_first is None or route_first == first)
        ]
        for method, count, first in keys
    }


class IndexedRoutingMiddleware(RoutingMiddleware):  # type: ignore[misc]
    """connexion's routing, through :class:`_IndexedRouter` (13). ``add_api`` is
    connexion's, with the API's router indexed before it is mounted."""

    def add_api(
        self,
        specification: Any,
        base_path: str | None = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        api = RoutingAPI(
            specification, base_path=base_path, arguments=arguments, next_app=self.app, **kwargs
        )
        router = _IndexedRouter(api.router)
        # As connexion does: a second API under the same base path answers what the first
        # does not.
        for route in self.router.routes:
            if isinstance(route, Mount) and route.path == api.base_path:
                chained: Any = route.app
                chained.default = router
        self.router.mount(api.base_path, app=router)


class SwaggerUIOnItsPaths(SwaggerUIMiddleware):  # type: ignore[misc]
    """connexion's Swagger UI, whose router runs only for the paths it may answer (14):
    the others (every API request) go on as its router would pass them, without it."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.exact_paths: frozenset[str] = frozenset()
        self.path_prefixes: tuple[str, ...] = ("",)  # until its APIs are known: all

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        self.exact_paths, self.path_prefixes = _paths_routed(self.router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            if path not in self.exact_paths and not path.startswith(self.path_prefixes):
                # What default_fn passes on: the scope as it came, copied.
                await self.app(dict(scope), receive, send)
                return
        await super().__call__(scope, receive, send)


def _paths_routed(router: Router) -> tuple[frozenset[str], tuple[str, ...]]:
    """The paths ``router`` may answer, for :class:`SwaggerUIOnItsPaths`: a mount's own
    path (redirected to the path with a slash), and what starts as one of its routes'
    paths, up to their first parameter (with or without a final slash: redirected too)."""
    exact = set()
    prefixes = set()
    for mount in router.routes:
        if not isinstance(mount, Mount) or not isinstance(mount.app, Router):
            return frozenset(), ("",)  # not the shape known: everything is routed
        exact.add(mount.path)
        for route in mount.app.routes:
            route_path: str | None = getattr(route, "path", None)
            if route_path is None:
                return frozenset(), ("",)
            prefixes.add((mount.path + route_path.partition("{")[0]).rstrip("/"))
    return frozenset(exact), tuple(sorted(prefixes))


_STANDS_IN_FOR: dict[type, type] = {
    IndexedRoutingMiddleware: RoutingMiddleware,
    SwaggerUIOnItsPaths: SwaggerUIMiddleware,
}


# How much one read from a connection's socket may take (see BufferedHttpProtocol).
READ_BUFFER_BYTES = 1024 * 1024
# A body at least this long may be read from the socket in a thread (body_from_socket).
BODY_FROM_SOCKET_MIN_BYTES = 2 * 1024 * 1024
# Key in scope["extensions"]: a dict through which a reader asks for the body from the
# socket (and the client timeout says how long a read may wait, STALL_SECONDS).
BODY_FROM_SOCKET = "taskvars_body_from_socket"
# Keys in that dict: ours; whether the body was handed over (past it, receive waits for
# a disconnect only); how many bytes the thread read, for the request's record; and what
# to call when the body is handed over (the request's observation notes an upload).
_GRANT = "grant"
GRANTED = "granted"
BYTES_READ = "bytes_read"
WHEN_GRANTED = "when_granted"


def body_from_socket(scope: Scope) -> SocketBody | None:
    """The rest of this request's body, for the caller to read from the connection's
    socket (:mod:`taskvars.web.socket_body`), which the connection does not read
    meanwhile; ``None`` to receive it as usual. Offered for a body of at least
    ``BODY_FROM_SOCKET_MIN_BYTES`` with a plain ``Content-Length`` over plain HTTP,
    granted once, while the body is the connection's current one and not all in. The
    caller must end with :meth:`SocketBody.done`."""
    offer: dict[str, Any] | None = scope.get("extensions", {}).get(BODY_FROM_SOCKET)
    if offer is None:
        return None
    body: SocketBody | None = offer[_GRANT]()
    return body


class SocketBody:
    """What a connection hands over with a request body's rest: a duplicate of its
    socket's descriptor (``fd``), what httptools had parsed of the body already
    (``received``), how many bytes follow (``remaining``), how long a read may wait for
    the client (``stall_seconds``)."""

    def __init__(
        self,
        protocol: BufferedHttpProtocol,
        cycle: RequestResponseCycle,
        offer: dict[str, Any],
        fd: int,
        received: bytes,
        remaining: int,
    ) -> None:
        self._protocol = protocol
        self.cycle = cycle
        self._offer = offer
        self.fd = fd
        self.received = received
        self.remaining = remaining
        self.stall_seconds = float(offer.get(STALL_SECONDS, send_file.DEFAULT_STALL_SECONDS))
        self.given_back = False

    def done(self, bytes_read: int) -> None:
        """Give the socket back, ``bytes_read`` of ``remaining`` read: the connection
        skips the rest, then parses the next request with a new parser."""
        assert not self.given_back
        self.given_back = True
        os.close(self.fd)
        self._offer[BYTES_READ] = len(self.received) + bytes_read
        self._protocol._socket_body_done(self, bytes_read)


def _declared_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The body's length, if its headers declare it plainly: one ``Content-Length``, no
    ``Transfer-Encoding``, no ``Upgrade`` (which httptools would hand over otherwise)."""
    length = None
    for name, value in headers:
        if name == b"content-length":
            if length is not None or not value.isdigit():
                return None
            length = int(value)
        elif name in (b"transfer-encoding", b"upgrade"):
            return None
    return length


def _new_parser(protocol: HttpToolsProtocol) -> httptools.HttpRequestParser:
    """A parser as uvicorn makes one for a connection (``HttpToolsProtocol.__init__``)."""
    parser = httptools.HttpRequestParser(protocol)
    parser.set_dangerous_leniencies(lenient_data_after_close=True)
    return parser


class _ReadBuffers(threading.local):
    """One read buffer per thread, shared by every connection its event loop serves:
    uvloop asks for the buffer, reads into it and hands it back (``buffer_updated``)
    in one go, one connection at a time, and nothing refers to it afterwards. A buffer
    per connection would cost a megabyte for each one held open."""

    def __init__(self) -> None:
        self.buffer = memoryview(bytearray(READ_BUFFER_BYTES))


_READ_BUFFERS = _ReadBuffers()


class BufferedHttpProtocol(asyncio.BufferedProtocol):
    """:class:`CamundaErrorHttpProtocol`, fed from a read buffer of ours.

    Given a plain protocol, uvloop reads at most 256 KiB at a time into a buffer of its
    own and copies each read into a new ``bytes``; given a buffered one it reads straight
    into the buffer the protocol offers (up to 1 MiB here, :class:`_ReadBuffers`), which
    httptools parses where it lies (its ``on_body`` copies the body bytes out, so nothing
    refers to the buffer once ``buffer_updated`` returns). For a 1 GiB upload that spared
    a copy of every byte and three reads in four: the event loop's CPU fell from 0.76 to
    0.49 s. uvloop takes a protocol as buffered only if it is no ``asyncio.Protocol``,
    which uvicorn's is: hence a wrapper rather than a subclass.

    Reading a body past httptools on the event loop saved nothing: into a new buffer per
    read, zeroing each cost what copying out of this warm one does; into reused blocks
    handed on as views, the kernel's copy into blocks out of the cache cost what
    httptools' copy had (docs/benchmarks.md, "Measurements behind design decisions").
    What saves is reading a large body in a thread that stores each read at once
    (:func:`body_from_socket`); the bytes of it that thread leaves unread are skipped here
    before the next request is parsed, by a new parser."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        self.http = CamundaErrorHttpProtocol(*arguments, **keywords)
        self.http.offer_body_from_socket = self._offer_body_from_socket
        self._buffer = _READ_BUFFERS.buffer
        self._skip_bytes = 0  # of a body a reading thread left

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.http.connection_made(transport)  # type: ignore[arg-type]

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        data = self._buffer[:nbytes]
        if self._skip_bytes:
            self.http._unset_keepalive_if_required()  # as data_received does first
            skipped = min(self._skip_bytes, nbytes)
            self._skip_bytes -= skipped
            if self._skip_bytes:
                return
            self.http.parser = _new_parser(self.http)
            data = data[skipped:]
            if not data:
                return
        # httptools' feed_data takes any buffer; uvicorn's annotation says bytes.
        self.http.data_received(data)  # type: ignore[arg-type]

    def eof_received(self) -> None:
        self.http.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.http.connection_lost(exc)

    def _offer_body_from_socket(self, cycle: RequestResponseCycle) -> None:
        length = _declared_length(cycle.scope["headers"])
        if length is not None and length >= BODY_FROM_SOCKET_MIN_BYTES:
            offer: dict[str, Any] = {}
            offer[_GRANT] = functools.partial(self._grant_body_from_socket, cycle, length, offer)
            extensions: dict[str, Any] = cycle.scope["extensions"]
            extensions[BODY_FROM_SOCKET] = offer

    def _grant_body_from_socket(
        self, cycle: RequestResponseCycle, length: int, offer: dict[str, Any]
    ) -> SocketBody | None:
        http = self.http
        if (
            GRANTED in offer
            or http.cycle is not cycle  # a pipelined request: httptools is past it
            or not cycle.more_body
            or cycle.response_complete
            or cycle.disconnected
            or http.transport.is_closing()
        ):
            return None
        sock = http.transport.get_extra_info("socket")
        try:
            fd = os.dup(sock.fileno())
        except (AttributeError, OSError):
            return None  # no socket to be had, or no descriptor left: received as usual
        offer[GRANTED] = True
        when_granted = offer.get(WHEN_GRANTED)
        if when_granted is not None:
            when_granted()
        if cycle.waiting_for_100_continue:  # as uvicorn's receive answers it
            http.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            cycle.waiting_for_100_continue = False
        cycle.flow.pause_reading()
        received, cycle.body = bytes(cycle.body), bytearray()
        cycle.message_event.clear()  # what on_body said is taken: receive has nothing
        remaining = length - http.body_bytes_parsed
        return SocketBody(self, cycle, offer, fd, received, remaining)

    def _socket_body_done(self, body: SocketBody, bytes_read: int) -> None:
        cycle = body.cycle
        self._skip_bytes = body.remaining - bytes_read
        if not self._skip_bytes:
            self.http.parser = _new_parser(self.http)
            cycle.more_body = False  # as on_message_complete says
        if not self.http.transport.is_closing():
            cycle.flow.resume_reading()

    def pause_writing(self) -> None:
        self.http.pause_writing()

    def resume_writing(self) -> None:
        self.http.resume_writing()
