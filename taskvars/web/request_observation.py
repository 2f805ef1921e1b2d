"""Every request, observed once: its id, operation, status, bytes and time.

The outermost of our stages, outside connexion's exception middleware, so that it sees
the answer every error was turned into. The request id is the client's ``X-Request-Id``
when it sends a usable one, a new one otherwise, and is echoed in the response (and
handed to the error log). When the answer is complete, the request goes to the request
log (:mod:`.request_log`) and the metrics (:mod:`taskvars.metrics`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskvars.metrics import instruments, per_operation
from taskvars.web import request_log
from taskvars.web.framework import (
    BODY_FROM_SOCKET,
    BYTES_READ,
    ROUTING_CONTEXT,
    WHEN_GRANTED,
    ZERO_COPY_SEND,
)

REQUEST_ID_HEADER = "x-request-id"
# What is taken from a client: printable ASCII, without spaces, of a sensible length
# (it is echoed in a header and written to the log).
_USABLE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


@dataclass(frozen=True)
class ObservedRequest:
    request_id: str
    method: str
    path: str  # as requested
    operation_id: str | None
    path_template: str | None  # the spec's path of the operation, under the base path
    status: int
    bytes_in: int
    bytes_out: int
    seconds: float


@dataclass(frozen=True)
class Operations:
    """What the spec says of each operation that the observation needs."""

    path_templates: Mapping[str, str]
    uploads: frozenset[str]  # operations that take a multipart body

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], base_path: str) -> Operations:
        templates = {}
        uploads = set()
        for path, item in spec.get("paths", {}).items():
            for operation in item.values():
                if not isinstance(operation, Mapping) or "operationId" not in operation:
                    continue
                templates[operation["operationId"]] = base_path + path
                body = operation.get("requestBody", {})
                if "$ref" in body:  # "#/components/requestBodies/<name>"
                    body = spec["components"]["requestBodies"][body["$ref"].rpartition("/")[2]]
                if "multipart/form-data" in body.get("content", {}):
                    uploads.add(operation["operationId"])
        return cls(templates, frozenset(uploads))


def request_id_of(scope: Scope) -> str | None:
    """The id the observation gave the request, for other log lines about it."""
    request_id: str | None = scope.get("extensions", {}).get("taskvars", {}).get("request_id")
    return request_id


class RequestObservationMiddleware:
    def __init__(self, app: ASGIApp, *, operations: Operations) -> None:
        self.app = app
        self.operations = operations

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope["headers"])
        extensions = scope.setdefault("extensions", {})
        extensions["taskvars"] = {"request_id": request_id}
        # Made here, so that routing fills it in place (framework, assumption 2).
        routing: dict[str, Any] = extensions.setdefault(ROUTING_CONTEXT, {})
        echoed = (REQUEST_ID_HEADER_BYTES, request_id.encode("ascii"))
        status = 0
        bytes_in = bytes_out = 0
        uploading = False
        uploads = self.operations.uploads

        def note_upload() -> None:
            nonlocal uploading
            if not uploading and _operation_id(routing) in uploads:
                uploading = True
                instruments.UPLOADS_IN_PROGRESS.inc()

        from_socket = extensions.get(BODY_FROM_SOCKET)
        if from_socket is not None:
            from_socket[WHEN_GRANTED] = note_upload  # its body does not come through receive

        async def counted_receive() -> Message:
            nonlocal bytes_in
            # Checked before waiting: an upload waiting for its client is in progress.
            note_upload()
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status, bytes_out
            kind = message["type"]
            if kind == "http.response.body":
                bytes_out += len(message.get("body", b""))
            elif kind == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            elif kind == ZERO_COPY_SEND:
                bytes_out += message["count"]
            await send(message)

        try:
            await self.app(scope, counted_receive, observed_send)
        finally:
            if from_socket is not None:
                bytes_in += from_socket.get(BYTES_READ, 0)
            if uploading:
                instruments.UPLOADS_IN_PROGRESS.dec()
            operation = _operation_id(routing)
            seconds = time.perf_counter() - started
            # No answer started: the server's own last resort answers 500.
            status = status or 500
            per_operation.of(operation).observe(status, seconds, bytes_in, bytes_out)
            if request_log.enabled():
                request_log.write(
                    ObservedRequest(
                        request_id=request_id,
                        method=scope["method"],
                        path=scope.get("path", ""),
                        operation_id=operation,
                        path_template=self.operations.path_templates.get(operation or ""),
                        status=status,
                        bytes_in=bytes_in,
                        bytes_out=bytes_out,
                        seconds=seconds,
                    )
                )


REQUEST_ID_HEADER_BYTES = REQUEST_ID_HEADER.encode()
_UUID_VERSION_MASK = ~(0xF000 << 64) & ~(0xC000 << 48)
_UUID_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)


def _operation_id(routing: Mapping[str, Any]) -> str | None:
    """As :func:`taskvars.web.framework.operation_id`, from the routing record itself."""
    routed: str | None = routing.get("operation_id")
    return routed.rpartition(".")[2] if routed else None


def _request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER_BYTES:
            # As Starlette's Headers.get: the first, names as the server gives them
            # (lowercase), the value decoded as latin-1.
            sent = value.decode("latin-1")
            if _USABLE_REQUEST_ID.fullmatch(sent):
                return sent
            break
    # uuid.uuid4().hex, without building a UUID: 122 random bits, version 4, RFC variant.
    random = int.from_bytes(os.urandom(16))
    return f"{(random & _UUID_VERSION_MASK) | _UUID_VERSION_4:032x}"
