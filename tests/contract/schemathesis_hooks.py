"""Checks of our own, loaded by schemathesis through ``SCHEMATHESIS_HOOKS``.

Camunda answers a missing task, process instance or execution with a 500, and so does
this server (the spec documents it). ``camunda_server_errors`` replaces schemathesis's
``not_a_server_error``: it admits exactly those documented 500s and fails on any other.
"""

from __future__ import annotations

import json
import re

import schemathesis
from schemathesis import CheckContext, Response
from schemathesis.core.failures import ServerError

DOCUMENTED_500 = re.compile(
    r"^(Cannot (get|put) (task|process instance|execution) variable .+: )?"
    r"(task|execution) .+ doesn't exist: (task|execution) is null$",
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
