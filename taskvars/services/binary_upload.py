"""What a ``.../data`` upload means, in Camunda's decision order.

Which parts exist and what they may hold is the spec's to say
(``MultiFormVariableBinaryDto``: ``data`` is required, ``valueType`` is ``Bytes`` or
``File`` with either first letter, the deprecated ``type`` part is a Java type name), and
the request is refused before it gets here if they do not. This module decides what valid
parts mean: which value they make, with which file name, media type and encoding, and
refuses what only their content can tell (a media type that does not parse, JSON that
does not parse, a serialized object sent as something other than JSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from taskvars.errors import InvalidRequestError, RestError
from taskvars.header_values import HeaderValueError, parse_media_type
from taskvars.persistence.values import BinarySource, NewValue
from taskvars.services.typed_values import (
    FILENAME_REQUIRED,
    JSON_FORMAT,
    ValueConversionError,
    checked_details,
)

DEFAULT_MIME_TYPE = "application/octet-stream"
DEFAULT_VALUE_TYPE = "Bytes"


@dataclass(frozen=True)
class DataPart:
    """The ``data`` part: its bytes, and what its headers said about them."""

    content: BinarySource
    filename: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class UploadedParts:
    """The parts of an upload that mean something; other parts are ignored."""

    data: DataPart
    # The text of the ``valueType`` part, if sent.
    value_type: str | None = None
    # The text of the deprecated ``type`` part (a Java type name), if sent.
    type_name: str | None = None


@dataclass(frozen=True)
class BinaryUpload:
    """The value to store; ``None`` when there is nothing to store (a JSON ``null``)."""

    value: NewValue | None
    # The deprecated serialized-object form (``type`` part): Camunda reports its engine
    # errors without saying which operation failed.
    serialized: bool = False
    transient: bool = False

    @property
    def content_bytes(self) -> int:
        """How many bytes of binary content storing it writes."""
        content = self.value.content if self.value is not None else None
        return content.size if content is not None else 0


def interpret_upload(parts: UploadedParts) -> BinaryUpload:
    upload = _interpret(parts)
    if upload.value is not None:
        try:
            checked_details(upload.value)
        except ValueConversionError as error:
            raise InvalidRequestError(str(error)) from None
    return upload


def _interpret(parts: UploadedParts) -> BinaryUpload:
    if parts.type_name is not None:
        return _serialized_object(parts.type_name, parts.data)
    value_type = parts.value_type or DEFAULT_VALUE_TYPE
    # The spec admits only Bytes and File, first letter in either case.
    if value_type[:1].upper() + value_type[1:] == "Bytes":
        return BinaryUpload(NewValue(type="Bytes", content=parts.data.content))
    return _file(parts.data)


def _file(data: DataPart) -> BinaryUpload:
    if data.filename is None:
        raise InvalidRequestError(FILENAME_REQUIRED)
    mime_type, encoding, transient = DEFAULT_MIME_TYPE, None, False
    if data.content_type is not None:
        try:
            media_type = parse_media_type(data.content_type)
        except HeaderValueError:
            raise RestError("Invalid mime type given") from None
        mime_type = media_type.value
        encoding = media_type.params.get("encoding") or media_type.params.get("charset")
        transient = media_type.params.get("transient", "").lower() == "true"
    value = NewValue(
        type="File",
        content=data.content,
        filename=data.filename,
        mime_type=mime_type,
        encoding=encoding,
    )
    return BinaryUpload(value, transient=transient)


def _serialized_object(type_name: str, data: DataPart) -> BinaryUpload:
    content_type = data.content_type
    if content_type is None or JSON_FORMAT not in content_type.lower():
        named = "null" if content_type is None else content_type
        raise InvalidRequestError(f"Unrecognized content type for serialized java type: {named}")
    try:
        text = data.content.read_all().decode(_charset(content_type))
        parsed = json.loads(text)
    except (UnicodeDecodeError, LookupError, ValueError) as error:
        raise InvalidRequestError(f"Could not deserialize JSON object: {error}") from None
    if parsed is None:
        return BinaryUpload(None, serialized=True)
    value = NewValue(
        type="Object",
        text_value=text,
        object_type_name=type_name,
        serialization_data_format=JSON_FORMAT,
    )
    return BinaryUpload(value, serialized=True)


def _charset(content_type: str) -> str:
    try:
        return parse_media_type(content_type).params.get("charset", "utf-8")
    except HeaderValueError:
        return "utf-8"
