"""Reading an ASGI request body, and handing the app downstream a different one."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope

from taskvars.errors import ClientDisconnectedError


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's non-empty chunks, as they arrive, whatever its framing."""
    more_body = True
    while more_body:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnectedError()
        more_body = message.get("more_body", False)
        chunk = message.get("body", b"")
        if chunk:
            yield chunk


def replace_body(receive: Receive, scope: Scope, body: bytes) -> tuple[Receive, Scope]:
    """A ``receive`` that yields ``body`` (then whatever ``receive`` yields, such as a
    disconnect), and a scope whose headers declare its length."""
    new_scope = copy.copy(scope)
    new_scope["headers"] = [
        (name, value) for name, value in scope["headers"] if name.lower() != b"transfer-encoding"
    ]
    MutableHeaders(scope=new_scope)["content-length"] = str(len(body))
    replayed = False

    async def receive_body() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive_body, new_scope
