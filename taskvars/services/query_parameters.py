"""What Camunda's list queries (tasks, variable instances) share: the rule for the
parameters this server does not model, and the sorting pair.

Every parameter of Camunda's query is declared in the spec, so that clients generated
from Camunda's document may send them. Those asking for what this server does not model
are refused by name unless empty or ``false`` (which filter nothing in Camunda either):
a filter silently ignored would return what the client meant to exclude.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from taskvars.errors import InvalidRequestError
from taskvars.services.dates import parse_any_date


def refuse_unmodelled(query: str, name: str, value: Any) -> None:
    """Raise for a parameter of ``query`` (e.g. "task") this server does not model,
    unless its value asks for nothing."""
    if value in (None, False, "", []):
        return
    raise InvalidRequestError(f"The {query} query parameter {name} is not supported by this server")


def require_sort_pair(sort_by: str | None, sort_order: str | None) -> None:
    """The spec checks each sorting parameter; that they come together is the one rule
    it cannot say."""
    if (sort_by is None) != (sort_order is None):
        raise InvalidRequestError(
            "Only a single sorting parameter specified. sortBy and sortOrder required"
        )


def date_parameter(name: str, text: str) -> datetime:
    """A date query parameter, in UTC: Camunda's format, or ISO 8601 as clients generated
    from Camunda's spec (``format: date-time``) send it."""
    try:
        # Stored in UTC (SQLite keeps no offset).
        return parse_any_date(text)
    except ValueError:
        raise InvalidRequestError(
            f"Cannot set query parameter '{name}' to value '{text}': "
            f'Cannot convert value "{text}" to java type java.util.Date'
        ) from None
