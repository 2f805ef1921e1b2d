"""Generated forms (camunda:formData) of user tasks and start events, through the REST
API as a tasklist uses them: form-variables shows each field typed, submit-form checks
the submitted values against the fields (Camunda's FormFieldHandler and validators) and
writes nothing of a refused form."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"
LEAVE = (MODELS / "leave-request.bpmn").read_bytes()


def deploy(api: Api, content: bytes) -> Any:
    return api.post_parts("/deployment/create", Part("data", content, filename="leave.bpmn"))


def deployed(api: Api, content: bytes = LEAVE) -> str:
    response = deploy(api, content)
    assert response.status_code == 200, response.text
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    return str(definition_id)


def post(api: Api, path: str, body: Any) -> Any:
    return api.client.post(api.url(path), json=body)


def values(**variables: Any) -> dict[str, Any]:
    return {name: {"value": value} for name, value in variables.items()}


def submit_start(api: Api, **variables: Any) -> Any:
    return post(
        api, "/process-definition/key/leave/submit-form", {"variables": values(**variables)}
    )


def started(api: Api, business_key: str | None = None, **variables: Any) -> str:
    body = {"variables": values(**variables), "businessKey": business_key}
    response = post(api, "/process-definition/key/leave/submit-form", body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def tasks(api: Api, instance_id: str) -> list[dict[str, Any]]:
    return list(api.get("/task", processInstanceId=instance_id).json())


def approval(api: Api, instance_id: str) -> str:
    (task,) = tasks(api, instance_id)
    assert task["taskDefinitionKey"] == "approve"
    return str(task["id"])


def instance_variables(api: Api, instance_id: str) -> dict[str, Any]:
    return dict(api.get(f"/process-instance/{instance_id}/variables").json())


def local_date(year: int, month: int, day: int) -> str:
    """Midnight of the server's zone, as the API writes a Date (in UTC)."""
    instant = datetime(year, month, day).astimezone().astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def test_start_form_variables_show_each_field_with_its_default(api: Api) -> None:
    deployed(api)
    assert api.get("/process-definition/key/leave/form-variables").json() == {
        "reference": {"type": "String", "value": None, "valueInfo": {}},
        "employee": {"type": "String", "value": None, "valueInfo": {}},
        "days": {"type": "Long", "value": 1, "valueInfo": {}},
        "firstDay": {"type": "String", "value": "", "valueInfo": {}},
        "kind": {"type": "String", "value": "holiday", "valueInfo": {}},
    }


def test_a_submitted_start_form_starts_an_instance_with_typed_variables(api: Api) -> None:
    definition_id = deployed(api)
    body = {
        "variables": values(reference="LR-7", employee="Ada", days=12, firstDay="2030-07-01"),
        "businessKey": "LR-7",
    }
    response = post(api, f"/process-definition/{definition_id}/submit-form", body)
    assert response.status_code == 200, response.text
    instance = response.json()
    assert instance["businessKey"] == "LR-7"
    assert instance["definitionId"] == definition_id
    assert instance["links"][0]["href"].endswith(f"/process-instance/{instance['id']}")
    assert "variables" not in instance
    assert instance_variables(api, instance["id"]) == {
        "reference": {"type": "String", "value": "LR-7", "valueInfo": {}},
        "employee": {"type": "String", "value": "Ada", "valueInfo": {}},
        "days": {"type": "Long", "value": 12, "valueInfo": {}},
        "firstDay": {"type": "Date", "value": local_date(2030, 7, 1), "valueInfo": {}},
        # not submitted: its default value, in its type
        "kind": {"type": "String", "value": "holiday", "valueInfo": {}},
    }
    (task,) = tasks(api, instance["id"])
    assert task["name"] == "Approve Ada's leave"


def test_a_start_form_refused_for_a_field_starts_nothing(api: Api) -> None:
    definition_id = deployed(api)
    for variables, field, constraint in (
        ({"employee": "A"}, "employee", "minlength(2)"),
        ({"employee": "Ada", "days": 40}, "days", "max(31)"),
        ({"employee": "Ada", "days": 0}, "days", "min(1)"),
        # min and max compare numbers: text is refused, not read as one
        ({"employee": "Ada", "days": "5"}, "days", "min(1)"),
    ):
        response = submit_start(api, **variables, note="kept only with the form")
        assert response.status_code == 400, response.text
        assert response.json() == {
            "type": "RestException",
            "message": f"Cannot instantiate process definition {definition_id}: Invalid value "
            f"submitted for form field '{field}': validation of {constraint} failed.",
            "code": 0,
        }
    assert api.get("/process-instance/count").json() == {"count": 0}
    assert api.get("/variable-instance/count").json() == {"count": 0}


