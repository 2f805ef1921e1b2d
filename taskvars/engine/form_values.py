"""A generated form field's values as Camunda's form types convert them, and a submitted
value checked against the field's constraints (``AbstractFormFieldType`` and its
``StringFormType``, ``LongFormType``, ``BooleanFormType``, ``DateFormType``,
``EnumFormType``; ``FormFieldHandler.handleSubmit``; the validators of
``org.camunda.bpm.engine.impl.form.validator``).

Values are :class:`Typed`: a Camunda value type name (``None`` for a value the client
sent without one) and the plain Python value. Nothing here reads or writes a variable:
callers pass what a validator needs to look at (:class:`SubmitContext`).

The messages are Camunda's. Where Camunda answers a client's mistake with a 500 (every
failed validation, as ``FormFieldValidatorException`` is no ``FormFieldValidationException``
and so is not the REST layer's 400), this server answers 400 with the same type and
message; a model's own mistake (a constraint's configuration that is not a number, a
custom validator's Java class) stays a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from taskvars.engine.expressions import ExpressionError, as_text, compile_expression
from taskvars.engine.forms import (
    CUSTOM_VALIDATOR,
    Constraint,
    FormField,
    format_date,
    is_expression,
    parse_date,
)
from taskvars.errors import ApiError, EngineError, ModelRunError

_JAVA_LONG = re.compile(r"[+-]?[0-9]+")
_NUMERIC = {
    # Camunda value type: (Java class, bounds of its parse method or None for Double)
    "Short": ("Short", (-(2**15), 2**15 - 1)),
    "Integer": ("Integer", (-(2**31), 2**31 - 1)),
    "Long": ("Long", (-(2**63), 2**63 - 1)),
    "Double": ("Double", None),
}
_TEXT_TYPES = frozenset({"String", "Json", "Xml"})
# Values whose Java value is no String, Number, Boolean or Date: a form type converts
# none of them (a ``string`` field takes Json and Xml as their text).
_FOREIGN_TYPES = frozenset({"Json", "Xml", "Bytes", "File", "Object"})
_JAVA_NAMES = {"long": "Long", "boolean": "Boolean", "enum": "String"}
_JAVA_CLASSES = {
    "String": "java.lang.String",
    "Json": "java.lang.String",
    "Xml": "java.lang.String",
    "Boolean": "java.lang.Boolean",
    "Short": "java.lang.Short",
    "Integer": "java.lang.Integer",
    "Long": "java.lang.Long",
    "Double": "java.lang.Double",
    "Date": "java.util.Date",
    "Bytes": "[B",
    "File": "java.io.ByteArrayInputStream",
    "Object": "java.lang.Object",
}
_VALIDATOR_INTERFACE = "org.camunda.bpm.engine.impl.form.validator.FormFieldValidator"


class FormValueError(EngineError):
    """A submitted value the form refuses: Camunda's ``ProcessEngineException`` (or a
    failed validator), reported under the operation's prefix as a ``RestException``.
    Camunda answers 500; it is the client's to fix, so a 400 here."""

    status = 400
    type = "RestException"


class FormModelError(EngineError):
    """The model's form cannot be checked here (a constraint's configuration, a custom
    validator's Java class): Camunda's 500, under the operation's prefix."""

    type = "RestException"


class JavaNumberFormatError(ApiError):
    """``Long.valueOf`` on text that is no number: Java's ``NumberFormatException``,
    which Camunda's REST layer answers unprefixed, with a 500; a 400 here."""

    status = 400
    type = "NumberFormatException"


class FormFieldConversionError(EngineError):
    """A variable that does not convert to its form field's type when the form is read
    (``FormFieldHandler.createFormField``): Camunda's 500; a 400 here."""

    status = 400
    type = "FormFieldValidationException"
    prefixed = False


@dataclass(frozen=True)
class Typed:
    """A typed value: Camunda's value type name (``None``: untyped) and the value."""

    type: str | None
    value: Any


@dataclass(frozen=True)
class SubmitContext:
    """What the validators of one field read: the variable of the field's id visible
    from where the form is submitted (``None`` if there is none), and the default value
    evaluated there (:func:`default_value`)."""

    visible: Callable[[], Typed | None]
    default: Callable[[], Any]
    # Variables by name, for a custom validator's expression.
    read: Callable[[str], Any]


# Reading a form ##################################################################


def default_value(field: FormField, read: Callable[[str], Any]) -> Any:
    """The field's default value expression evaluated over ``read``'s variables."""
    if field.default is None:
        return None
    try:
        return compile_expression(field.default).evaluate(read)
    except ExpressionError as error:
        raise ModelRunError(f"form field {field.id}: {error}") from None


