"""Operations tagged `Event Subscription`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.services import event_subscriptions
from taskvars.services.query_toolkit import Page


def get_event_subscriptions(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = event_subscriptions.subscription_query(
        event_subscriptions.SHAPE.from_parameters(parameters)
    )
    page = Page(first_result, max_results)
    return database().read(lambda uow: event_subscriptions.subscriptions(uow, query, page))


def get_event_subscriptions_count(**parameters: Any) -> dict[str, int]:
    query = event_subscriptions.subscription_query(
        event_subscriptions.SHAPE.from_parameters(parameters)
    )
    return {"count": database().read(lambda uow: event_subscriptions.count(uow, query))}
