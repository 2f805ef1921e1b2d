"""What a ``.../data`` upload means, in Camunda's decision order (compat §2)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from taskvars.errors import InvalidRequestError, RestError
from taskvars.persistence.values import BinarySource, NewValue
from taskvars.services.typed_values import (
    FILENAME_REQUIRED,
    JSON_FORMAT,
    ValueConversionError,
    checked_details,
)
from taskvars.web.header_params import HeaderValueError, parse_media_type
from taskvars.web.multipart import BinaryPart, MultipartForm, TextPart

DEFAULT_MIME_TYPE = "application/octet-stream"
_BINARY_TYPES = {"bytes": "Bytes", "file": "File"}


@dataclass(frozen=True)
class BinaryUpload:
    """The value to store; ``None`` when there is nothing to store (a JSON ``null``)."""

    value: NewValue | None
    # The deprecated serialized-object form (``type`` part): Camunda reports its errors
    # without the "Cannot put ..." prefix.
    serialized: bool = False
    transient: bool = False


def interpret_upload(form: MultipartForm, *, chunk_bytes: int) -> BinaryUpload:
    upload = _interpret(form, chunk_bytes)
    if upload.value is not None:
        try:
            checked_details(upload.value)
        except ValueConversionError as error:
            raise InvalidRequestError(str(error)) from None
    return upload


def _interpret(form: MultipartForm, chunk_bytes: int) -> BinaryUpload:
    data = form.get("data")
    type_part = form.get("type")
    if isinstance(type_part, TextPart):
        return _serialized_object(type_part.text, _required_data(data))
    value_type_part = form.get("valueType")
    value_type = value_type_part.text if isinstance(value_type_part, TextPart) else "Bytes"
    canonical = _BINARY_TYPES.get(value_type[:1].lower() + value_type[1:])
    if canonical is None:
        raise RestError(f"Unsupported value type '{value_type}'")
    part = _required_data(data)
    content = BinarySource(part.chunks(chunk_bytes), part.size, part.sha256, spooled=part.spool)
    if canonical == "Bytes":
        return BinaryUpload(NewValue(type="Bytes", content=content))
    return _file(part, content)


def _required_data(data: object) -> BinaryPart:
    if not isinstance(data, BinaryPart):
        raise InvalidRequestError("No 'data' part given")
    return data


def _file(part: BinaryPart, content: BinarySource) -> BinaryUpload:
    if part.filename is None:
        raise InvalidRequestError(FILENAME_REQUIRED)
    mime_type, encoding, transient = DEFAULT_MIME_TYPE, None, False
    if part.content_type is not None:
        try:
            media_type = parse_media_type(part.content_type)
        except HeaderValueError:
            raise RestError("Invalid mime type given") from None
        mime_type = media_type.value
        encoding = media_type.params.get("encoding") or media_type.params.get("charset")
        transient = media_type.params.get("transient", "").lower() == "true"
    value = NewValue(
        type="File", content=content, filename=part.filename, mime_type=mime_type, encoding=encoding
    )
    return BinaryUpload(value, transient=transient)


def _serialized_object(type_name: str, data: BinaryPart) -> BinaryUpload:
    content_type = data.content_type
    if content_type is None or JSON_FORMAT not in content_type.lower():
        raise InvalidRequestError(
            f"Unrecognized content type for serialized java type: {content_type}"
            if content_type is not None
            else "Unrecognized content type for serialized java type: null"
        )
    charset = _charset(content_type)
    try:
        text = data.read_all().decode(charset)
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
