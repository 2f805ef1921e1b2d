from __future__ import annotations

import pytest

from taskvars.persistence.values import StoredValue
from taskvars.services.typed_values import ValueConversionError, value_from_dto, value_to_dto


def stored(value_type: str, text: str | None) -> StoredValue:
    return StoredValue(
        name="v",
        scope_pk=1,
        type=value_type,
        text_value=text,
        content_pk=None,
        content_size=None,
        content_file=None,
        content_digest=None,
        filename=None,
        mime_type=None,
        encoding=None,
        object_type_name=None,
        serialization_data_format=None,
        revision=1,
    )


@pytest.mark.parametrize(
    ("dto", "expected"),
    [
        ({"type": "String", "value": "ACME"}, "ACME"),
        ({"type": "Boolean", "value": True}, True),
        ({"type": "Integer", "value": 2**31 - 1}, 2**31 - 1),
        ({"type": "Short", "value": -32768}, -32768),
        ({"type": "Long", "value": 2**63 - 1}, 2**63 - 1),
        ({"type": "Double", "value": 1.5}, 1.5),
        ({"type": "Date", "value": "2013-01-23T13:42:42.000+0200"}, "2013-01-23T13:42:42.000+0200"),
        ({"value": "untyped"}, "untyped"),
        ({"value": 7}, 7),
        ({"type": "Null", "value": None}, None),
    ],
)
def test_values_round_trip(dto: dict, expected: object) -> None:
    value = value_from_dto(dto)
    assert value_to_dto(stored(value.type, value.text_value), deserialize=True)["value"] == expected


@pytest.mark.parametrize(
    ("dto", "message"),
    [
        (
            {"type": "Short", "value": 40000},
            "Cannot convert value '40000' of type 'Short' to java type java.lang.Short",
        ),
        (
            {"type": "Integer", "value": 2**31},
            f"Cannot convert value '{2**31}' of type 'Integer' to java type java.lang.Integer",
        ),
        (
            {"type": "Boolean", "value": "yes"},
            "Cannot convert value 'yes' of type 'Boolean' to java type java.lang.Boolean",
        ),
        ({"type": "Wat", "value": 1}, "Unsupported value type 'Wat'"),
    ],
)
def test_conversion_errors_use_camundas_words(dto: dict, message: str) -> None:
    with pytest.raises(ValueConversionError) as raised:
        value_from_dto(dto)
    assert str(raised.value) == message


def test_untyped_large_integer_is_a_long() -> None:
    assert value_from_dto({"value": 2**40}).type == "Long"
