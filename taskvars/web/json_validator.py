"""connexion's JSON request-body validator, with two gaps closed.

- A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``, which
  connexion takes for an empty body ("RequestBody is required"). Such a body is read
  here and given the length it has. (connexion reads JSON bodies whole anyway.)
- A body that is not valid in its declared charset is a client error, not a 500.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncGenerator
from typing import Any

from connexion.validators import AbstractRequestBodyValidator, JSONRequestBodyValidator
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Receive, Scope

from taskvars.errors import InvalidRequestError


class JsonBodyValidator(JSONRequestBodyValidator):
    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        headers = Headers(scope=scope)
        if "content-length" not in headers and "transfer-encoding" in headers:
            receive, scope = await _with_declared_length(receive, scope)
        return await super().wrap_receive(receive, scope=scope)

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        try:
            return await super()._parse(stream, scope)
        except UnicodeDecodeError as error:
            raise InvalidRequestError(f"The body is not valid {self._encoding}: {error}") from None


async def _with_declared_length(receive: Receive, scope: Scope) -> tuple[Receive, Scope]:
    chunks: list[bytes] = []
    more_body = True
    while more_body:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidRequestError("The client disconnected before the body was complete")
        chunks.append(message.get("body", b""))
        more_body = message.get("more_body", False)
    body = b"".join(chunks)
    new_scope = copy.copy(scope)
    new_scope["headers"] = [
        (name, value) for name, value in scope["headers"] if name.lower() != b"transfer-encoding"
    ]
    MutableHeaders(scope=new_scope)["content-length"] = str(len(body))
    replay = [{"type": "http.request", "body": body, "more_body": False}]
    return AbstractRequestBodyValidator._insert_messages(receive, messages=replay), new_scope
