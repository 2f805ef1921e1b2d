"""The request-body validator for ``multipart/form-data`` (connexion's
``validator_map`` contract, see :mod:`taskvars.web.framework`): it parses the body once,
streaming, and lets the spec decide which parts are valid.

connexion's stock validator keeps every received chunk to replay it, and the body is then
parsed a second time for the handler; both cost the whole body in memory. This one
consumes the body itself, hands the parsed form to the handler (argument
``multipart_form``), and replays an empty form downstream.

The form's errors are Camunda's for the upload itself ("No 'data' part given"), not
reported under the operation's prefix.
"""

from __future__ import annotations

from typing import Any

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator
from starlette.datastructures import Headers
from starlette.types import Receive, Scope

from taskvars.errors import ApiError, InvalidRequestError
from taskvars.header_values import HeaderValueError, parse_media_type
from taskvars.web import socket_body
from taskvars.web.declared_errors import first_error
from taskvars.web.framework import hand_parsed_form_to_handler
from taskvars.web.multipart import (
    BinaryPart,
    FormLimits,
    FormPart,
    MultipartForm,
    StreamingFormParser,
    TextPart,
    boundary_of,
)
from taskvars.web.request_body import body_chunks, replace_body
from taskvars.web.schema_cache import SchemaCache

# The handler's argument that receives the parsed form.
FORM_ARGUMENT = "multipart_form"

# A spec property may name another property whose presence makes it ignored, as
# Camunda ignores ``valueType`` when the serialized-object ``type`` part is sent.
IGNORED_WHEN_EXTENSION = "x-ignored-when-present"
# On the schema: parts that are parsed and validated like properties but left out of the
# documented properties, so that client and test generators do not produce them.
DEPRECATED_PARTS_EXTENSION = "x-deprecated-parts"
# On a property with an enum: a value that differs from a member only in the case of its
# first letter is taken as that member, as Camunda's ``fromRestApiTypeName`` takes
# ``file`` for ``File``. The enum lists one spelling so that generators and Swagger UI
# show a clean list.
FIRST_LETTER_ANY_CASE_EXTENSION = "x-first-letter-any-case"
# On the schema: every part whose name is not a property is a file (binary), as
# Camunda's deployment form takes files under any part names.
OTHER_PARTS_BINARY_EXTENSION = "x-other-parts-binary"


# The memo of valid forms (FormSchema.first_error): instances of at most this many
# characters, names and texts, and at most this many of them.
VALID_FORM_CHARACTERS = 512
VALID_FORMS_KEPT = 256


