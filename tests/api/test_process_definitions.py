"""GET /process-definition and its neighbours over HTTP: the query's filters, sorting and
count, one definition by id or by key, and the deployed XML, with Camunda's 404s."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = (MODELS / "invoice.bpmn").read_bytes()
REVIEW = (MODELS / "parallel-review.bpmn").read_bytes()


def deploy(api: Api, content: bytes, file_name: str, *, tenant: str | None = None) -> str:
    parts = [Part("data", content, filename=file_name)]
    if tenant is not None:
        parts.append(Part("tenant-id", tenant, content_type="text/plain"))
    response = api.post_parts("/deployment/create", *parts)
    assert response.status_code == 200, response.text
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    return str(definition_id)


@pytest.fixture
def deployed(client: Any) -> dict[str, str]:
    """invoice in versions 1 and 2 (the second with another tag), parallelReview once,
    and invoice once more for tenant "acme"."""
    api = Api(client)
    return {
        "invoice:1": deploy(api, INVOICE, "invoice.bpmn"),
        "invoice:2": deploy(api, INVOICE.replace(b'versionTag="1"', b'versionTag="2"'), "inv.bpmn"),
        "review": deploy(api, REVIEW, "parallel-review.bpmn"),
        "acme": deploy(api, INVOICE, "invoice.bpmn", tenant="acme"),
    }


def ids(api: Api, **query: Any) -> list[str]:
    response = api.get("/process-definition", **query)
    assert response.status_code == 200, response.text
    return [definition["id"] for definition in response.json()]


def test_the_query_filters_by_key_version_tenant_and_tag(
    client: Any, deployed: dict[str, str]
) -> None:
    api = Api(client)
    assert set(ids(api)) == set(deployed.values())
    assert set(ids(api, key="invoice")) == {
        deployed["invoice:1"],
        deployed["invoice:2"],
        deployed["acme"],
    }
    assert set(ids(api, key="invoice", latestVersion="true")) == {
        deployed["invoice:2"],
        deployed["acme"],  # the newest of its tenant
    }
    assert ids(api, key="invoice", withoutTenantId="true", version="1") == [deployed["invoice:1"]]
    assert ids(api, tenantIdIn="acme") == [deployed["acme"]]
    assert set(ids(api, tenantIdIn="acme", includeProcessDefinitionsWithoutTenantId="true")) == set(
        deployed.values()
    )
    assert ids(api, versionTag="2") == [deployed["invoice:2"]]
    assert ids(api, keyLike="par%") == [deployed["review"]]
    assert ids(api, nameLike="%review") == [deployed["review"]]
    assert set(ids(api, keysIn="parallelReview,nothing")) == {deployed["review"]}
    assert ids(api, processDefinitionIdIn=f"{deployed['review']},x") == [deployed["review"]]
    assert ids(api, resourceName="inv.bpmn") == [deployed["invoice:2"]]
    assert ids(api, suspended="true") == []
    assert set(ids(api, active="true", startableInTasklist="true")) == set(deployed.values())
    # false asks for nothing, as everywhere in Camunda's query DTOs
    everything = set(deployed.values())
    assert set(ids(api, active="false", startablePermissionCheck="false")) == everything
    assert set(ids(api, suspended="false", startableInTasklist="false")) == everything
    assert api.get("/process-definition/count", key="invoice").json() == {"count": 3}


def test_the_query_sorts_and_pages(client: Any, deployed: dict[str, str]) -> None:
    api = Api(client)
    by_version = ids(api, key="invoice", withoutTenantId="true", sortBy="version", sortOrder="desc")
    assert by_version == [deployed["invoice:2"], deployed["invoice:1"]]
    # Versions 2, 1, 1, 1; equal ones in the order deployed.
    assert ids(api, sortBy="version", sortOrder="desc", firstResult="1", maxResults="2") == [
        deployed["invoice:1"],
        deployed["review"],
    ]
    refused = api.get("/process-definition", sortBy="version")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Only a single sorting parameter specified. sortBy and sortOrder required"
    )


def test_a_definition_is_found_by_id_and_by_key_with_its_xml(
    client: Any, deployed: dict[str, str]
) -> None:
    api = Api(client)
    definition = api.get(f"/process-definition/{deployed['invoice:1']}").json()
    assert definition["key"] == "invoice"
    assert definition["version"] == 1
    assert definition["versionTag"] == "1"
    # By key: the newest version of no tenant, not the tenant's.
    assert api.get("/process-definition/key/invoice").json()["id"] == deployed["invoice:2"]
    xml = api.get(f"/process-definition/{deployed['review']}/xml").json()
    assert xml == {"id": deployed["review"], "bpmn20Xml": REVIEW.decode()}
    by_key = api.get("/process-definition/key/parallelReview/xml").json()
    assert by_key["id"] == deployed["review"]


def test_a_missing_definition_is_a_404_in_camundas_words(client: Any) -> None:
    api = Api(client)
    by_id = api.get("/process-definition/nothing:1:x")
    assert by_id.status_code == 404
    assert by_id.json() == {
        "type": "InvalidRequestException",
        "message": "No matching definition with id nothing:1:x",
        "code": None,
    }
    by_key = api.get("/process-definition/key/nothing/xml")
    assert by_key.status_code == 404
    assert by_key.json() == {
        "type": "RestException",
        "message": "No matching process definition with key: nothing and no tenant-id",
        "code": None,
    }