def test_a_required_start_field_without_a_value_is_refused(api: Api) -> None:
    definition_id = deployed(api)
    for variables in ({}, {"employee": ""}, {"employee": None}):
        response = submit_start(api, **variables)
        assert response.status_code == 400, response.text
        assert response.json()["message"] == (
            f"Cannot instantiate process definition {definition_id}: Invalid value submitted "
            "for form field 'employee': validation of required failed."
        )


def test_start_form_dates_and_enums_are_read_as_the_field_says(api: Api) -> None:
    definition_id = deployed(api)
    response = submit_start(api, employee="Ada", firstDay="01.07.2030")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Cannot instantiate process definition {definition_id}: Could not parse value "
        "'01.07.2030' as date using date format 'yyyy-MM-dd'."
    )
    response = submit_start(api, employee="Ada", kind="sabbatical")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Cannot instantiate process definition {definition_id}: Invalid value for enum "
        "form property: sabbatical"
    )
    assert api.get("/process-instance/count").json() == {"count": 0}


def test_task_form_variables_are_the_fields_in_their_types_then_the_others(api: Api) -> None:
    deployed(api)
    instance_id = started(api, "LR-7", employee="Ada", days=12, firstDay="2030-07-01")
    task_id = approval(api, instance_id)
    response = api.get(f"/task/{task_id}/form-variables")
    assert response.status_code == 200, response.text
    shown = response.json()
    assert list(shown)[:6] == ["employee", "days", "firstDay", "approved", "comment", "urgency"]
    assert shown == {
        "employee": {"type": "String", "value": "Ada", "valueInfo": {}},
        "days": {"type": "Long", "value": 12, "valueInfo": {}},
        # the variable is a Date; the form shows it in this field's own pattern
        "firstDay": {"type": "String", "value": "01.07.2030", "valueInfo": {}},
        # defaults are expressions over the task's variables: 12 < 10
        "approved": {"type": "Boolean", "value": False, "valueInfo": {}},
        "comment": {"type": "String", "value": "Approved by the manager", "valueInfo": {}},
        "urgency": {"type": "String", "value": None, "valueInfo": {}},
        "kind": {"type": "String", "value": "holiday", "valueInfo": {}},
    }
    some = api.get(f"/task/{task_id}/form-variables", variableNames="firstDay,kind,nobody")
    assert some.json() == {
        "firstDay": {"type": "String", "value": "01.07.2030", "valueInfo": {}},
        "kind": {"type": "String", "value": "holiday", "valueInfo": {}},
    }


def test_a_task_form_refused_for_a_field_leaves_the_task_open_and_writes_nothing(
    api: Api,
) -> None:
    deployed(api)
    instance_id = started(api, employee="Ada", days=12)
    task_id = approval(api, instance_id)
    before = instance_variables(api, instance_id)
    refusals = (
        (
            values(employee="Bob"),
            "Invalid value submitted for form field 'employee': validation of readonly failed.",
        ),
        (
            values(approved=""),
            "Invalid value submitted for form field 'approved': validation of required failed.",
        ),
        (
            values(comment="x" * 41),
            "Invalid value submitted for form field 'comment': validation of maxlength(40) failed.",
        ),
        (values(urgency="medium"), "Invalid value for enum form property: medium"),
        (
            values(firstDay="2030-07-02"),
            "Could not parse value '2030-07-02' as date using date format 'dd.MM.yyyy'.",
        ),
    )
    for variables, message in refusals:
        body = {"variables": {**variables, "note": {"value": "not kept"}}}
        response = post(api, f"/task/{task_id}/submit-form", body)
        assert response.status_code == 400, response.text
        assert response.json() == {
            "type": "RestException",
            "message": f"Cannot submit task form {task_id}: {message}",
            "code": 0,
        }
    assert approval(api, instance_id) == task_id
    assert instance_variables(api, instance_id) == before


