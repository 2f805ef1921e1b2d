"""Form field conversions and validators as Camunda's form types and validators behave
(taskvars.engine.form_values), on hand-made fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from taskvars.engine.form_values import (
    FormFieldConversionError,
    FormModelError,
    FormValueError,
    JavaNumberFormatError,
    SubmitContext,
    Typed,
    form_value,
    to_model,
    validate,
)
from taskvars.engine.forms import Constraint, FormField


def field(field_type: str = "string", *constraints: Constraint, **options: Any) -> FormField:
    return FormField(
        "f", field_type, options.pop("default", None), constraints=constraints, **options
    )


def context(visible: Typed | None = None, default: Any = None) -> SubmitContext:
    def no_variable(name: str) -> Any:
        raise KeyError(name)

    return SubmitContext(visible=lambda: visible, default=lambda: default, read=no_variable)


def refused(form_field: FormField, value: Typed | None, ctx: SubmitContext | None = None) -> str:
    with pytest.raises(FormValueError) as raised:
        validate(form_field, value, ctx or context())
    return raised.value.message


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        (Typed(None, 5), 5),
        (Typed("Integer", 5), 5),
        (Typed(None, "-7"), -7),
        (Typed("Long", 2**62), 2**62),
        (Typed(None, None), None),
    ],
)
def test_a_long_field_takes_whole_numbers_and_their_text(submitted: Typed, expected: Any) -> None:
    assert to_model(field("long"), submitted) == Typed("Long", expected)


@pytest.mark.parametrize("text", ["abc", "5.0", " 5", "", "9223372036854775808"])
def test_a_long_field_refuses_what_long_value_of_refuses(text: str) -> None:
    with pytest.raises(JavaNumberFormatError) as raised:
        to_model(field("long"), Typed(None, text))
    assert raised.value.message == f'For input string: "{text}"'


def test_a_double_is_no_long_even_when_whole() -> None:
    with pytest.raises(JavaNumberFormatError):
        to_model(field("long"), Typed("Double", 5.0))


def test_a_boolean_field_reads_text_as_boolean_value_of_does() -> None:
    assert to_model(field("boolean"), Typed(None, "TRUE")) == Typed("Boolean", True)
    assert to_model(field("boolean"), Typed(None, "yes")) == Typed("Boolean", False)
    with pytest.raises(FormValueError, match=r"^Value '5' is not of type Boolean\.$"):
        to_model(field("boolean"), Typed(None, 5))


def test_a_string_field_writes_other_values_as_java_would() -> None:
    assert to_model(field(), Typed(None, True)) == Typed("String", "true")
    assert to_model(field(), Typed("Long", 12)) == Typed("String", "12")


def test_an_enum_field_takes_only_its_value_ids() -> None:
    enum = field("enum", enum_values=("low", "high"))
    assert to_model(enum, Typed(None, "high")) == Typed("String", "high")
    with pytest.raises(FormValueError, match=r"^Invalid value for enum form property: Low$"):
        to_model(enum, Typed(None, "Low"))
    with pytest.raises(FormValueError, match=r"^Value '1' is not of type String\.$"):
        to_model(enum, Typed(None, 1))


def test_a_date_field_reads_text_with_its_pattern_and_shows_dates_with_it() -> None:
    date = field("date", date_pattern="dd.MM.yyyy")
    model = to_model(date, Typed(None, " 02.07.2030 "))
    assert model.type == "Date"
    assert model.value == datetime(2030, 7, 2).astimezone().astimezone(UTC)
    assert form_value(date, model, None) == Typed("String", "02.07.2030")
    assert to_model(date, Typed(None, "  ")) == Typed("Date", None)
    assert form_value(date, None, None) == Typed("String", "")


def test_a_variable_that_does_not_fit_its_field_fails_to_convert() -> None:
    with pytest.raises(FormFieldConversionError, match=r"^failed to convert 'f'$"):
        form_value(field("date"), Typed("String", "2030-07-02"), None)
    with pytest.raises(FormFieldConversionError):
        form_value(field("long"), Typed("Double", 1.5), None)


def test_a_default_converts_to_the_field_type() -> None:
    assert form_value(field("long"), None, "42") == Typed("Long", 42)
    assert form_value(field("boolean"), None, "true") == Typed("Boolean", True)
    assert form_value(field("long"), Typed("Integer", 7), "42") == Typed("Long", 7)


def test_min_is_inclusive_and_max_strict_as_camundas_validators_are() -> None:
    bounded = field("long", Constraint("min", "1"), Constraint("max", "10"))
    validate(bounded, Typed(None, 1), context())
    validate(bounded, Typed(None, 9), context())
    validate(bounded, None, context())  # nothing submitted: nothing to compare
    assert refused(bounded, Typed(None, 10)).endswith("validation of max(10) failed.")
    assert refused(bounded, Typed(None, 0)).endswith("validation of min(1) failed.")


def test_numeric_validators_compare_doubles_and_refuse_text() -> None:
    bounded = field("long", Constraint("min", "1.5"))
    validate(bounded, Typed(None, 1.5), context())
    assert refused(bounded, Typed(None, 1.25)) == (
        "Invalid value submitted for form field 'f': validation of min(1.5) failed."
    )
    assert refused(field("long", Constraint("min", "1")), Typed(None, "5"))
    assert refused(field("long", Constraint("min", "1")), Typed(None, True))


def test_a_numeric_configuration_that_is_no_number_is_the_models_error() -> None:
    with pytest.raises(FormModelError) as raised:
        validate(field("long", Constraint("max", "ten")), Typed("Long", 5), context())
    assert raised.value.status == 500
    assert raised.value.message == (
        "Cannot validate Long value 5: configuration ten cannot be parsed as Long."
    )


def test_lengths_count_utf16_units_as_java_does() -> None:
    short = field("string", Constraint("maxlength", "2"))
    validate(short, Typed(None, "ab"), context())
    assert refused(short, Typed(None, "\N{GRINNING FACE}a"))  # two units and one
    assert refused(field("string", Constraint("minlength", "3")), Typed(None, "ab"))


def test_length_validators_refuse_values_that_are_not_text() -> None:
    with pytest.raises(FormValueError) as raised:
        validate(field("long", Constraint("maxlength", "2")), Typed(None, 5), context())
    assert raised.value.message == (
        "String validator MaxLengthValidator cannot be used on non-string value of type "
        "class java.lang.Integer"
    )


def test_required_accepts_a_missing_value_held_by_a_variable_or_a_default() -> None:
    required = field("string", Constraint("required"))
    validate(required, Typed(None, "x"), context())
    validate(required, None, context(visible=Typed("String", "kept")))
    validate(required, None, context(default="from the model"))
    assert refused(required, None)
    assert refused(required, Typed(None, ""))
    assert refused(required, None, context(visible=Typed("Null", None), default="x"))


def test_readonly_refuses_any_submitted_value() -> None:
    readonly = field("string", Constraint("readonly"))
    validate(readonly, None, context())
    validate(readonly, Typed(None, None), context())
    assert refused(readonly, Typed(None, "x")) == (
        "Invalid value submitted for form field 'f': validation of readonly failed."
    )


def test_a_custom_validator_fails_as_camunda_without_its_class_or_bean() -> None:
    with pytest.raises(FormModelError, match=r"^ENGINE-09008 .*'com\.acme\.Check'"):
        validate(field("string", Constraint("validator", "com.acme.Check")), None, context())
    with pytest.raises(FormModelError, match=r"^Unknown property used in expression"):
        validate(field("string", Constraint("validator", "${checker}")), None, context())


def test_json_is_text_only_for_a_string_field_and_binaries_for_none() -> None:
    assert to_model(field(), Typed("Json", '{"a":1}')) == Typed("String", '{"a":1}')
    with pytest.raises(FormValueError, match=r"^Value 'true' is not of type Boolean\.$"):
        to_model(field("boolean"), Typed("Json", "true"))
    with pytest.raises(FormValueError, match=r"^A Bytes value cannot be the value of form"):
        to_model(field(), Typed("Bytes", b"x"))


def test_a_string_field_writes_json_objects_and_arrays_as_javas_collections_do() -> None:
    sent = Typed(None, {"a": 1, "b": [True, None, "x"]})
    assert to_model(field(), sent) == Typed("String", "{a=1, b=[true, null, x]}")
