"""Reading an ASGI request body, and handing the app downstream a different one."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator

from connexion.validators import AbstractRequestBodyValidator
from starlette.datastructures import MutableHeaders
from starlette.types import Receive, Scope

from taskvars.errors import RestError


class ClientDisconnectedError(RestError):
    def __init__(self) -> None:
        super().__init__("The client disconnected before the body was complete")


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body's non-empty chunks, as they arrive."""
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
    """A ``receive`` that yields ``body``, and a scope whose headers declare its length."""
    new_scope = copy.copy(scope)
    new_scope["headers"] = [
        (name, value) for name, value in scope["headers"] if name.lower() != b"transfer-encoding"
    ]
    MutableHeaders(scope=new_scope)["content-length"] = str(len(body))
    message = {"type": "http.request", "body": body, "more_body": False}
    return AbstractRequestBodyValidator._insert_messages(receive, messages=[message]), new_scope
