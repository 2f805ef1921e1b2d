"""Variable criteria of Camunda's queries (``processVariables`` and ``taskVariables`` of
the task query, ``variableValues`` of the variable-instance query): ``name_operator_value``
texts in query parameters, ``{name, operator, value}`` objects in JSON, each a
:class:`VariableCondition` with the value resolved as Camunda resolves it
(``ConditionQueryParameterDto.resolveValue``: text in Camunda's date format is a Date).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from taskvars.errors import InvalidRequestError
from taskvars.persistence.values import VariableCondition
from taskvars.services.dates import parse_date

OPERATORS = frozenset({"eq", "neq", "gt", "gteq", "lt", "lteq", "like", "notLike"})
# Camunda's words for the comparisons that refuse Booleans and null.
_ORDER_COMPARISONS = {
    "gt": "greater than",
    "gteq": "greater than or equal",
    "lt": "less than",
    "lteq": "less than or equal",
}
# name, operator, value, and the entry as the client wrote it (for messages)
_Entry = tuple[str, str, Any, str]


def conditions(
    parameter: str,
    value: Any,
    *,
    from_text: bool,
    noun: str,
    task_local: bool = False,
    ignore_name_case: bool = False,
    ignore_value_case: bool = False,
) -> list[VariableCondition]:
    """The criteria of ``parameter``; ``noun`` names them in Camunda's message for an
    unknown operator ("Invalid process variable comparator specified: ...")."""
    entries = _text_entries(parameter, value) if from_text else _json_entries(parameter, value)
    found = []
    for name, operator, operand, shown in entries:
        if operator not in OPERATORS:
            raise InvalidRequestError(f"Invalid {noun} comparator specified: {operator}")
        if operator in _ORDER_COMPARISONS and (operand is None or isinstance(operand, bool)):
            raise InvalidRequestError(
                f"Cannot set query parameter '{parameter}' to value '{shown}': Booleans and "
                f"null cannot be used in '{_ORDER_COMPARISONS[operator]}' condition"
            )
        found.append(
            VariableCondition(
                name=name,
                operator=operator,
                value=_operand(operator, operand),
                task_local=task_local,
                ignore_name_case=ignore_name_case,
                ignore_value_case=ignore_value_case,
            )
        )
    return found


def _text_entries(parameter: str, value: str) -> list[_Entry]:
    """``name_operator_value`` entries, comma-separated; values are texts (or dates)."""
    entries = []
    for expression in value.split(","):
        parts = expression.split("_")
        if len(parts) != 3:
            raise InvalidRequestError(
                f"Cannot set query parameter '{parameter}' to value '{value}': variable query "
                "parameter has to have format KEY_OPERATOR_VALUE."
            )
        entries.append((parts[0], parts[1], parts[2], expression))
    return entries


def _json_entries(parameter: str, value: list[dict[str, Any]]) -> list[_Entry]:
    entries = []
    for entry in value:
        operand = entry.get("value")
        shown = json.dumps(entry, separators=(",", ":"))
        if isinstance(operand, dict | list):
            raise InvalidRequestError(
                f"Cannot set query parameter '{parameter}' to value '{shown}': a variable is "
                "compared with a string, number, boolean or null"
            )
        entries.append((entry["name"], entry["operator"], operand, shown))
    return entries


def _operand(operator: str, operand: Any) -> Any:
    """As Camunda resolves it: text in its date format is a Date; ``like`` takes text."""
    if operator in ("like", "notLike"):
        if isinstance(operand, bool) or operand is None:
            return json.dumps(operand)
        return str(operand)
    if isinstance(operand, str):
        try:
            return parse_date(operand).astimezone(UTC)
        except ValueError:
            return operand
    return operand
