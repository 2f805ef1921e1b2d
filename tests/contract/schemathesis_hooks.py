"""Checks of our own, loaded by schemathesis through ``SCHEMATHESIS_HOOKS``.

- ``camunda_server_errors`` replaces ``not_a_server_error``. Camunda answers a missing
  task, process instance or execution with a 500, and so does this server (the spec
  documents it): exactly those documented 500s pass, any other 5xx fails.
- ``camunda_positive_data_acceptance`` replaces ``positive_data_acceptance``. It runs the
  original and lets a 400 through only when it is one of Camunda's documented answers
  that JSON Schema cannot predict: a value that does not convert to the Java type its
  ``type`` names (ranges, serialized objects, file names), or a download of a variable
  that an earlier request stored as non-binary, the deletion of a task that an earlier
  request created inside a process instance, or Camunda's answer to ``sortBy`` without
  ``sortOrder`` (OpenAPI 3.0 cannot say that two parameters go together); and a 416 for
  a range beyond the end of what an earlier request stored.
"""

from __future__ import annotations

import json
import re

import schemathesis
from schemathesis import CheckContext, Response
from schemathesis.core.failures import ServerError
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

_RESOURCE = "(?:task|process instance|execution)"
DOCUMENTED_500 = re.compile(
    rf"^(?:Cannot (?:get|put|delete) {_RESOURCE} variable .+: "
    rf"|Cannot modify variables for {_RESOURCE} .+: "
    r"|Cannot complete task .+: )?"
    r"(?:(?:task|execution) .+ doesn't exist: (?:task|execution) is null"
    r"|Cannot find task with id .+: task is null)$",
    re.DOTALL,
)


def is_documented_scope_missing(status: int, body: bytes) -> bool:
    if status != 500:
        return False
    try:
        error = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(error, dict)
        and error.get("type") in ("RestException", "NullValueException")
        and error.get("code") == 0
        and isinstance(error.get("message"), str)
        and DOCUMENTED_500.match(error["message"]) is not None
    )


@schemathesis.check
def camunda_server_errors(ctx: CheckContext, response: Response, case: schemathesis.Case) -> bool:
    status = response.status_code
    if status < 500 or is_documented_scope_missing(status, response.content):
        return True
    raise ServerError(operation=case.operation.label, status_code=status)


ADMITTED_400 = re.compile(
    r": (?:Cannot convert value '.*' of type '.+' to java type .+"
    r"|Must provide 'null' or String value for value of SerializableValue type '.+'\."
    r"|Cannot create file without filename! .+)$"
    r"|^Value of variable with id .+ is not a binary value\.$"
    # whether a task belongs to a process instance is what an earlier request created
    r"|^Could not delete task: The task cannot be deleted because is part of a running "
    r"process$"
    # OpenAPI 3.0 cannot say that two query parameters go together
    r"|^Only a single sorting parameter specified\. sortBy and sortOrder required$",
    re.DOTALL,
)


RANGE_BEYOND_THE_END = re.compile(r"^The requested range is not within the value's \d+ bytes$")


def is_admitted_rejection(status: int, body: bytes) -> bool:
    if status == 416:  # a range beyond the end of what an earlier request stored
        return _message_matches(body, RANGE_BEYOND_THE_END)
    if status != 400:
        return False
    return _message_matches(body, ADMITTED_400)


def _message_matches(body: bytes, pattern: re.Pattern[str]) -> bool:
    try:
        error = json.loads(body)
    except ValueError:
        return False
    message = error.get("message") if isinstance(error, dict) else None
    return isinstance(message, str) and pattern.search(message) is not None


@schemathesis.check
def camunda_positive_data_acceptance(
    ctx: CheckContext, response: Response, case: schemathesis.Case
) -> bool | None:
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if is_admitted_rejection(response.status_code, response.content):
            return True
        raise
