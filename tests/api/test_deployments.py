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
        b"  </bpmn:process>", b'<bpmn:transaction id="mail" />\n  </bpmn:process>'
    )
    response = deploy(api, Part("a", refused, filename="invoice.bpmn"))
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "ParseException"
    assert error["code"] == 0
    assert "transaction is not supported" in error["message"]
    assert error["message"].endswith("| resource invoice.bpmn | line 32 | column 31")
    assert api.get("/deployment").json() == []


def test_a_refused_deployment_names_every_problem_of_every_file_with_camundas_details(
    client: Any,
) -> None:
    api = Api(client)
    two_problems = INVOICE.replace(
        b"  </bpmn:process>",
        b'    <bpmn:transaction id="mail" />\n'
        b'    <bpmn:serviceTask id="charge" camunda:type="soap" camunda:topic="x" />\n'
        b"  </bpmn:process>",
    )
    not_xml = b"<bpmn:definitions"
    response = deploy(
        api,
        Part("a", two_problems, filename="invoice.bpmn"),
        Part("b", INVOICE, filename="fine.bpmn"),
        Part("c", not_xml, filename="broken.bpmn"),
    )
    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "ParseException"
    lines = error["message"].split("\n")
    assert lines[0] == "ENGINE-09005 Could not parse BPMN process. Errors: "
    assert [line.rsplit(" | resource ", 1)[1] for line in lines[1:]] == [
        "invoice.bpmn | line 32 | column 35",
        "invoice.bpmn | line 33 | column 75",
        "broken.bpmn | line 1 | column 18",
    ]
    assert sorted(error["details"]) == ["broken.bpmn", "invoice.bpmn"]
    invoice = error["details"]["invoice.bpmn"]
    assert invoice["warnings"] == []
    assert [problem["mainElementId"] for problem in invoice["errors"]] == ["mail", "charge"]
    mail = invoice["errors"][0]
    # Camunda's ProblemDto names the ids with a Cyrillic first letter (U+0435).
    assert mail == {
        "message": mail["message"],
        "line": 32,
        "column": 35,
        "mainElementId": "mail",
        "\u0435lementIds": ["mail"],
    }
    assert mail["message"].startswith("transaction is not supported")
    assert (
        invoice["errors"][1]["message"] == "camunda:type 'soap' is not supported: only 'external'"
    )
    broken = error["details"]["broken.bpmn"]["errors"]
    assert [problem["mainElementId"] for problem in broken] == [None]
    assert broken[0]["message"].startswith("not well-formed XML")
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


def test_a_gateways_only_flow_without_condition_runs_as_its_default_as_in_camunda(
    client: Any,
) -> None:
    api = Api(client)
    no_default = INVOICE.replace(b' default="Flow_small"', b"")
    deployed = deploy(api, Part("a", no_default, filename="invoice.bpmn"))
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"variables": {"clerk": {"value": "anna"}}},
    )
    instance_id = started.json()["id"]
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    completed = api.client.post(
        api.url(f"/task/{task['id']}/complete"),
        json={"variables": {"amount": {"value": 800, "type": "Integer"}}},
    )
    assert completed.status_code == 204, completed.text
    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"


def test_a_refused_files_details_carry_its_warnings_too(client: Any) -> None:
    refused = INVOICE.replace(b' default="Flow_small"', b"").replace(
        b"  </bpmn:process>", b'<bpmn:transaction id="mail" />\n  </bpmn:process>'
    )
    response = deploy(Api(client), Part("a", refused, filename="invoice.bpmn"))
    assert response.status_code == 400
    details = response.json()["details"]["invoice.bpmn"]
    assert [error["mainElementId"] for error in details["errors"]] == ["mail"]
    (warning,) = details["warnings"]
    assert warning["mainElementId"] == "AmountDecision"
    assert warning["\u0435lementIds"] == ["AmountDecision", "Flow_small"]
    assert warning["message"].endswith("better set the default flow in your gateway.")
    # Camunda's message lists the errors only.
    assert "AmountDecision" not in response.json()["message"]


def test_a_model_in_activitis_extension_namespace_runs_as_camunda_runs_it(client: Any) -> None:
    api = Api(client)
    activiti = INVOICE.replace(
        b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        b'xmlns:camunda="http://activiti.org/bpmn"',
    )
    deployed = deploy(api, Part("a", activiti, filename="invoice.bpmn"))
    assert deployed.status_code == 200, deployed.text
    (definition,) = deployed.json()["deployedProcessDefinitions"].values()
    assert definition["versionTag"] == "1"
    started = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"variables": {"clerk": {"value": "anna"}}},
    )
    assert started.status_code == 200, started.text
    (task,) = api.get("/task", processInstanceId=started.json()["id"]).json()
    assert task["assignee"] == "anna"


def test_ids_longer_than_their_columns_are_a_parse_exception_not_a_database_error(
    client: Any,
) -> None:
    # On PostgreSQL the process id failed the deployment with a DataError 500 and an
    # element id every start of the deployed model.
    api = Api(client)
    for element_id in (b'"invoice"', b'"checkInvoice"'):  # the process, a user task
        model = INVOICE.replace(element_id, b'"' + b"x" * 250 + element_id[1:])
        response = deploy(api, Part("a", model, filename="invoice.bpmn"))
        assert response.status_code == 400, response.text
        assert response.json()["type"] == "ParseException"
        assert "the id is longer than 255 characters" in response.json()["message"]
    assert api.get("/deployment").json() == []