def test_a_long_field_given_text_that_is_no_number_is_javas_number_format_error(
    api: Api,
) -> None:
    deployed(api)
    instance_id = started(api, employee="Ada", days=12)
    task_id = approval(api, instance_id)
    response = post(api, f"/task/{task_id}/submit-form", {"variables": values(days="abc")})
    assert response.status_code == 400
    assert response.json() == {
        "type": "NumberFormatException",
        "message": 'For input string: "abc"',
        "code": None,
    }
    assert instance_variables(api, instance_id)["days"]["value"] == 12


def test_a_valid_task_form_converts_the_values_and_moves_the_instance_on(api: Api) -> None:
    deployed(api)
    instance_id = started(api, employee="Ada", days=12, firstDay="2030-07-01")
    task_id = approval(api, instance_id)
    body = {
        "variables": {
            **values(approved="TRUE", days="3", firstDay="02.07.2030", urgency="high"),
            "note": {"value": "sent as it is", "type": "String"},
        }
    }
    response = post(api, f"/task/{task_id}/submit-form", body)
    assert response.status_code == 204, response.text
    (task,) = tasks(api, instance_id)
    assert task["taskDefinitionKey"] == "decided"
    stored = instance_variables(api, instance_id)
    assert stored["approved"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert stored["days"] == {"type": "Long", "value": 3, "valueInfo": {}}
    assert stored["firstDay"] == {"type": "Date", "value": local_date(2030, 7, 2), "valueInfo": {}}
    assert stored["urgency"] == {"type": "String", "value": "high", "valueInfo": {}}
    # not submitted: the default, evaluated when the form was submitted
    assert stored["comment"] == {
        "type": "String",
        "value": "Approved by the manager",
        "valueInfo": {},
    }
    assert stored["note"] == {"type": "String", "value": "sent as it is", "valueInfo": {}}
    assert stored["employee"]["value"] == "Ada"


def test_a_required_field_with_a_default_needs_no_submitted_value(api: Api) -> None:
    deployed(api)
    instance_id = started(api, employee="Ada", days=2)
    task_id = approval(api, instance_id)
    response = post(api, f"/task/{task_id}/submit-form", {})
    assert response.status_code == 204, response.text
    assert instance_variables(api, instance_id)["approved"] == {
        "type": "Boolean",
        "value": True,
        "valueInfo": {},
    }


def with_constraint(constraint: str) -> bytes:
    return LEAVE.replace(b'<camunda:constraint name="readonly" />', constraint.encode(), 1)


def test_a_custom_validator_deploys_and_fails_as_camunda_without_its_class(api: Api) -> None:
    deployed(
        api, with_constraint('<camunda:constraint name="validator" config="com.acme.Check" />')
    )
    instance_id = started(api, employee="Ada", days=2)
    task_id = approval(api, instance_id)
    response = post(api, f"/task/{task_id}/submit-form", {})
    assert response.status_code == 500
    assert response.json() == {
        "type": "RestException",
        "message": f"Cannot submit task form {task_id}: ENGINE-09008 Exception while "
        "instantiating class 'com.acme.Check': ENGINE-09017 Cannot load class "
        "'com.acme.Check': com.acme.Check",
        "code": 0,
    }
    assert approval(api, instance_id) == task_id


def test_unknown_validators_and_types_are_refused_at_deployment(api: Api) -> None:
    for content, reason in (
        (
            with_constraint('<camunda:constraint name="email" />'),
            "Cannot find validator implementation for name 'email'.",
        ),
        (
            with_constraint('<camunda:constraint name="validator" />'),
            "validator configuration needs to provide either a fully qualified classname or "
            "an expression resolving to a custom FormFieldValidator implementation.",
        ),
        (LEAVE.replace(b'type="boolean"', b'type="money"'), "unknown type 'money'"),
    ):
        response = deploy(api, content)
        assert response.status_code == 400, response.text
        assert response.json()["type"] == "ParseException"
        assert reason in response.json()["message"]
    assert api.get("/process-definition/count").json() == {"count": 0}


def test_a_task_form_of_fields_alone_is_the_engines_rendered_form(api: Api) -> None:
    deployed(api)
    task_id = approval(api, started(api, employee="Ada"))
    assert api.get(f"/task/{task_id}/form").json() == {
        "key": f"embedded:engine://engine/:engine/task/{task_id}/rendered-form",
        "camundaFormRef": None,
        "contextPath": None,
    }
