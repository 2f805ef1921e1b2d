"""Form keys and start forms: GET /task/{id}/form, /process-definition/.../startForm and
/form-variables, from camunda:formKey, camunda:formRef and camunda:formData as Camunda's
BpmnParse and DefaultFormHandler read them."""

from __future__ import annotations

from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def model(process: str, start: str = '<bpmn:startEvent id="start"/>', task: str = "") -> bytes:
    """A process: its start event, then one user task (``task``: its attributes)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="{CAMUNDA}" id="d" targetNamespace="http://example.com">
  <bpmn:process id="{process}" isExecutable="true">
    {
        start.replace("/>", "><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>", 1)
        if start.endswith("/>")
        else start
    }
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:userTask id="work" name="Work" {task}/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


START_WITH_FIELDS = """<bpmn:startEvent id="start" camunda:formKey="embedded:app:start.html">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="customer" label="Customer" type="string" defaultValue="ACME"/>
          <camunda:formField id="amount" type="long" defaultValue="42">
            <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="urgent" type="boolean" defaultValue="TRUE"/>
          <camunda:formField id="due" type="date" defaultValue="1/2/2030"/>
          <camunda:formField id="stamped" type="date" datePattern="yyyy-MM-dd"/>
          <camunda:formField id="kind" type="enum" defaultValue="b">
            <camunda:value id="a" name="A"/><camunda:value id="b" name="B"/>
          </camunda:formField>
          <camunda:formField id="note" type="string"/>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:startEvent>"""


def deploy(api: Api, content: bytes) -> Any:
    return api.post_parts("/deployment/create", Part("data", content, filename="model.bpmn"))


def deployed(api: Api, content: bytes) -> str:
    response = deploy(api, content)
    assert response.status_code == 200, response.text
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    return str(definition_id)


def start(api: Api, key: str, **variables: Any) -> str:
    body = {"variables": {n: {"value": v} for n, v in variables.items()}}
    response = api.client.post(api.url(f"/process-definition/key/{key}/start"), json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def only_task(api: Api, instance_id: str) -> str:
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    return str(task["id"])


def test_start_form_variables_are_the_fields_defaults_in_their_types(api: Api) -> None:
    definition_id = deployed(api, model("order", START_WITH_FIELDS))
    for path in (f"/process-definition/{definition_id}", "/process-definition/key/order"):
        response = api.get(f"{path}/form-variables")
        assert response.status_code == 200, response.text
        assert response.json() == {
            "customer": {"type": "String", "value": "ACME", "valueInfo": {}},
            "amount": {"type": "Long", "value": 42, "valueInfo": {}},
            "urgent": {"type": "Boolean", "value": True, "valueInfo": {}},
            # DateFormType: parsed with its pattern (dd/MM/yyyy), written back with it
            "due": {"type": "String", "value": "01/02/2030", "valueInfo": {}},
            "stamped": {"type": "String", "value": "", "valueInfo": {}},
            "kind": {"type": "String", "value": "b", "valueInfo": {}},
            "note": {"type": "String", "value": None, "valueInfo": {}},
        }


def test_start_form_variables_can_be_restricted_to_some_fields(api: Api) -> None:
    deployed(api, model("order", START_WITH_FIELDS))
    response = api.get(
        "/process-definition/key/order/form-variables",
        variableNames="amount,nobody",
        deserializeValues="false",
    )
    assert response.json() == {"amount": {"type": "Long", "value": 42, "valueInfo": {}}}


def test_a_start_event_without_fields_has_no_start_form_variables(api: Api) -> None:
    deployed(api, model("plain"))
    assert api.get("/process-definition/key/plain/form-variables").json() == {}


def test_start_form_variables_of_a_missing_definition_are_camundas_not_found(api: Api) -> None:
    response = api.get("/process-definition/nope/form-variables")
    assert response.status_code == 400
    assert response.json() == {
        "type": "NotFoundException",
        "message": "no deployed process definition found with id 'nope': processDefinition is null",
        "code": 0,
    }
    by_key = api.get("/process-definition/key/nope/form-variables")
    assert by_key.status_code == 404
    assert (
        by_key.json()["message"] == "No matching process definition with key: nope and no tenant-id"
    )


def test_start_form_is_the_start_events_form_key_as_written(api: Api) -> None:
    definition_id = deployed(api, model("order", START_WITH_FIELDS))
    expected = {"key": "embedded:app:start.html", "camundaFormRef": None, "contextPath": None}
    assert api.get(f"/process-definition/{definition_id}/startForm").json() == expected
    assert api.get("/process-definition/key/order/startForm").json() == expected


def test_start_form_of_fields_alone_is_the_engines_rendered_form(api: Api) -> None:
    start = START_WITH_FIELDS.replace(' camunda:formKey="embedded:app:start.html"', "")
    definition_id = deployed(api, model("order", start))
    assert api.get(f"/process-definition/{definition_id}/startForm").json() == {
        "key": f"embedded:engine://engine/:engine/process-definition/{definition_id}/rendered-form",
        "camundaFormRef": None,
        "contextPath": None,
    }


def test_start_form_reference_carries_its_binding_and_version(api: Api) -> None:
    start = (
        '<bpmn:startEvent id="start" camunda:formRef="orderForm" '
        'camunda:formRefBinding="version" camunda:formRefVersion="3"/>'
    )
    deployed(api, model("order", start))
    assert api.get("/process-definition/key/order/startForm").json() == {
        "key": None,
        "camundaFormRef": {"key": "orderForm", "binding": "version", "version": 3},
        "contextPath": None,
    }


def test_a_start_event_without_a_form_has_an_empty_start_form(api: Api) -> None:
    """Every process has a start form handler in Camunda: no form is 200, all null."""
    deployed(api, model("plain"))
    response = api.get("/process-definition/key/plain/startForm")
    assert response.status_code == 200
    assert response.json() == {"key": None, "camundaFormRef": None, "contextPath": None}


def test_start_form_of_a_missing_definition_is_camundas_400(api: Api) -> None:
    response = api.get("/process-definition/nope/startForm")
    assert response.status_code == 400
    assert response.json() == {
        "type": "InvalidRequestException",
        "message": "Cannot get start form data for process definition nope",
        "code": None,
    }
    assert api.get("/process-definition/key/nope/startForm").status_code == 404


def test_task_form_key_is_evaluated_over_the_tasks_variables(api: Api) -> None:
    deployed(api, model("review", task='camunda:formKey="embedded:app:forms/${kind}.html"'))
    task_id = only_task(api, start(api, "review", kind="invoice"))
    response = api.get(f"/task/{task_id}/form")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "key": "embedded:app:forms/invoice.html",
        "camundaFormRef": None,
        "contextPath": None,
    }
    assert api.get(f"/task/{task_id}").json()["formKey"] == "embedded:app:forms/invoice.html"


def test_task_form_reference_is_camundas_form_ref(api: Api) -> None:
    task = 'camunda:formRef="${form}" camunda:formRefBinding="latest"'
    deployed(api, model("review", task=task))
    task_id = only_task(api, start(api, "review", form="reviewForm"))
    assert api.get(f"/task/{task_id}/form").json() == {
        "key": None,
        "camundaFormRef": {"key": "reviewForm", "binding": "latest", "version": None},
        "contextPath": None,
    }


def test_a_task_without_a_form_and_a_standalone_task_have_empty_forms(api: Api) -> None:
    deployed(api, model("plain"))
    model_task = only_task(api, start(api, "plain"))
    api.create_task("alone")
    empty = {"key": None, "camundaFormRef": None, "contextPath": None}
    assert api.get(f"/task/{model_task}/form").json() == empty
    assert api.get("/task/alone/form").json() == empty


def test_form_of_a_missing_task_is_camundas_rest_exception(api: Api) -> None:
    response = api.get("/task/nope/form")
    assert response.status_code == 400
    assert response.json() == {
        "type": "RestException",
        "message": "Cannot get form for task nope",
        "code": None,
    }


def test_form_key_and_form_ref_together_are_refused_at_deployment(api: Api) -> None:
    task = 'camunda:formKey="a" camunda:formRef="b" camunda:formRefBinding="latest"'
    response = deploy(api, model("both", task=task))
    assert response.status_code == 400
    assert response.json()["type"] == "ParseException"
    assert (
        "Invalid element definition: only one of the attributes formKey and formRef is allowed."
        in response.json()["message"]
    )


def test_a_form_ref_without_a_valid_binding_is_refused_at_deployment(api: Api) -> None:
    response = deploy(api, model("bad", task='camunda:formRef="b" camunda:formRefBinding="x"'))
    assert response.status_code == 400
    assert (
        "value for formRefBinding attribute has to be one of [deployment, latest, version] "
        "but was x" in response.json()["message"]
    )


def test_a_form_field_of_an_unknown_type_is_refused_at_deployment(api: Api) -> None:
    start = START_WITH_FIELDS.replace('type="long"', 'type="money"')
    response = deploy(api, model("bad", start))
    assert response.status_code == 400
    assert "unknown type 'money'" in response.json()["message"]
