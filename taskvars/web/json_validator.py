"""connexion's JSON request-body validator, with two gaps closed.

- A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``, which
  connexion takes for an empty body ("RequestBody is required"). Such a body is read
  here and given the length it has. (connexion reads JSON bodies whole anyway.)
- A body that is not valid in its declared charset is a client error, not a 500.

And a violation answers with the error the spec declares for it (see
:mod:`taskvars.web.declared_errors`), prefixed as the operation says.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncGenerator, Mapping
from typing import Any

from connexion.validators import JSONRequestBodyValidator
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from taskvars.errors import InvalidRequestError
from taskvars.web.declared_errors import first_error
from taskvars.web.nul_characters import NUL_MESSAGE, contains_nul
from taskvars.web.request_body import body_chunks, replace_body


class JsonBodyValidator(JSONRequestBodyValidator):
    """Construct through :func:`json_body_validator`, which binds the error prefixes."""

    def __init__(self, *, error_prefixes: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._error_prefixes = error_prefixes
        self._scope: Scope = {}
        self._absent = False  # no body at all, as opposed to a body that is JSON null

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        self._scope = scope  # connexion builds one validator per request
        headers = Headers(scope=scope)
        if "content-length" not in headers and "transfer-encoding" in headers:
            receive, scope = await _with_declared_length(receive, scope)
        return await super().wrap_receive(receive, scope=scope)

    def _validate(self, body: Any) -> None:
        if self._absent:
            # connexion validates an absent body as null; absent is fine unless required.
            if self._required:
                raise InvalidRequestError("Request body must not be empty")
            return
        error = first_error(self._validator.iter_errors(body), prefix=self._error_prefix())
        if error is not None:
            raise error

    def _error_prefix(self) -> str:
        routing = self._scope.get("extensions", {}).get("connexion_routing", {})
        # connexion records the resolved id, "<x-openapi-router-controller>.<operationId>"
        operation_id = routing.get("operation_id", "").rpartition(".")[2]
        template = self._error_prefixes.get(operation_id, "")
        return template.format_map(defaultdict(str, self._scope.get("path_params", {})))

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        self._absent = not raw
        if self._absent:
            return None
        try:
            body = json.loads(raw.decode(self._encoding))
        except UnicodeDecodeError as error:
            raise InvalidRequestError(f"The body is not valid {self._encoding}: {error}") from None
        except ValueError as error:
            raise InvalidRequestError(f"The body is not valid JSON: {error}") from None
        if contains_nul(body):
            raise InvalidRequestError(NUL_MESSAGE)
        return body


def json_body_validator(error_prefixes: Mapping[str, str]) -> Any:
    """A validator factory for connexion's ``validator_map``."""

    def build(**kwargs: Any) -> JsonBodyValidator:
        return JsonBodyValidator(error_prefixes=error_prefixes, **kwargs)

    return build


async def _with_declared_length(receive: Receive, scope: Scope) -> tuple[Receive, Scope]:
    body = b"".join([chunk async for chunk in body_chunks(receive)])
    return replace_body(receive, scope, body)
