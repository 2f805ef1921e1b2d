"""Refuse request bodies over the configured size, whatever their framing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskvars.errors import PayloadTooLargeError


class BodyLimitMiddleware:
    """413 for a declared ``Content-Length`` over the limit, before reading anything;
    for chunked bodies, as soon as the bytes received pass it. The error is raised into
    whoever reads the body, so it propagates before anything is stored."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope["headers"])
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLargeError(self.max_body_bytes)
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLargeError(self.max_body_bytes)
            return message

        await self.app(scope, counted_receive, send)


def _content_length(headers: list[tuple[bytes, bytes]]) -> str | None:
    """As Starlette's ``Headers.get("content-length")``: the first, decoded as latin-1."""
    for name, value in headers:
        if name == b"content-length":
            return value.decode("latin-1")
    return None
