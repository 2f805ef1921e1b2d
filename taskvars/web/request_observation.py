"""Every request, observed once: its id, operation, status, bytes and time.

The outermost of our stages, outside connexion's exception middleware, so that it sees
the answer every error was turned into. The request id is the client's ``X-Request-Id``
when it sends a usable one, a new one otherwise, and is echoed in the response (and
handed to the error log). When the answer is complete, the request goes to the request
log (:mod:`.request_log`) and the metrics (:mod:`taskvars.metrics`).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskvars.metrics import instruments
from taskvars.web import request_log
from taskvars.web.framework import ZERO_COPY_SEND, operation_id, share_routing_record

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
        request_id = _request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))
        scope.setdefault("extensions", {})["taskvars"] = {"request_id": request_id}
        share_routing_record(scope)
        echoed = (REQUEST_ID_HEADER.encode(), request_id.encode("ascii"))
        status = 0
        bytes_in = bytes_out = 0
        uploading = False

        async def counted_receive() -> Message:
            nonlocal bytes_in, uploading
            # Checked before waiting: an upload waiting for its client is in progress.
            if not uploading and operation_id(scope) in self.operations.uploads:
                uploading = True
                instruments.UPLOADS_IN_PROGRESS.inc()
            message = await receive()
            if message["type"] == "http.request":
                bytes_in += len(message.get("body", b""))
            return message

        async def observed_send(message: Message) -> None:
            nonlocal status, bytes_out
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), echoed]}
            elif message["type"] == "http.response.body":
                bytes_out += len(message.get("body", b""))
            elif message["type"] == ZERO_COPY_SEND:
                bytes_out += message["count"]
            await send(message)

        try:
            await self.app(scope, counted_receive, observed_send)
        finally:
            if uploading:
                instruments.UPLOADS_IN_PROGRESS.dec()
            operation = operation_id(scope)
            observed = ObservedRequest(
                request_id=request_id,
                method=scope["method"],
                path=scope.get("path", ""),
                operation_id=operation,
                path_template=self.operations.path_templates.get(operation or ""),
                # No answer started: the server's own last resort answers 500.
                status=status or 500,
                bytes_in=bytes_in,
                bytes_out=bytes_out,
                seconds=time.perf_counter() - started,
            )
            _count(observed)
            request_log.write(observed)


def _request_id(sent: str | None) -> str:
    if sent is not None and _USABLE_REQUEST_ID.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


def _count(observed: ObservedRequest) -> None:
    operation = observed.operation_id or instruments.NO_OPERATION
    instruments.REQUESTS.labels(operation=operation, status=str(observed.status)).inc()
    instruments.DURATION.labels(operation=operation).observe(observed.seconds)
    if observed.bytes_in:
        instruments.RECEIVED_BYTES.labels(operation=operation).inc(observed.bytes_in)
    if observed.bytes_out:
        instruments.SENT_BYTES.labels(operation=operation).inc(observed.bytes_out)
