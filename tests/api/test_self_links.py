"""Camunda's ``links``: a ``self`` link to what a start, a deployment and the tree
extension created, under the address, context path and engine path of the request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

INVOICE = (Path(__file__).parent.parent / "bpmn" / "invoice.bpmn").read_bytes()
# The invoice's first task is assigned to ${clerk}.
START = {"variables": {"clerk": {"value": "anna"}}}


def deploy(api: Api, path: str = "/deployment/create") -> dict[str, Any]:
    response = api.post_parts(path, Part("data", INVOICE, filename="invoice.bpmn"))
    assert response.status_code == 200, response.text
    deployed: dict[str, Any] = response.json()
    return deployed


def self_links(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [link for link in answer["links"] if link["rel"] == "self"]


def test_a_deployment_links_to_itself(api: Api) -> None:
    deployed = deploy(api)
    assert self_links(deployed) == [
        {
            "method": "GET",
            "href": f"http://testserver/engine-rest/deployment/{deployed['id']}",
            "rel": "self",
        }
    ]


def test_a_started_instance_links_to_itself_and_the_link_reads_it(api: Api) -> None:
    """django-camunda's start_process follows the self link."""
    deploy(api)
    for path in ("/process-definition/key/invoice/start", None):
        if path is None:
            definition_id = api.get("/process-definition/key/invoice").json()["id"]
            path = f"/process-definition/{definition_id}/start"
        started = api.client.post(api.url(path), json=START).json()
        (link,) = self_links(started)
        assert link == {
            "method": "GET",
            "href": f"http://testserver/engine-rest/process-instance/{started['id']}",
            "rel": "self",
        }
        assert api.client.get(link["href"]).json()["id"] == started["id"]


def test_links_keep_the_engine_path_the_request_named(api: Api) -> None:
    deploy(api)
    response = api.client.post(
        "/engine-rest/engine/default/process-definition/key/invoice/start", json=START
    )
    started = response.json()
    (link,) = self_links(started)
    assert link["href"] == (
        f"http://testserver/engine-rest/engine/default/process-instance/{started['id']}"
    )
    deployed = deploy(api, "/engine/default/deployment/create")
    assert self_links(deployed)[0]["href"].startswith(
        "http://testserver/engine-rest/engine/default/deployment/"
    )


def test_links_use_the_host_the_client_addressed(api: Api) -> None:
    response = api.client.post(
        api.url("/process-instance/create"), json={"id": "pi"}, headers={"Host": "camunda:9000"}
    )
    assert self_links(response.json())[0]["href"] == (
        "http://camunda:9000/engine-rest/process-instance/pi"
    )
