"""The fast path's operations: the same work as their connexion handlers, by the same
functions (:mod:`taskvars.handlers.http.variable_operations`), without connexion."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connexion.jsonifier import Jsonifier
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from taskvars.errors import MalformedMultipartError
from taskvars.handlers.http.variable_operations import (
    binary_download,
    inline_binary_response,
    read_variable,
    store_upload_async,
)
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import StoredValue
from taskvars.services import variables
from taskvars.services.variables import VariableResource
from taskvars.web.fast_path import postgres_small, sqlite_small
from taskvars.web.fast_path.reads import read_then_answer
from taskvars.web.fast_path.routes import Route
from taskvars.web.multipart import FormLimits, boundary_of
from taskvars.web.multipart_validator import FormSchema, StreamingMultipartValidator

HANDLERS_PACKAGE = "taskvars.handlers"
MULTIPART = "multipart/form-data"
# What connexion answers a handler's ``NoContent, 204`` with, for operations whose other
# answers are JSON: the operation's one media type, and no body.
NO_CONTENT_START = {
    "type": "http.response.start",
    "status": 204,
    "headers": [(b"content-type", b"application/json")],
}
NO_CONTENT_BODY = {"type": "http.response.body", "body": b""}

# The binary variable uploads: taskvars.handlers.<controller>.<operation> calls
# variable_operations.upload_binary with its module's RESOURCE.
UPLOADS = frozenset(
    {
        "setBinaryTaskVariable",
        "setBinaryTaskLocalVariable",
        "setProcessInstanceVariableBinary",
        "setLocalExecutionVariableBinary",
    }
)
# ... and the downloads, variable_operations.download_binary.
DOWNLOADS = frozenset(
    {
        "getTaskVariableBinary",
        "getTaskLocalVariableBinary",
        "getProcessInstanceVariableBinary",
        "getLocalExecutionVariableBinary",
    }
)


@dataclass(frozen=True)
class FastRequest:
    """What the fast path knows of a request it serves."""

    database: Database
    path: Mapping[str, str]  # the path parameters, in the template's order
    query: Mapping[str, Any]  # the declared query parameters, defaults filled in
    accepted: Any  # what the operation's accepts() found

    @property
    def scope_id_and_name(self) -> tuple[str, str]:
        scope_id, name = self.path.values()
        return scope_id, name


# ... and the reads of one variable, variable_operations.get_variable.
READS = frozenset(
    {
        "getTaskVariable",
        "getTaskLocalVariable",
        "getProcessInstanceVariable",
        "getLocalExecutionVariable",
    }
)
DESERIALIZE_VALUE = "deserializeValue"
JSON = "application/json"
_JSONIFIER = Jsonifier()  # connexion's default, which the app uses


class FastOperation(Protocol):
    def accepts(self, scope: Scope) -> Any:
        """What :meth:`serve` needs of the request; ``None`` when this operation does not
        serve it (the full pipeline does)."""

    async def serve(self, request: FastRequest, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, raising errors as its connexion handler would."""


class Upload:
    """``POST .../{id}/.../{varName}/data``: connexion's handler is ``upload_binary``."""

    def __init__(self, route: Route, limits: FormLimits) -> None:
        self.resource = resource_of(route)
        body = route.operation["requestBody"]
        schema = body["content"][MULTIPART]["schema"]
        self.form = StreamingMultipartValidator(limits=limits, form_schema=FormSchema(schema))

    def accepts(self, scope: Scope) -> bytes | None:
        """The body's boundary."""
        return _boundary(scope)

    async def serve(self, request: FastRequest, scope: Scope, receive: Receive, send: Send) -> None:
        form = await self.form.read_form(receive, request.accepted, scope)
        scope_id, name = request.scope_id_and_name
        # PostgreSQL: one statement where one will do (postgres_small); SQLite: raw
        # statements on the writer thread, no unit of work (sqlite_small).
        stored_otherwise = postgres_small.upload_store(
            request.database, self.resource, scope_id, name
        ) or sqlite_small.upload_store(request.database, self.resource, scope_id, name)
        await store_upload_async(
            request.database, self.resource, scope_id, name, form, stored_otherwise=stored_otherwise
        )
        await send(NO_CONTENT_START)
        await send(NO_CONTENT_BODY)


