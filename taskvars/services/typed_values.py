"""Camunda's typed values in JSON (``VariableValueDto``) and how they are stored.

Non-binary values are stored as text (``text_value``); ``Bytes`` and ``File`` go to the
chunked binary store. Conversion errors carry Camunda's wording; callers add the
"Cannot put ... variable <name>: " prefix.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
from datetime import datetime
from typing import Any

from taskvars.persistence.models import ID_LENGTH
from taskvars.persistence.values import BinarySource, NewValue, StoredValue
from taskvars.services.dates import epoch_millis, format_date, parse_date

_INTEGER_RANGES = {
    "Short": (-(2**15), 2**15 - 1, "java.lang.Short"),
    "Integer": (-(2**31), 2**31 - 1, "java.lang.Integer"),
    "Long": (-(2**63), 2**63 - 1, "java.lang.Long"),
}
_TEXT_TYPES = {"String": "java.lang.String", "Json": "java.lang.String", "Xml": "java.lang.String"}
JSON_FORMAT = "application/json"
FILENAME_REQUIRED = (
    "Cannot create file without filename! Please set a name into ValueInfo with key filename"
)
KNOWN_TYPES = frozenset(
    {"String", "Boolean", "Short", "Integer", "Long", "Double", "Date", "Null"}
    | {"Bytes", "File", "Json", "Xml", "Object"}
)


class ValueConversionError(ValueError):
    """The value cannot become the requested type; the message is Camunda's."""


# Limits of the columns that hold a value's details. Camunda's database refuses longer
# ones with a 500 (and SQLite would not refuse them at all): a 400 on every database
# (docs/compatibility.md). A File's filename has no limit of its own but the body's.
DETAIL_LIMITS = {
    "mimeType": ID_LENGTH,
    "encoding": ID_LENGTH,
    "serializationDataFormat": ID_LENGTH,
    "filename": None,
    "objectTypeName": None,
}


def checked_details(value: NewValue) -> NewValue:
    """``value`` if its details are text within their limits; else a conversion error."""
    details = {
        "mimeType": value.mime_type,
        "encoding": value.encoding,
        "serializationDataFormat": value.serialization_data_format,
        "filename": value.filename,
        "objectTypeName": value.object_type_name,
    }
    for name, detail in details.items():
        if detail is None:
            continue
        if not isinstance(detail, str):
            raise ValueConversionError(f"valueInfo.{name} must be a string")
        limit = DETAIL_LIMITS[name]
        if limit is not None and len(detail) > limit:
            raise ValueConversionError(f"valueInfo.{name} is longer than {limit} characters")
    return value


def value_from_dto(dto: dict[str, Any]) -> NewValue:
    """A ``VariableValueDto`` as a value to store."""
    return checked_details(_value_from_dto(dto))


def _value_from_dto(dto: dict[str, Any]) -> NewValue:
    value = dto.get("value")
    value_type = dto.get("type")
    info = dto.get("valueInfo") or {}
    if value_type is None:
        value_type = _inferred_type(value)
    else:
        value_type = value_type[:1].upper() + value_type[1:]
    # The spec's enum is the authority on ``type`` (requests and seed files are checked
    # against it, with Camunda's message); this keeps the conversion total on its own.
    if value_type not in KNOWN_TYPES:
        raise ValueConversionError(f"Unsupported value type '{dto.get('type')}'")
    if value is None or value_type == "Null":
        return NewValue(type="Null" if value_type == "Null" else value_type)
    if value_type in _TEXT_TYPES:
        return NewValue(type=value_type, text_value=_as_text(value, value_type))
    if value_type == "Boolean":
        text = _as_boolean(value)
        return NewValue(type="Boolean", text_value=text, long_value=int(text == "true"))
    if value_type in _INTEGER_RANGES:
        number = _as_integer(value, value_type)
        return NewValue(type=value_type, text_value=str(number), long_value=number)
    if value_type == "Double":
        double = _as_double(value)
        return NewValue(type="Double", text_value=repr(double), double_value=double)
    if value_type == "Date":
        instant = _as_date(value)
        return NewValue(
            type="Date", text_value=format_date(instant), long_value=epoch_millis(instant)
        )
    if value_type == "Object":
        return _object_from_dto(dto, value, info)
    return _binary_from_dto(value_type, value, info)


def is_transient(dto: dict[str, Any]) -> bool:
    """``valueInfo.transient``: accepted, and not stored."""
    transient = (dto.get("valueInfo") or {}).get("transient")
    return transient is True or (isinstance(transient, str) and transient.lower() == "true")


