"""Operations tagged `Signal`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.services import signals


def throw_signal(body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: signals.throw(uow, body))
    return NO_CONTENT
