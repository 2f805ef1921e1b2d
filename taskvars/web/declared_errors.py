"""Camunda's error for a spec violation, declared in the spec itself.

A schema may say which error its violation answers with, so that validation stays in the
spec and clients still get the messages they match on:

- ``x-camunda-error: {type: RestException, message: "Unsupported value type '{value}'"}``
  on a property: ``{value}`` is the offending value;
- ``x-camunda-missing-errors: {data: {type: ..., message: ...}}`` on an object: the error
  for each required property that is missing;
- ``x-camunda-error-prefix: "Cannot put task variable {varName}: "`` on an operation:
  put before the message of the operation's errors that Camunda reports under it, with
  the request's path parameters filled in (:mod:`taskvars.web.operation_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from taskvars.errors import ApiError, InvalidRequestError, RestError

ERROR_EXTENSION = "x-camunda-error"
MISSING_ERRORS_EXTENSION = "x-camunda-missing-errors"
PREFIX_EXTENSION = "x-camunda-error-prefix"

_ERROR_TYPES: dict[str, type[ApiError]] = {
    "RestException": RestError,
    "InvalidRequestException": InvalidRequestError,
}


def first_error(errors: Iterable[ValidationError], *, prefixed: bool) -> ApiError | None:
    """The most relevant violation, as the error the spec declares for it (or a generic
    ``InvalidRequestException`` with jsonschema's sentence). ``prefixed``: whether Camunda
    reports it under the operation's prefix."""
    error = best_match(errors)
    if error is None:
        return None
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        missing = next((n for n in error.validator_value if n not in error.instance), None)
        declared = schema.get(MISSING_ERRORS_EXTENSION, {}).get(missing)
        if declared:
            return _declared(declared, prefixed, value=None)
    elif schema.get(ERROR_EXTENSION):
        return _declared(schema[ERROR_EXTENSION], prefixed, value=error.instance)
    where = "".join(f"[{part!r}]" for part in error.absolute_path)
    message = f"{error.message} (at {where})" if where else error.message
    return InvalidRequestError(message, prefixed=prefixed)


def operation_prefixes(spec: Mapping[str, Any]) -> dict[str, str]:
    """``x-camunda-error-prefix`` of every operation that has one, by operationId."""
    prefixes = {}
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, Mapping) and PREFIX_EXTENSION in operation:
                prefixes[operation["operationId"]] = operation[PREFIX_EXTENSION]
    return prefixes


def _declared(declared: Mapping[str, str], prefixed: bool, value: object) -> ApiError:
    error_class = _ERROR_TYPES.get(declared.get("type", ""), InvalidRequestError)
    return error_class(declared["message"].format(value=value), prefixed=prefixed)