def form_value(field: FormField, current: Typed | None, default: Any) -> Typed:
    """The value a form shows for ``field``: the current variable in the field's form
    type, else the default (FormFieldHandler.createFormField)."""
    if current is not None:
        try:
            return _to_form(field, current)
        except ApiError:
            raise FormFieldConversionError(f"failed to convert '{field.id}'") from None
    return _to_form(field, to_model(field, Typed(None, default)))


def _to_form(field: FormField, value: Typed) -> Typed:
    if field.type != "date":
        return to_model(field, value)
    # DateFormType.convertToFormValue: the date in the field's pattern, "" for none.
    if value.value is None:
        return Typed("String", "")
    if value.type != "Date":
        raise FormValueError(f"Expected value to be of type 'Date' but got '{value.type}'.")
    return Typed("String", format_date(_local(value.value), field.date_pattern))


# Converting a submitted value ####################################################


def to_model(field: FormField, value: Typed) -> Typed:
    """``convertToModelValue``: ``value`` in the field's type."""
    raw = value.value
    if value.type in _FOREIGN_TYPES and raw is not None:
        if field.type == "string" and value.type in _TEXT_TYPES:
            return Typed("String", str(raw))
        _refuse_foreign(field, value)
    if field.type == "string":
        if value.type == "String" or raw is None:
            return Typed("String", raw)
        return Typed("String", java_text(raw))
    if field.type == "long":
        return Typed("Long", _long(value))
    if field.type == "boolean":
        if value.type == "Boolean" or raw is None:
            return Typed("Boolean", raw)
        if isinstance(raw, bool | str):
            # Boolean.valueOf: "true" in any case is true, any other text false.
            return Typed("Boolean", java_text(raw).lower() == "true")
        raise FormValueError(f"Value '{java_text(raw)}' is not of type Boolean.")
    if field.type == "date":
        return Typed("Date", _date(field, raw))
    # enum
    if raw is not None and not isinstance(raw, str):
        raise FormValueError(f"Value '{java_text(raw)}' is not of type String.")
    if raw is not None and raw not in field.enum_values:
        raise FormValueError(f"Invalid value for enum form property: {raw}")
    return Typed("String", raw)


def _refuse_foreign(field: FormField, value: Typed) -> NoReturn:
    """A Json or Xml value (a Spin node in Camunda) fails as the form type fails on it;
    binary and serialized values **[ours]** are refused by their type, where Camunda
    would write a ``string`` field their Java object's ``toString()``."""
    if value.type in _TEXT_TYPES:
        if field.type == "date":
            raise FormValueError(f"Value '{value.value}' cannot be transformed into a Date.")
        raise FormValueError(f"Value '{value.value}' is not of type {_JAVA_NAMES[field.type]}.")
    raise FormValueError(f"A {value.type} value cannot be the value of form field '{field.id}'.")


def _long(value: Typed) -> int | None:
    raw = value.value
    if raw is None or value.type == "Long":
        return raw if raw is None else int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FormValueError(f"Value '{java_text(raw)}' is not of type Long.")
    text = java_text(raw)  # Long.valueOf(value.toString()): 5.0 is no long
    if not _JAVA_LONG.fullmatch(text) or not -(2**63) <= int(text) < 2**63:
        raise JavaNumberFormatError(f'For input string: "{text}"')
    return int(text)


def _date(field: FormField, raw: Any) -> datetime | None:
    if raw is None or isinstance(raw, datetime):
        return raw
    if not isinstance(raw, str):
        raise FormValueError(f"Value '{java_text(raw)}' cannot be transformed into a Date.")
    if not raw.strip():
        return None
    try:
        # A date without a zone is the server's, as the JVM's default zone is Camunda's.
        return parse_date(raw, field.date_pattern).astimezone().astimezone(UTC)
    except ValueError:
        raise FormValueError(
            f"Could not parse value '{raw}' as date using date format '{field.date_pattern}'."
        ) from None


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone()


# Validating a submitted value ####################################################


def validate(field: FormField, submitted: Typed | None, context: SubmitContext) -> None:
    """Every constraint of ``field`` on the submitted value (``None``: not submitted), in
    the order written, before any conversion, as FormFieldHandler.handleSubmit does."""
    for constraint in field.constraints:
        try:
            valid = _valid(constraint, submitted, field, context)
        except _InvalidError:
            valid = False
        if not valid:
            raise FormValueError(
                f"Invalid value submitted for form field '{field.id}': "
                f"validation of {constraint} failed."
            )


class _InvalidError(Exception):
    """A validator's FormFieldValidationException: reported as its validation failing."""


