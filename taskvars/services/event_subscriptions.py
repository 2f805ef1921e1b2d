"""``GET /event-subscription`` (Camunda's ``EventSubscriptionRestServiceImpl``,
``EventSubscriptionQueryDto``): what running instances and deployed definitions wait to
be told, messages and signals by name."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from taskvars.persistence.event_subscriptions import (
    SORTS,
    SubscriptionCriteria,
    SubscriptionRecord,
)
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import format_date
from taskvars.services.query_toolkit import (
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_is,
    as_list,
    as_true,
    sort_pairs,
    without_tenant_wins,
)

SHAPE = QueryShape(
    noun="event subscription",
    filters={
        "eventSubscriptionId": ("event_subscription_id", as_is),
        "eventName": ("event_name", as_is),
        "eventType": ("event_type", as_is),
        "executionId": ("execution_id", as_is),
        "processInstanceId": ("process_instance_id", as_is),
        "activityId": ("activity_id", as_is),
        "tenantIdIn": ("tenant_id_in", as_list),
        "withoutTenantId": ("without_tenant_id", as_true),
        "includeEventSubscriptionsWithoutTenantId": (
            "include_event_subscriptions_without_tenant_id",
            as_true,
        ),
    },
)


def subscription_query(parsed: ParsedQuery) -> StoreQuery[SubscriptionCriteria]:
    # EventSubscriptionQueryDto applies withoutTenantId after tenantIdIn: it wins.
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    if fields.get("tenant_id_in") == []:  # an empty list asks for nothing
        del fields["tenant_id_in"]
    return StoreQuery(SubscriptionCriteria(**fields), sort_pairs(parsed, frozenset(SORTS)))


def subscriptions(
    uow: UnitOfWork, query: StoreQuery[SubscriptionCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.event_subscriptions.query(query.criteria, query.orderings, *page)
    return [subscription_dto(record) for record in found]


def count(uow: UnitOfWork, query: StoreQuery[SubscriptionCriteria]) -> int:
    return uow.store.event_subscriptions.count(query.criteria)


def subscription_dto(record: SubscriptionRecord) -> dict[str, Any]:
    """``EventSubscriptionDto``."""
    return {
        "id": record.id,
        "eventType": record.event_type,
        "eventName": record.event_name,
        "executionId": record.execution_id,
        "processInstanceId": record.process_instance_id,
        "activityId": record.activity_id,
        "createdDate": format_date(datetime.fromtimestamp(record.created / 1000, UTC)),
        "tenantId": record.tenant_id,
    }
