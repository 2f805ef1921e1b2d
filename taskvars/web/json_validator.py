"""The request-body validator for JSON bodies (connexion's ``validator_map`` contract,
see :mod:`taskvars.web.framework`), written for what connexion's own leaves open:

- A body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``, which
  connexion's validator takes for an empty body. Here the body is read, whatever its
  framing, and passed on with the length it has. (JSON bodies are read whole anyway.)
- A body that is not valid in its declared charset, or not JSON, is a client error.
- U+0000 is refused in every string (see :mod:`taskvars.web.nul_characters`).
- A violation answers with the error the spec declares for it
  (:mod:`taskvars.web.declared_errors`), as an error of the operation, so that it gets
  the operation's prefix.
- The jsonschema validator of each schema is built once, not once per request.
"""

from __future__ import annotations

import json
from typing import Any

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator
from starlette.types import Receive, Scope

from taskvars.errors import InvalidRequestError
from taskvars.web.declared_errors import first_error
from taskvars.web.nul_characters import NUL_MESSAGE, contains_nul
from taskvars.web.request_body import body_chunks, replace_body
from taskvars.web.schema_cache import SchemaCache

# connexion's wording for a required body that is missing, which clients have seen.
BODY_REQUIRED = "RequestBody is required"


class JsonBodyValidator:
    """One request's body; construct through :func:`json_body_validator`."""

    def __init__(
        self,
        *,
        validator: Draft4Validator,
        schema: dict[str, Any],
        required: bool = False,
        nullable: bool = False,
        encoding: str = "utf-8",
        **_connexion_arguments: Any,
    ) -> None:
        self._validator = validator
        self._default = schema.get("default")
        self._required = required
        self._nullable = nullable
        self._encoding = encoding

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        raw = b"".join([chunk async for chunk in body_chunks(receive)])
        if not raw and self._default is not None:
            raw = json.dumps(self._default).encode(self._encoding)
        if raw:
            self._validate(self._parse(raw))
        elif self._required:
            raise InvalidRequestError(BODY_REQUIRED)
        return replace_body(receive, scope, raw)

    def _parse(self, raw: bytes) -> Any:
        try:
            body = json.loads(raw.decode(self._encoding))
        except (UnicodeDecodeError, LookupError) as error:
            raise InvalidRequestError(f"The body is not valid {self._encoding}: {error}") from None
        except ValueError as error:
            raise InvalidRequestError(f"The body is not valid JSON: {error}") from None
        if contains_nul(body):
            raise InvalidRequestError(NUL_MESSAGE)
        return body

    def _validate(self, body: Any) -> None:
        if body is None and self._nullable:
            return
        error = first_error(self._validator.iter_errors(body), prefixed=True)
        if error is not None:
            raise error


def json_body_validator() -> Any:
    """A validator factory for connexion's ``validator_map``."""
    validators = SchemaCache(
        lambda schema: Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    )

    def build(*, schema: dict[str, Any], **kwargs: Any) -> JsonBodyValidator:
        return JsonBodyValidator(validator=validators.get(schema), schema=schema, **kwargs)

    return build
