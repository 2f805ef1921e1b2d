"""connexion's JSON request-body validator, with two gaps closed.

- A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``, which
  connexion takes for an empty body ("RequestBody is required"). Such a body is read
  here and given the length it has. (connexion reads JSON bodies whole anyway.)
- A body that is not valid in its declared charset is a client error, not a 500.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from connexion.validators import JSONRequestBodyValidator
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from taskvars.errors import InvalidRequestError
from taskvars.web.request_body import body_chunks, replace_body


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
    body = b"".join([chunk async for chunk in body_chunks(receive)])
    return replace_body(receive, scope, body)
