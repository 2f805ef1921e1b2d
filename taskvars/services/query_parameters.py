"""What Camunda's list queries (tasks, variable instances) share: which of their
parameters this server answers, and the sorting pair.

Every parameter of Camunda's query is declared in the spec, so that clients generated
from Camunda's document may send them. Those this server does not answer are refused by
name, except a boolean ``false``, which filters nothing in Camunda either: a filter
silently ignored would return what the client meant to exclude.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import inflection

from taskvars.errors import InvalidRequestError


def answered_criteria(
    criteria: dict[str, Any],
    answered: Collection[str],
    *,
    query: str,
    comma_lists: Collection[str] = (),
) -> dict[str, Any]:
    """``criteria`` (Python names, as given) that this server answers; the parameters in
    ``comma_lists`` split into lists. ``query`` names the query in the refusal."""
    kept: dict[str, Any] = {}
    for name, value in criteria.items():
        if name in answered:
            kept[name] = value.split(",") if name in comma_lists else value
        elif value is not False:
            raise InvalidRequestError(
                f"The {query} query parameter {inflection.camelize(name, False)} is not "
                "supported by this server"
            )
    return kept


def require_sort_pair(sort_by: str | None, sort_order: str | None) -> None:
    """The spec checks each sorting parameter; that they come together is the one rule
    it cannot say."""
    if (sort_by is None) != (sort_order is None):
        raise InvalidRequestError(
            "Only a single sorting parameter specified. sortBy and sortOrder required"
        )
