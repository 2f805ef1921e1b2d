"""POST /deployment/create and its neighbours over HTTP: multipart files under any part
name, Camunda's DTOs, and a refused model answering 400 ParseException with nothing
stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from taskvars.services import deployments
from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = (MODELS / "invoice.bpmn").read_bytes()


def deploy(api: Api, *parts: Part) -> Any:
    return api.post_parts("/deployment/create", *parts)


def test_a_deployment_answers_with_its_process_definitions(client: Any) -> None:
    api = Api(client)
    response = deploy(
        api,
        Part("deployment-name", "invoices", content_type="text/plain"),
        Part("deployment-source", "test", content_type="text/plain"),
        Part("upload", INVOICE, filename="invoice.bpmn", content_type="application/octet-stream"),
        Part("form", b"<form></form>", filename="form.html"),
        Part("note", "not a file: no filename", content_type="text/plain"),
    )
    assert response.status_code == 200, response.text
    deployed = response.json()
    assert deployed["name"] == "invoices"
    assert deployed["source"] == "test"
    (definition,) = deployed["deployedProcessDefinitions"].values()
    assert definition["key"] == "invoice"
    assert definition["version"] == 1
    assert definition["resource"] == "invoice.bpmn"
    assert definition["deploymentId"] == deployed["id"]

    assert api.get(f"/deployment/{deployed['id']}").json()["name"] == "invoices"
    assert [d["id"] for d in api.get("/deployment").json()] == [deployed["id"]]
    assert client.delete(f"/engine-rest/deployment/{deployed['id']}").status_code == 204
    missing = api.get(f"/deployment/{deployed['id']}")
    assert missing.status_code == 404
    assert missing.json() == {
        "type": "InvalidRequestException",
        "message": f"Deployment with id '{deployed['id']}' does not exist",
        "code": None,
    }


def test_duplicate_filtering_answers_with_the_deployment_already_there(client: Any) -> None:
    api = Api(client)
    parts = [
        Part("deployment-name", "invoices", content_type="text/plain"),
        Part("enable-duplicate-filtering", "true", content_type="text/plain"),
        Part("invoice.bpmn", INVOICE, filename="invoice.bpmn"),
    ]
    first = deploy(api, *parts).json()
    again = deploy(api, *parts).json()
    assert again["id"] == first["id"]
    assert again["deployedProcessDefinitions"] is None


def test_a_model_this_server_cannot_run_is_a_parse_exception_and_stores_nothing(
    client: Any,
) -> None:
    api = Api(client)
    refused = INVOICE.replace(
        b"  </bpmn:process>", b'<bpmn:scriptTask id="mail" />\n  </bpmn:process>'
    )
    response = deploy(api, Part("a", refused, filename="invoice.bpmn"))
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "ParseException"
    assert error["code"] == 0
    assert "Unable to process ScriptTask: No script source" in error["message"]
    assert error["message"].endswith("| resource invoice.bpmn | line 32 | element mail")
    assert api.get("/deployment").json() == []


def test_a_deployment_without_files_is_refused(client: Any) -> None:
    response = deploy(Api(client), Part("deployment-name", "empty", content_type="text/plain"))
    assert response.status_code == 400
    assert response.json()["message"] == "No deployment resources contained in the form upload."


def test_a_file_larger_than_a_deployed_file_may_be_is_refused_and_nothing_stored(
    client: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(deployments, "MAX_RESOURCE_BYTES", len(INVOICE) - 1)
    api = Api(client)
    response = deploy(api, Part("a", INVOICE, filename="invoice.bpmn"))
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"The resource 'invoice.bpmn' has {len(INVOICE)} bytes; a deployed file may have at "
        f"most {len(INVOICE) - 1}"
    )
    assert api.get("/deployment").json() == []
