"""Operations tagged `Message`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.services import message_correlation


def deliver_message(body: dict[str, Any]) -> Any:
    request = message_correlation.correlation(body)
    results = database().write(lambda uow: message_correlation.correlate(uow, request))
    return NO_CONTENT if results is None else (results, 200)