def _valid(
    constraint: Constraint, submitted: Typed | None, field: FormField, context: SubmitContext
) -> bool:
    value = None if submitted is None else submitted.value
    value_type = None if submitted is None else _value_type(submitted)
    name = constraint.name
    if name == "required":
        return _required(value, context)
    if name == "readonly":
        return value is None
    if name in ("min", "max"):
        return _numeric(name, constraint.config, value, value_type)
    if name in ("minlength", "maxlength"):
        return _length(name, constraint.config, value, value_type)
    if name == CUSTOM_VALIDATOR:
        _custom(str(constraint.config), context)
    raise FormModelError(f"Cannot find validator implementation for name '{name}'.")


def _required(value: Any, context: SubmitContext) -> bool:
    """RequiredValidator: a value, not empty text; or, submitted without one, a
    variable that holds one or a default value that is one."""
    if value is not None:
        return not (isinstance(value, str) and value == "")
    visible = context.visible()
    if visible is not None:
        return visible.value is not None
    return context.default() is not None


def _numeric(name: str, config: str | None, value: Any, value_type: str | None) -> bool:
    """MinValidator (value >= config) and MaxValidator (value < config, strictly), in
    the submitted value's own Java type."""
    if value is None:
        return True
    if value_type not in _NUMERIC:
        raise _InvalidError
    java_type, bounds = _NUMERIC[value_type]
    limit = _parsed_config(config, bounds)
    if limit is None:
        raise FormModelError(
            f"Cannot validate {java_type} value {java_text(value)}: configuration {config} "
            f"cannot be parsed as {java_type}."
        )
    number = Decimal(str(value))
    return number >= limit if name == "min" else number < limit


def _parsed_config(config: str | None, bounds: tuple[int, int] | None) -> Decimal | None:
    if config is None:
        return None
    if bounds is None:  # Double.parseDouble
        try:
            return Decimal(str(float(config.strip())))
        except (ValueError, InvalidOperation):
            return None
    if not _JAVA_LONG.fullmatch(config) or not bounds[0] <= int(config) <= bounds[1]:
        return None
    return Decimal(int(config))


def _length(name: str, config: str | None, value: Any, value_type: str | None) -> bool:
    """MinLengthValidator and MaxLengthValidator, on text only; Java counts UTF-16 units."""
    if value is None:
        return True
    if value_type not in _TEXT_TYPES:
        java_class = _JAVA_CLASSES.get(value_type or "", "java.util.LinkedHashMap")
        validator = "MinLengthValidator" if name == "minlength" else "MaxLengthValidator"
        raise FormValueError(
            f"String validator {validator} cannot be used on non-string value of type "
            f"class {java_class}"
        )
    if config is None or not _JAVA_LONG.fullmatch(config) or abs(int(config)) >= 2**31:
        raise FormModelError(
            f'Cannot validate "{name}": configuration {config} cannot be interpreted as Integer'
        )
    length = len(str(value).encode("utf-16-le")) // 2
    return length >= int(config) if name == "minlength" else length <= int(config)


def _custom(config: str, context: SubmitContext) -> NoReturn:
    """DelegateFormFieldValidator: Java code, which this server cannot run; it fails as
    Camunda fails without the class or the bean."""
    if not is_expression(config):
        raise FormModelError(
            f"ENGINE-09008 Exception while instantiating class '{config}': "
            f"ENGINE-09017 Cannot load class '{config}': {config}"
        )
    try:
        compile_expression(config).evaluate(context.read)
    except ExpressionError as error:
        raise FormModelError(str(error)) from None
    raise FormModelError(
        f"Validator expression '{config}' does not resolve to instance of {_VALIDATOR_INTERFACE}"
    )


def _value_type(value: Typed) -> str | None:
    """The Java type a submitted value arrives in: its declared type, else what JSON
    gives (Jackson reads a whole number as an Integer while it fits)."""
    if value.type is not None:
        return value.type
    raw = value.value
    if isinstance(raw, bool):
        return "Boolean"
    if isinstance(raw, int):
        return "Integer" if -(2**31) <= raw < 2**31 else "Long"
    if isinstance(raw, float):
        return "Double"
    if isinstance(raw, str):
        return "String"
    return None


def java_text(value: Any) -> str:
    """``value.toString()`` as Java writes it for the types a form sees."""
    if isinstance(value, datetime):
        return _local(value).strftime("%a %b %d %H:%M:%S %Z %Y")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):  # a JSON object arrives as a LinkedHashMap
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):  # and an array as an ArrayList
        return "[" + ", ".join(java_text(item) for item in value) + "]"
    return "null" if value is None else str(as_text(value))
