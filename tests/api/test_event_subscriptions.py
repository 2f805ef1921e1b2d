"""GET /event-subscription and its count over subscriptions of waiting instances: each
filter, tenants, sorting and paging, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database
from tests.api.incident_sites import start_invoice
from tests.api.subscription_rows import subscribe
from tests.api_client import Api


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    opened = Database(db_url)
    yield opened
    opened.dispose()


def ids(api: Api, **query: Any) -> list[str]:
    response = api.get("/event-subscription", **query)
    assert response.status_code == 200, response.text
    return [subscription["id"] for subscription in response.json()]


def counted(api: Api, **query: Any) -> int:
    response = api.get("/event-subscription/count", **query)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def test_a_subscription_is_listed_as_camunda_describes_it(api: Api, database: Database) -> None:
    at = start_invoice(api)
    subscription_id = subscribe(database, at, "paid", created=1_700_000_000_000)

    assert api.get("/event-subscription").json() == [
        {
            "id": subscription_id,
            "eventType": "message",
            "eventName": "paid",
            "executionId": at.execution_id,
            "processInstanceId": at.instance_id,
            "activityId": at.activity_id,
            "createdDate": "2023-11-14T22:13:20.000+0000",
            "tenantId": None,
        }
    ]


def test_each_criterion_narrows_the_subscriptions(api: Api, database: Database) -> None:
    first = start_invoice(api, "INV-1")
    second = start_invoice(api, "INV-2")
    paid = subscribe(database, first, "paid")
    cancelled = subscribe(database, second, "cancelled", event_type="signal")

    assert ids(api, eventSubscriptionId=paid) == [paid]
    assert ids(api, eventName="cancelled") == [cancelled]
    assert ids(api, eventType="message") == [paid]
    assert ids(api, executionId=second.execution_id) == [cancelled]
    assert ids(api, processInstanceId=first.instance_id) == [paid]
    assert ids(api, activityId=first.activity_id, eventType="signal") == [cancelled]
    assert counted(api) == 2
    assert counted(api, eventName="paid", eventType="signal") == 0


def test_tenant_criteria_follow_camunda(api: Api, database: Database) -> None:
    at = start_invoice(api)
    mine = subscribe(database, at, "paid", tenant_id="mine")
    theirs = subscribe(database, at, "paid", tenant_id="theirs")
    untenanted = subscribe(database, at, "paid")

    assert sorted(ids(api, tenantIdIn="mine,theirs")) == sorted([mine, theirs])
    assert ids(api, withoutTenantId=True) == [untenanted]
    assert sorted(ids(api, tenantIdIn="mine", includeEventSubscriptionsWithoutTenantId=True)) == (
        sorted([mine, untenanted])
    )
    # withoutTenantId comes after tenantIdIn in Camunda's DTO: it wins.
    assert ids(api, tenantIdIn="mine", withoutTenantId=True) == [untenanted]


def test_subscriptions_sort_by_creation_and_page(api: Api, database: Database) -> None:
    at = start_invoice(api)
    late = subscribe(database, at, "a", created=3000)
    early = subscribe(database, at, "b", created=1000)
    middle = subscribe(database, at, "c", created=2000)

    assert ids(api, sortBy="created", sortOrder="asc") == [early, middle, late]
    assert ids(api, sortBy="created", sortOrder="desc", firstResult=1, maxResults=1) == [middle]


def test_a_sort_without_its_order_is_refused(api: Api) -> None:
    response = api.get("/event-subscription", sortBy="created")

    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException"
