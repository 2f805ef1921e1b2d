"""connexion's request-body validator for ``multipart/form-data``, replaced by one that
parses the body once, streaming, and lets the spec decide which parts are valid.

connexion's stock validator keeps every received chunk to replay it, and the body is then
parsed a second time for the handler; both cost the whole body in memory. This one
consumes the body itself, hands the parsed form to the handler through connexion's
request context (argument ``multipart_form``), and replays an empty form downstream.
"""

from __future__ import annotations

from typing import Any

from connexion.json_schema import Draft4RequestValidator
from connexion.validators import AbstractRequestBodyValidator
from jsonschema import Draft4Validator
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from taskvars.errors import InvalidRequestError
from taskvars.web.declared_errors import first_error
from taskvars.web.header_params import HeaderValueError, parse_media_type
from taskvars.web.multipart import (
    FormLimits,
    FormPart,
    MultipartForm,
    StreamingFormParser,
    TextPart,
    boundary_of,
)
from taskvars.web.request_body import body_chunks, replace_body

FORM_CONTEXT_KEY = "multipart_form"

# A spec property may name another property whose presence makes it ignored, as
# Camunda ignores ``valueType`` when the serialized-object ``type`` part is sent.
IGNORED_WHEN_EXTENSION = "x-ignored-when-present"
# On the schema: parts that are parsed and validated like properties but left out of the
# documented properties, so that client and test generators do not produce them.
DEPRECATED_PARTS_EXTENSION = "x-deprecated-parts"


class StreamingMultipartValidator(AbstractRequestBodyValidator):
    """Construct through :func:`streaming_multipart_validator`, which binds the limits."""

    def __init__(self, *, limits: FormLimits, **kwargs: Any) -> None:
        kwargs.pop("uri_parser", None)
        super().__init__(**kwargs)
        self._limits = limits
        properties: dict[str, dict[str, Any]] = {
            **self._schema.get("properties", {}),
            **self._schema.get(DEPRECATED_PARTS_EXTENSION, {}),
        }
        self._properties = properties
        self._validation_schema = {**self._schema, "properties": properties}
        self._binary_fields = {n for n, p in properties.items() if _is_binary(p)}
        self._text_fields = set(properties) - self._binary_fields

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        headers = Headers(scope=scope)
        boundary = boundary_of(headers.get("content-type"))
        parser = StreamingFormParser(
            boundary,
            self._limits,
            binary_fields=self._binary_fields,
            text_fields=self._text_fields,
        )
        try:
            async for chunk in body_chunks(receive):
                parser.feed(chunk)
                await parser.drain()
            form = await parser.finish()
        except BaseException:
            parser.abort()
            raise
        try:
            self._validate_form(form)
        except BaseException:
            form.close()
            raise
        context = scope.setdefault("extensions", {}).setdefault("connexion_context", {})
        context[FORM_CONTEXT_KEY] = form
        return self._replay_empty_form(receive, scope, boundary)

    def _validate_form(self, form: MultipartForm) -> None:
        present = set(form.parts)
        instance: dict[str, Any] = {}
        for name, part in form.parts.items():
            ignored_when = self._properties.get(name, {}).get(IGNORED_WHEN_EXTENSION)
            if ignored_when in present:
                continue
            if isinstance(part, TextPart):
                _require_plain_text(part)
                instance[name] = part.text
            else:
                instance[name] = ""  # content is opaque bytes; the schema says only "binary"
        validator = Draft4RequestValidator(
            self._validation_schema, format_checker=Draft4Validator.FORMAT_CHECKER
        )
        error = first_error(validator.iter_errors(instance))
        if error is not None:
            raise error

    @staticmethod
    def _replay_empty_form(
        receive: Receive, scope: Scope, boundary: bytes
    ) -> tuple[Receive, Scope]:
        # connexion's parameter decorator always parses the form again; give it one with no parts.
        return replace_body(receive, scope, b"--" + boundary + b"--\r\n")


def streaming_multipart_validator(limits: FormLimits) -> Any:
    """A validator factory for connexion's ``validator_map``, bound to ``limits``."""

    def build(**kwargs: Any) -> StreamingMultipartValidator:
        return StreamingMultipartValidator(limits=limits, **kwargs)

    return build


def _is_binary(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and schema.get("format") in ("binary", "base64")


def _require_plain_text(part: FormPart) -> None:
    if part.content_type is None:
        return
    try:
        media_type = parse_media_type(part.content_type).value
    except HeaderValueError:
        media_type = None
    if media_type != "text/plain":
        raise InvalidRequestError(f"Form part with name '{part.name}' must have a text/plain value")
