"""JUEL's coercions and arithmetic (JSR 245, section 1.7 and 1.18), as Camunda's copy of
JUEL implements them (``org.camunda.bpm.impl.juel.NumberOperations``,
``TypeConverterImpl``): numbers are Java's ``Long`` (a Python ``int``, kept in 64 bits)
or ``Double`` (a ``float``); ``null`` and ``""`` are 0; a string is read as a number (a
``.``, ``e`` or ``E`` in it makes it a Double); ``+`` adds, it never concatenates; ``/``
is always a Double division.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


class EvaluationError(Exception):
    """A value of the wrong kind met at evaluation; the expression names it."""


_LONG_BITS = 64


def as_long(value: int) -> int:
    """Java's ``long`` arithmetic wraps around."""
    value &= (1 << _LONG_BITS) - 1
    return value - (1 << _LONG_BITS) if value >= 1 << (_LONG_BITS - 1) else value


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_dot_e(value: Any) -> bool:
    return isinstance(value, str) and any(c in value for c in ".eE")


def _is_double(value: Any) -> bool:
    return isinstance(value, float) or _is_dot_e(value)


def coerce_to_long(value: Any) -> int:
    """``TypeConverterImpl.coerceToLong``."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise EvaluationError("Cannot coerce from Boolean to Long")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _double_to_long(value)
    if isinstance(value, str):
        text = value[1:] if value[:1] in "+-" else value
        # Long.valueOf: digits within a Long, else NumberFormatException.
        if text.isascii() and text.isdigit() and len(text) <= 19:
            number = int(value)
            if -(2**63) <= number < 2**63:
                return number
        raise EvaluationError(f"Cannot coerce '{value}' to Long")
    raise EvaluationError(f"Cannot coerce from {java_type(value)} to Long")


def coerce_to_double(value: Any) -> float:
    """``TypeConverterImpl.coerceToDouble``."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise EvaluationError("Cannot coerce from Boolean to Double")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        # Double.valueOf's grammar (whitespace trimmed, an f or d suffix), not float()'s,
        # which also reads "inf", "nan" and "1_000".
        match = _JAVA_DOUBLE.fullmatch(value.strip(_JAVA_SPACE))
        if match is None:
            raise EvaluationError(f"Cannot coerce '{value}' to Double")
        return float(match[1])
    raise EvaluationError(f"Cannot coerce from {java_type(value)} to Double")


_JAVA_SPACE = "".join(chr(c) for c in range(33))
_JAVA_DOUBLE = re.compile(
    r"([+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))[fFdD]?", re.ASCII
)


def coerce_to_boolean(value: Any, where: str) -> bool:
    """``TypeConverterImpl.coerceToBoolean``: ``null`` and ``""`` are false, a string is
    true when it says ``true`` in any case; anything else is an error."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise EvaluationError(f"{shown(value)} is not a boolean ({where})")


def _double_to_long(value: float) -> int:
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return (1 << 63) - 1 if value > 0 else -(1 << 63)
    return max(-(1 << 63), min((1 << 63) - 1, int(value)))


def arithmetic(operator: str, left: Any, right: Any) -> int | float:
    """``NumberOperations.add/sub/mul/div/mod`` over Longs and Doubles."""
    if left is None and right is None:
        return 0
    if operator == "/":
        return _divide(coerce_to_double(left), coerce_to_double(right))
    if operator == "%":
        if _is_double(left) or _is_double(right):
            return _double_remainder(coerce_to_double(left), coerce_to_double(right))
        divisor = coerce_to_long(right)
        if divisor == 0:
            raise EvaluationError("/ by zero")
        dividend = coerce_to_long(left)
        remainder = abs(dividend) % abs(divisor)  # Java: the sign of the dividend
        return as_long(-remainder if dividend < 0 else remainder)
    operation: Callable[[Any, Any], Any] = {
        "+": lambda a, b: a + b,
        "-": lambda a, b: a - b,
        "*": lambda a, b: a * b,
    }[operator]
    if _is_double(left) or _is_double(right):
        return float(operation(coerce_to_double(left), coerce_to_double(right)))
    return as_long(int(operation(coerce_to_long(left), coerce_to_long(right))))


def negate(value: Any) -> int | float:
    """``NumberOperations.neg``."""
    if value is None:
        return 0
    if isinstance(value, float):
        return -value
    if isinstance(value, int) and not isinstance(value, bool):
        return as_long(-value)
    if isinstance(value, str):
        return -coerce_to_double(value) if _is_dot_e(value) else as_long(-coerce_to_long(value))
    raise EvaluationError(f"Cannot negate '{as_string(value)}'")


def _divide(left: float, right: float) -> float:
    if right == 0:  # Java's IEEE division: no exception
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _double_remainder(left: float, right: float) -> float:
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return math.fmod(left, right)


def as_string(value: Any) -> str:
    """``TypeConverterImpl.coerceToString``: ``null`` is ``""``, anything else its Java
    ``toString()``."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return double_to_string(value)
    if isinstance(value, datetime):
        return date_to_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(as_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{as_string(k)}={as_string(v)}" for k, v in value.items()) + "}"
    return str(value)


def double_to_string(value: float) -> str:
    """Java's ``Double.toString``: ``2.0``, ``1.0E10``, ``NaN``, ``Infinity``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text or "e" in text else text + ".0"
    # Shortest digits that read back as the value (Python's repr and Java's agree).
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    shown_digits = "".join(map(str, digits)).rstrip("0") or "0"
    scientific = len(digits) - 1 + int(exponent)
    fraction = shown_digits[1:] or "0"
    return f"{'-' if sign else ''}{shown_digits[0]}.{fraction}E{scientific}"


def date_to_string(value: datetime) -> str:
    """``java.util.Date.toString()``, in UTC (the server's zone for Java's)."""
    return value.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def java_type(value: Any) -> str:
    """The Java class Camunda would name for ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Long"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    if isinstance(value, datetime):
        return "Date"
    if isinstance(value, list):
        return "List"
    if isinstance(value, dict):
        return "Map"
    return getattr(value, "java_type", type(value).__name__)


def shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def java_equals(left: Any, right: Any) -> bool:
    """``Object.equals``: a Long never equals a Boolean or a Double (``List.contains``
    and ``String.equals`` use it)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if is_number(left) and is_number(right):
        return type(left) is type(right) and left == right
    return bool(left == right)
