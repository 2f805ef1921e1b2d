"""A process definition's attributes from its model, as Camunda's BpmnParse reads them:
camunda:historyTimeToLive (days, or P<days>D), camunda:isStartableInTasklist,
camunda:versionTag, and camunda:candidateStarterUsers / candidateStarterGroups, which
startableBy queries."""

from __future__ import annotations

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part


def model(attributes: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="urn:x">
  <bpmn:process id="p" isExecutable="true" {attributes}>
    <bpmn:startEvent id="s"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(api: Api, attributes: str) -> object:
    return api.post_parts("/deployment/create", Part("data", model(attributes), filename="p.bpmn"))


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ('camunda:historyTimeToLive="180"', 180),
        ('camunda:historyTimeToLive="P180D"', 180),
        ('camunda:historyTimeToLive="+5"', 5),
        ("", None),
        ('camunda:historyTimeToLive=""', None),
    ],
)
def test_history_time_to_live_is_in_days(api: Api, written: str, days: int | None) -> None:
    assert deploy(api, written).status_code == 200
    assert api.get("/process-definition/key/p").json()["historyTimeToLive"] == days


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("P1Y", 'Cannot parse historyTimeToLive: For input string: "P1Y"'),
        ("PT5H", 'Cannot parse historyTimeToLive: For input string: "PT5H"'),
        ("${ttl}", 'Cannot parse historyTimeToLive: For input string: "${ttl}"'),
        ("-1", "Cannot parse historyTimeToLive: negative value is not allowed"),
        ("3000000000", 'Cannot parse historyTimeToLive: For input string: "3000000000"'),
    ],
)
def test_other_history_time_to_live_forms_are_refused_as_camunda_refuses_them(
    api: Api, written: str, reason: str
) -> None:
    response = deploy(api, f'camunda:historyTimeToLive="{written}"')
    assert response.status_code == 400
    assert response.json()["type"] == "ParseException"
    assert f"* {reason} | resource p.bpmn" in response.json()["message"]
    assert api.get("/process-definition").json() == []


def test_startable_in_tasklist_is_true_unless_the_model_says_false(api: Api) -> None:
    assert deploy(api, 'camunda:versionTag="v7"').status_code == 200
    definition = api.get("/process-definition/key/p").json()
    assert definition["startableInTasklist"] is True
    assert definition["versionTag"] == "v7"
    assert deploy(api, 'camunda:isStartableInTasklist="FALSE"').status_code == 200
    assert api.get("/process-definition/key/p").json()["startableInTasklist"] is False


def test_the_query_filters_by_startable_in_tasklist(api: Api) -> None:
    deploy(api, "")
    deploy(api, 'camunda:isStartableInTasklist="false"')

    def versions(**criteria: str) -> list[int]:
        found = api.get("/process-definition", sortBy="version", sortOrder="asc", **criteria)
        return [d["version"] for d in found.json()]

    assert versions(startableInTasklist="true") == [1]
    assert versions(notStartableInTasklist="true") == [2]
    assert versions(startableInTasklist="false") == [1, 2]  # false filters nothing
    assert versions(startableInTasklist="true", notStartableInTasklist="true") == []


def test_startable_by_finds_the_definitions_naming_the_user_a_candidate_starter(
    api: Api,
) -> None:
    starters = "camunda:candidateStarterUsers=\"anna, ${starter('x', 'y')},bob\""
    assert deploy(api, starters).status_code == 200
    assert deploy(api, 'camunda:candidateStarterGroups="anna,clerks"').status_code == 200
    assert deploy(api, "").status_code == 200

    def versions(path: str = "/process-definition", **criteria: str) -> object:
        found = api.get(path, sortBy="version", sortOrder="asc", **criteria).json()
        return found if "count" in path else [d["version"] for d in found]

    assert versions(startableBy="anna") == [1]
    assert versions(startableBy="bob") == [1]
    # An expression is stored as written, commas and all (BpmnDeployer: Expression.toString).
    assert versions(startableBy="${starter('x', 'y')}") == [1]
    # Groups count through the user's memberships (from the auth file: none here), not
    # as users (tests/api/test_identity.py has a user's groups count).
    assert versions(startableBy="clerks") == []
    assert versions(startableBy="carl") == []
    assert versions("/process-definition/count", startableBy="anna") == {"count": 1}
    assert versions(startableBy="anna", latestVersion="true") == []


def test_a_deleted_deployment_takes_its_definitions_starters_along(api: Api) -> None:
    deployed = deploy(api, 'camunda:candidateStarterUsers="anna"')
    deployment_id = deployed.json()["id"]  # type: ignore[attr-defined]
    deleted = api.client.delete(api.url(f"/deployment/{deployment_id}"))
    assert deleted.status_code == 204
    assert deploy(api, "").status_code == 200
    assert api.get("/process-definition", startableBy="anna").json() == []
