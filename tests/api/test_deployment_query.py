"""GET /deployment and /deployment/count over HTTP: Camunda's filters (id, name and
its pattern, source, tenants, deployment time), sorting and paging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part

INVOICE = (Path(__file__).parent.parent / "bpmn" / "invoice.bpmn").read_bytes()


def deploy(api: Api, name: str, source: str | None = None, tenant: str | None = None) -> str:
    parts = [Part("deployment-name", name, content_type="text/plain")]
    if source is not None:
        parts.append(Part("deployment-source", source, content_type="text/plain"))
    if tenant is not None:
        parts.append(Part("tenant-id", tenant, content_type="text/plain"))
    parts.append(Part("data", INVOICE, filename="invoice.bpmn"))
    response = api.post_parts("/deployment/create", *parts)
    assert response.status_code == 200, response.text
    deployment_id: str = response.json()["id"]
    return deployment_id


@pytest.fixture
def three(client: Any) -> tuple[Api, str, str, str]:
    """Invoices (no source, no tenant), orders (source "app", tenant acme), billing
    (source "app", tenant globex), deployed in that order."""
    api = Api(client)
    return (
        api,
        deploy(api, "invoices"),
        deploy(api, "orders", source="app", tenant="acme"),
        deploy(api, "billing", source="app", tenant="globex"),
    )


def names(api: Api, **query: Any) -> list[str]:
    response = api.get("/deployment", **query)
    assert response.status_code == 200, response.text
    return [deployment["name"] for deployment in response.json()]


def test_each_filter_narrows_the_deployments(three: tuple[Api, str, str, str]) -> None:
    api, invoices, orders, _ = three
    assert names(api) == ["invoices", "orders", "billing"]
    assert names(api, nameLike="%i%") == ["invoices", "billing"]
    assert names(api, name="orders") == ["orders"]
    assert names(api, id=invoices) == ["invoices"]
    assert names(api, source="app") == ["orders", "billing"]
    assert names(api, withoutSource="true") == ["invoices"]
    assert names(api, tenantIdIn="acme,initech") == ["orders"]
    assert names(api, tenantIdIn="acme", includeDeploymentsWithoutTenantId="true") == [
        "invoices",
        "orders",
    ]
    assert names(api, withoutTenantId="true") == ["invoices"]
    assert names(api, withoutTenantId="true", tenantIdIn="acme") == ["invoices"]  # it wins
    deployed = api.get(f"/deployment/{orders}").json()["deploymentTime"]
    assert names(api, after="2000-01-01T00:00:00.000+0000") == ["invoices", "orders", "billing"]
    assert names(api, before="2000-01-01T00:00:00.000+0000") == []
    assert "orders" not in names(api, after=deployed)  # strictly after, as Camunda
    assert api.get("/deployment/count", source="app").json() == {"count": 2}
    assert api.get("/deployment/count").json() == {"count": 3}


def test_deployments_sort_and_page(three: tuple[Api, str, str, str]) -> None:
    api = three[0]
    assert names(api, sortBy="name", sortOrder="asc") == ["billing", "invoices", "orders"]
    assert names(api, sortBy="name", sortOrder="desc", firstResult=1, maxResults=1) == ["invoices"]
    # No tenant sorts as Camunda's null: last ascending.
    assert names(api, sortBy="tenantId", sortOrder="asc") == ["orders", "billing", "invoices"]
    assert names(api, sortBy="deploymentTime", sortOrder="desc") == [
        "billing",
        "orders",
        "invoices",
    ]


def test_bad_queries_are_refused_in_camundas_words(client: Any) -> None:
    api = Api(client)
    both = api.get("/deployment", source="app", withoutSource="true")
    assert both.status_code == 400
    assert both.json()["message"] == (
        'The query parameters "withoutSource" and "source" cannot be used in combination.'
    )
    assert api.get("/deployment", sortBy="name").status_code == 400
    assert api.get("/deployment/count", after="tomorrow").status_code == 400