class FormSchema:
    """What one operation's form schema says, prepared once (see :mod:`.schema_cache`)."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.properties: dict[str, dict[str, Any]] = {
            **schema.get("properties", {}),
            **schema.get(DEPRECATED_PARTS_EXTENSION, {}),
        }
        self.validator = Draft4RequestValidator(
            {**schema, "properties": self.properties},
            format_checker=Draft4Validator.FORMAT_CHECKER,
        )
        self.binary_fields = {n for n, p in self.properties.items() if _is_binary(p)}
        self.text_fields = set(self.properties) - self.binary_fields
        # Files under any other name (a deployment's).
        self.other_parts_binary = bool(schema.get(OTHER_PARTS_BINARY_EXTENSION))
        # A variable upload's content (its one file, ``data``) may be stored as it
        # arrives (FormLimits.streamed_part_sink); a deployment's files never are.
        self.streamed_field = (
            "data" if self.binary_fields == {"data"} and not self.other_parts_binary else None
        )
        # Forms found valid, as the instances validated: jsonschema's verdict depends
        # on the instance alone, and walking the schema costs more than parsing a small
        # form. Clients send a handful of shapes (a ``data`` part, a value type), so the
        # memo stays small; only short instances are kept, and at most VALID_FORMS_KEPT.
        self._valid: set[tuple[tuple[str, str], ...]] = set()

    def first_error(self, instance: dict[str, str]) -> ApiError | None:
        """The error the spec declares for the form ``instance`` (its parts' texts, ``""``
        for files), or ``None``: it is valid."""
        key = tuple(instance.items())
        if key in self._valid:
            return None
        error = first_error(self.validator.iter_errors(instance), prefixed=False)
        if error is None and sum(len(k) + len(v) for k, v in key) <= VALID_FORM_CHARACTERS:
            if len(self._valid) >= VALID_FORMS_KEPT:
                self._valid.clear()
            self._valid.add(key)
        return error


class StreamingMultipartValidator:
    """One request's body; construct through :func:`streaming_multipart_validator`."""

    def __init__(
        self, *, limits: FormLimits, form_schema: FormSchema, **_connexion_arguments: Any
    ) -> None:
        self._limits = limits
        self._form_schema = form_schema
        self._properties = form_schema.properties
        self._binary_fields = form_schema.binary_fields
        self._text_fields = form_schema.text_fields
        self._other_parts_binary = form_schema.other_parts_binary
        self._streamed_field = form_schema.streamed_field

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        boundary = boundary_of(Headers(scope=scope).get("content-type"))
        form = await self.read_form(receive, boundary, scope)
        hand_parsed_form_to_handler(scope, FORM_ARGUMENT, form)
        return self._replay_empty_form(receive, scope, boundary)

    async def read_form(self, receive: Receive, boundary: bytes, scope: Scope) -> MultipartForm:
        """The body, parsed and validated: the form the caller must close.

        A large body is read from the socket by a thread that writes each read as it
        comes (:mod:`taskvars.web.socket_body`), unless a part goes to a sink of the
        database's own (PostgreSQL's streamed upload), which is fed on the event loop."""
        streamed_elsewhere = self._streamed_field and self._limits.streamed_part_sink
        from_socket = None if streamed_elsewhere else socket_body.take(scope)
        parser: StreamingFormParser | None = None
        try:
            parser = StreamingFormParser(
                boundary,
                self._limits,
                binary_fields=self._binary_fields,
                text_fields=self._text_fields,
                other_parts_binary=self._other_parts_binary,
                streamed_field=self._streamed_field,
                write_through=from_socket is not None,
            )
            if from_socket is not None:
                await socket_body.read_body(from_socket, parser.feed)
            else:
                async for chunk in body_chunks(receive):
                    parser.feed(chunk)
                    await parser.drain()
            form = await parser.finish()
        except BaseException:
            if from_socket is not None:
                socket_body.give_back(from_socket)  # if read_body was never reached
            if parser is not None:
                parser.abort()
            raise
        try:
            self.validate_form(form)
        except BaseException:
            form.close()
            raise
        return form

    def validate_form(self, form: MultipartForm) -> None:
        present = set(form.parts)
        instance: dict[str, str] = {}
        for name, part in form.parts.items():
            ignored_when = self._properties.get(name, {}).get(IGNORED_WHEN_EXTENSION)
            if ignored_when in present:
                continue
            if isinstance(part, TextPart):
                _require_plain_text(part)
                instance[name] = _as_declared(part.text, self._properties.get(name, {}))
            else:
                instance[name] = ""  # content is opaque bytes; the schema says only "binary"
        if self._other_parts_binary and any(
            isinstance(part, BinaryPart) for part in form.parts.values()
        ):
            # A form of files under any names: a required file is there under another one.
            for name in self._binary_fields:
                instance.setdefault(name, "")
        error = self._form_schema.first_error(instance)
        if error is not None:
            raise error

    @staticmethod
    def _replay_empty_form(
        receive: Receive, scope: Scope, boundary: bytes
    ) -> tuple[Receive, Scope]:
        # The handler gets the form we parsed; what connexion sees is a form with no parts.
        return replace_body(receive, scope, b"--" + boundary + b"--\r\n")


def streaming_multipart_validator(limits: FormLimits) -> Any:
    """A validator factory for connexion's ``validator_map``, bound to ``limits``."""
    form_schemas = SchemaCache(FormSchema)

    def build(*, schema: dict[str, Any], **kwargs: Any) -> StreamingMultipartValidator:
        return StreamingMultipartValidator(
            limits=limits, form_schema=form_schemas.get(schema), **kwargs
        )

    return build


def _is_binary(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and schema.get("format") in ("binary", "base64")


def _as_declared(text: str, schema: dict[str, Any]) -> str:
    """``text``, or the enum member it spells with the other case of its first letter
    where the property allows that; anything else is left for the schema to refuse."""
    if not schema.get(FIRST_LETTER_ANY_CASE_EXTENSION):
        return text
    members: list[str] = schema.get("enum", [])
    return next((m for m in members if m[:1].lower() + m[1:] == text), text)


def _require_plain_text(part: FormPart) -> None:
    if part.content_type is None:
        return
    try:
        media_type = parse_media_type(part.content_type).value
    except HeaderValueError:
        media_type = None
    if media_type != "text/plain":
        raise InvalidRequestError(f"Form part with name '{part.name}' must have a text/plain value")