def _object_from_dto(dto: dict[str, Any], value: Any, info: dict[str, Any]) -> NewValue:
    if dto.get("type") is None:
        # An untyped JSON object or array: kept as JSON, described as Java would see it.
        java_type = "java.util.LinkedHashMap" if isinstance(value, dict) else "java.util.ArrayList"
        return NewValue(
            type="Object",
            text_value=json.dumps(value),
            object_type_name=java_type,
            serialization_data_format=JSON_FORMAT,
        )
    if not isinstance(value, str):
        raise ValueConversionError(
            "Must provide 'null' or String value for value of SerializableValue type 'Object'."
        )
    return NewValue(
        type="Object",
        text_value=value,
        object_type_name=info.get("objectTypeName"),
        serialization_data_format=info.get("serializationDataFormat"),
    )


def value_to_dto(
    stored: StoredValue, *, deserialize: bool, content: bytes | None = None
) -> dict[str, Any]:
    """A stored value as Camunda returns it. ``content`` is needed for ``Bytes`` only."""
    info: dict[str, Any] = {}
    value: Any
    if stored.type == "Bytes":
        value = base64.b64encode(content or b"").decode("ascii")
    elif stored.type == "File":
        value = None
        info = {"filename": stored.filename}
        if stored.mime_type is not None:
            info["mimeType"] = stored.mime_type
        if stored.encoding is not None:
            info["encoding"] = stored.encoding
    elif stored.type == "Object":
        info = {
            "objectTypeName": stored.object_type_name,
            "serializationDataFormat": stored.serialization_data_format,
        }
        value = stored.text_value
        if deserialize and stored.serialization_data_format == JSON_FORMAT:
            value = _parsed_json_or_text(stored.text_value)
    else:
        value = _parsed_text(stored.type, stored.text_value)
    return {"type": stored.type, "value": value, "valueInfo": info}


def _inferred_type(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        low, high, _ = _INTEGER_RANGES["Integer"]
        return "Integer" if low <= value <= high else "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return "Object"


def _conversion_error(value: Any, value_type: str, java_type: str) -> ValueConversionError:
    return ValueConversionError(
        f"Cannot convert value '{value}' of type '{value_type}' to java type {java_type}"
    )


def _as_text(value: Any, value_type: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list) and value_type == "Json":
        return json.dumps(value)
    raise _conversion_error(value, value_type, _TEXT_TYPES[value_type])


def _as_boolean(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    raise _conversion_error(value, "Boolean", "java.lang.Boolean")


def _as_integer(value: Any, value_type: str) -> int:
    low, high, java_type = _INTEGER_RANGES[value_type]
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = None
    if number is None or not low <= number <= high:
        raise _conversion_error(value, value_type, java_type)
    return number


def _as_double(value: Any) -> float:
    """Infinity and NaN are refused (docs/compatibility.md): JSON cannot carry them back
    (1e999 parses as infinity, and a listing holding it would not be JSON any more)."""
    number = None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        with contextlib.suppress(ValueError, OverflowError):
            number = float(value)
    if number is None or not math.isfinite(number):
        raise _conversion_error(value, "Double", "java.lang.Double")
    return number


def _as_date(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise _conversion_error(value, "Date", "java.util.Date")


def _binary_from_dto(value_type: str, value: Any, info: dict[str, Any]) -> NewValue:
    if not isinstance(value, str):
        raise _conversion_error(value, value_type, "[B")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _conversion_error(value, value_type, "[B") from None
    content = BinarySource.of_bytes(raw)
    if value_type == "Bytes":
        return NewValue(type="Bytes", content=content)
    if info.get("filename") is None:
        raise ValueConversionError(FILENAME_REQUIRED)
    return NewValue(
        type="File",
        content=content,
        filename=info.get("filename"),
        mime_type=info.get("mimeType") or info.get("mimetype"),
        encoding=info.get("encoding"),
    )


def plain_value(value_type: str, text: str | None) -> Any:
    """A stored non-binary value as a plain Python value, as expressions read it: numbers
    and booleans by their type, JSON (``Json``, serialized ``Object``) parsed."""
    if value_type in ("Json", "Object"):
        return _parsed_json_or_text(text)
    return _parsed_text(value_type, text)


def _parsed_json_or_text(text: str | None) -> Any:
    """There are no Java classes here to deserialize into: a JSON-serialized object comes
    back as parsed JSON, anything else (XML, Java serialization, text that is not JSON
    after all) as the serialized text it was stored as."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _parsed_text(value_type: str, text: str | None) -> Any:
    if text is None:
        return None
    if value_type == "Boolean":
        return text == "true"
    if value_type in _INTEGER_RANGES:
        return int(text)
    if value_type == "Double":
        return float(text)
    return text