class Download:
    """``GET .../{id}/.../{varName}/data``: connexion's handler is ``download_binary``."""

    def __init__(self, route: Route) -> None:
        self.resource = resource_of(route)

    def accepts(self, scope: Scope) -> bool:
        return True

    async def serve(self, request: FastRequest, scope: Scope, receive: Receive, send: Send) -> None:
        scope_id, name = request.scope_id_and_name
        headers = Headers(scope=scope)
        response = await read_then_answer(
            request,
            self.resource,
            functools.partial(_inline_download, headers, scope_id),
            functools.partial(
                binary_download, request.database, headers, self.resource, scope_id, name
            ),
        )
        await response(scope, receive, send)


class VariableRead:
    """``GET .../{id}/.../{varName}``: connexion's handler is ``get_variable``, whose
    answer connexion serializes as the operation's one media type, JSON."""

    def __init__(self, route: Route) -> None:
        self.resource = resource_of(route)

    def accepts(self, scope: Scope) -> bool:
        return True

    async def serve(self, request: FastRequest, scope: Scope, receive: Receive, send: Send) -> None:
        scope_id, name = request.scope_id_and_name
        deserialize: bool = request.query[DESERIALIZE_VALUE]
        dto = await read_then_answer(
            request,
            self.resource,
            functools.partial(variables.dto_of_inline, deserialize=deserialize),
            functools.partial(
                read_variable, request.database, self.resource, scope_id, name, deserialize
            ),
        )
        await send_json(dto, send)


def _inline_download(
    request_headers: Headers, scope_id: str, stored: StoredValue
) -> Response | None:
    """The download's answer from ``stored`` as one statement read it; ``None`` when its
    bytes did not come with it."""
    return inline_binary_response(request_headers, variables.binary_value(scope_id, stored))


JSON_CONTENT_TYPE = (b"content-type", JSON.encode("latin-1"))


async def send_json(data: Any, send: Send) -> None:
    """A handler's JSON answer as connexion sends it (``Jsonifier``, then Starlette's
    ``Response`` with the media type also given as a header: that header, then the
    body's length), its two messages sent without building the ``Response``."""
    body = _JSONIFIER.dumps(data).encode("utf-8")
    headers = [JSON_CONTENT_TYPE, (b"content-length", str(len(body)).encode("latin-1"))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def operation_for(route: Route, limits: FormLimits) -> FastOperation:
    if route.operation_id in UPLOADS:
        return Upload(route, limits)
    if route.operation_id in DOWNLOADS:
        return Download(route)
    if route.operation_id in READS:
        return VariableRead(route)
    raise ValueError(f"{route.operation_id} is not an operation of the fast path")


def resource_of(route: Route) -> VariableResource:
    """The variable resource the operation's handler module serves."""
    module: Any = importlib.import_module(f"{HANDLERS_PACKAGE}.{route.controller}")
    resource: VariableResource = module.RESOURCE
    return resource


def _boundary(scope: Scope) -> bytes | None:
    """The boundary of a body that is plainly ``multipart/form-data``: one Content-Type
    header, read as connexion reads it to choose the body's validator."""
    content_types = [value for name, value in scope["headers"] if name.lower() == b"content-type"]
    if len(content_types) != 1:
        return None
    content_type = content_types[0].decode("latin-1")
    if content_type.split(";", 1)[0] != MULTIPART:
        return None
    try:
        return boundary_of(content_type)
    except MalformedMultipartError:
        return None  # the full pipeline says so
