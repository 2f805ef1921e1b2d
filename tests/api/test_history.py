"""History over HTTP: the process instances deployed models ran, running or ended, and
the final values of their variables, a file uploaded on a task still downloadable after
the process ended; nothing recorded with history off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from taskvars.settings import Settings
from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def run_invoice(api: Api, amount: int) -> tuple[str, str]:
    """Deploy (if needed), start and complete an invoice with a scan uploaded on its
    first task; returns the instance id and its first task's id."""
    deployed = api.post_parts(
        "/deployment/create",
        Part("enable-duplicate-filtering", "true", content_type="text/plain"),
        Part("deployment-name", "invoices", content_type="text/plain"),
        Part("data", (MODELS / "invoice.bpmn").read_bytes(), filename="invoice.bpmn"),
    )
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"businessKey": f"INV-{amount}", "variables": {"clerk": {"value": "anna"}}},
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    uploaded = api.upload(
        f"/task/{task['id']}/variables/scan", b"%PDF scan", value_type="File", filename="scan.pdf"
    )
    assert uploaded.status_code == 204, uploaded.text
    completed = api.client.post(
        api.url(f"/task/{task['id']}/complete"),
        json={"variables": {"amount": {"value": amount, "type": "Integer"}}},
    )
    assert completed.status_code == 204, completed.text
    return instance_id, task["id"]


def test_a_file_uploaded_on_a_task_downloads_after_the_process_ended(client: Any) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 10)  # small: ends after the first task
    assert api.get(f"/process-instance/{instance_id}").status_code == 404

    past = api.get(f"/history/process-instance/{instance_id}").json()
    assert past["state"] == "COMPLETED"
    assert past["businessKey"] == "INV-10"
    assert past["processDefinitionKey"] == "invoice"
    assert past["endTime"] is not None
    assert past["durationInMillis"] >= 0

    found = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    by_name = {variable["name"]: variable for variable in found}
    assert set(by_name) == {"clerk", "scan", "amount"}
    assert by_name["amount"]["value"] == 10
    scan = by_name["scan"]
    assert scan["type"] == "File"
    assert scan["valueInfo"]["filename"] == "scan.pdf"
    assert scan["executionId"] == instance_id
    download = api.get(f"/history/variable-instance/{scan['id']}/data")
    assert download.status_code == 200
    assert download.content == b"%PDF scan"
    assert "scan.pdf" in download.headers["content-disposition"]
    one = api.get(f"/history/variable-instance/{by_name['clerk']['id']}").json()
    assert one["value"] == "anna"
    not_binary = api.get(f"/history/variable-instance/{by_name['clerk']['id']}/data")
    assert not_binary.status_code == 400


def test_running_and_ended_instances_are_told_apart(client: Any) -> None:
    api = Api(client)
    ended, _ = run_invoice(api, 20)
    running, _ = run_invoice(api, 5000)  # large: waits for approval
    ids = {ended, running}

    def found(**query: Any) -> set[str]:
        response = api.get("/history/process-instance", **query)
        assert response.status_code == 200, response.text
        return {instance["id"] for instance in response.json()} & ids

    assert found() == ids
    assert found(finished="true") == {ended}
    assert found(unfinished="true") == {running}
    assert found(processInstanceBusinessKey="INV-5000") == {running}
    assert api.get(f"/history/process-instance/{running}").json()["state"] == "ACTIVE"
    count = api.get("/history/process-instance/count", processInstanceIds=f"{ended},{running}")
    assert count.json() == {"count": 2}

    deleted = api.client.delete(api.url(f"/process-instance/{running}"))
    assert deleted.status_code == 204
    assert api.get(f"/history/process-instance/{running}").json()["state"] == (
        "EXTERNALLY_TERMINATED"
    )
    assert found(completed="true") == {ended}


def test_missing_history_is_a_404_in_camundas_words(client: Any) -> None:
    api = Api(client)
    instance = api.get("/history/process-instance/nothing")
    assert instance.status_code == 404
    assert instance.json()["message"] == "Historic process instance with id nothing does not exist"
    variable = api.get("/history/variable-instance/nothing")
    assert variable.status_code == 404
    assert variable.json()["message"] == (
        "Historic variable instance with Id 'nothing' does not exist."
    )


def test_a_filter_this_server_does_not_model_is_refused_by_name(client: Any) -> None:
    refused = Api(client).get("/history/process-instance", startedBy="anna")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "The historic process instance query parameter startedBy is not supported by this server"
    )


class TestWithHistoryOff:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return Settings(database_url=db_url, no_history=True)

    def test_nothing_is_recorded_and_the_content_goes_with_the_instance(self, client: Any) -> None:
        api = Api(client)
        instance_id, _ = run_invoice(api, 30)
        assert api.get(f"/history/process-instance/{instance_id}").status_code == 404
        assert api.get("/history/variable-instance", processInstanceId=instance_id).json() == []


def history_rows(db_url: str, table: str, instance_id: str) -> list[dict[str, Any]]:
    """Rows of a history table that has no query yet (activity and task instances)."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    f"SELECT t.* FROM {table} t JOIN history_process_instance h "
                    "ON h.pk = t.process_instance_pk WHERE h.id = :instance ORDER BY t.pk"
                ),
                {"instance": instance_id},
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def test_a_running_instances_variables_are_in_history_with_their_runtime_ids(
    client: Any,
) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 5000)  # waits for approval
    runtime = api.get("/variable-instance", processInstanceIdIn=instance_id).json()
    historic = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    assert {v["name"]: v["id"] for v in runtime} == {v["name"]: v["id"] for v in historic}
    assert {v["state"] for v in historic} == {"CREATED"}
    assert api.get(f"/history/process-instance/{instance_id}").json()["startActivityId"] == (
        "InvoiceReceived"
    )

    changed = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/amount"),
        json={"value": 6000, "type": "Integer"},
    )
    assert changed.status_code == 204, changed.text
    deleted = api.client.delete(api.url(f"/process-instance/{instance_id}/variables/clerk"))
    assert deleted.status_code == 204
    after = {
        v["name"]: v
        for v in api.get("/history/variable-instance", processInstanceId=instance_id).json()
    }
    assert after["amount"]["value"] == 6000
    assert after["amount"]["state"] == "CREATED"
    # Removed by someone: DELETED, its last value kept (Camunda's default history level),
    # and left out unless includeDeleted asks for it, its single read too.
    assert "clerk" not in after
    with_deleted = {
        v["name"]: v
        for v in api.get(
            "/history/variable-instance", processInstanceId=instance_id, includeDeleted="true"
        ).json()
    }
    assert with_deleted["clerk"]["state"] == "DELETED"
    assert with_deleted["clerk"]["value"] == "anna"
    counted = api.get("/history/variable-instance/count", processInstanceId=instance_id)
    assert counted.json() == {"count": len(after)}
    gone = api.get(f"/history/variable-instance/{with_deleted['clerk']['id']}")
    assert gone.status_code == 404


def test_variable_ids_are_never_reused_by_later_instances(client: Any) -> None:
    api = Api(client)
    first, _ = run_invoice(api, 11)
    second, _ = run_invoice(api, 12)
    ids = [
        v["id"]
        for instance in (first, second)
        for v in api.get("/history/variable-instance", processInstanceId=instance).json()
    ]
    assert len(ids) == len(set(ids)) == 6
    assert all(len(variable_id) == 36 for variable_id in ids)  # UUIDs, not table keys


def test_activities_and_tasks_are_recorded_when_they_start_and_end(
    client: Any, db_url: str
) -> None:
    api = Api(client)
    instance_id, check_task = run_invoice(api, 5000)
    activities = history_rows(db_url, "history_activity_instance", instance_id)
    assert [(a["activity_id"], a["activity_type"], a["end_time"] is None) for a in activities] == [
        ("InvoiceReceived", "startEvent", False),
        ("checkInvoice", "userTask", False),
        ("AmountDecision", "exclusiveGateway", False),
        ("approveInvoice", "userTask", True),
    ]
    assert all(a["id"].startswith(f"{a['activity_id']}:") for a in activities)
    assert {a["parent_activity_instance_id"] for a in activities} == {instance_id}
    tasks = history_rows(db_url, "history_task_instance", instance_id)
    assert [(t["id"] == check_task, t["delete_reason"]) for t in tasks] == [
        (True, "completed"),
        (False, None),
    ]
    assert tasks[1]["task_definition_key"] == "approveInvoice"

    assert api.client.delete(api.url(f"/process-instance/{instance_id}")).status_code == 204
    tasks = history_rows(db_url, "history_task_instance", instance_id)
    assert tasks[1]["delete_reason"] == "deleted"
    assert tasks[1]["end_time"] is not None
    approve = history_rows(db_url, "history_activity_instance", instance_id)[-1]
    assert approve["canceled"] in (True, 1)


def test_the_json_process_instance_query_has_or_queries_and_sorting(client: Any) -> None:
    api = Api(client)
    ended, _ = run_invoice(api, 20)
    running, _ = run_invoice(api, 5000)
    other, _ = run_invoice(api, 30)

    def post(path: str, body: dict[str, Any]) -> Any:
        response = api.client.post(api.url(path), json=body)
        assert response.status_code == 200, response.text
        return response.json()

    body = {
        "processDefinitionKey": "invoice",
        "orQueries": [{"processInstanceBusinessKey": "INV-20", "unfinished": True}],
        "sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}],
    }
    assert [i["id"] for i in post("/history/process-instance", body)] == [running, ended]
    assert post("/history/process-instance/count", body) == {"count": 2}
    paged = post("/history/process-instance?firstResult=1", body)
    assert [i["id"] for i in paged] == [ended]
    by_ids = {"processInstanceIds": [ended, other], "finished": True}
    assert post("/history/process-instance/count", by_ids) == {"count": 2}
    refused = api.client.post(api.url("/history/process-instance"), json={"startedBy": "anna"})
    assert refused.status_code == 400
    assert "startedBy" in refused.json()["message"]


def test_the_json_variable_query_sorts_by_several_criteria(client: Any) -> None:
    api = Api(client)
    first, _ = run_invoice(api, 20)
    second, _ = run_invoice(api, 30)
    body = {
        "processInstanceIdIn": [first, second],
        "variableNameLike": "%",  # clerk, scan, amount
        "sorting": [
            {"sortBy": "variableName", "sortOrder": "asc"},
            {"sortBy": "instanceId", "sortOrder": "desc"},
        ],
    }
    response = api.client.post(api.url("/history/variable-instance"), json=body)
    assert response.status_code == 200, response.text
    later, earlier = sorted([first, second], reverse=True)
    assert [(v["name"], v["processInstanceId"]) for v in response.json()] == [
        ("amount", later),
        ("amount", earlier),
        ("clerk", later),
        ("clerk", earlier),
        ("scan", later),
        ("scan", earlier),
    ]
    count = api.client.post(
        api.url("/history/variable-instance/count"), json={"variableName": "amount"}
    )
    assert count.json() == {"count": 2}
    named = api.client.post(
        api.url("/history/variable-instance/count"),
        json={"variableNameIn": ["amount", "clerk"], "withoutTenantId": True},
    )
    assert named.json() == {"count": 4}
    not_deserialized = api.client.post(
        api.url("/history/variable-instance?deserializeValues=false"),
        json={"variableName": "clerk", "processInstanceId": first},
    )
    assert [v["value"] for v in not_deserialized.json()] == ["anna"]
    refused = api.client.post(
        api.url("/history/variable-instance"),
        json={"sorting": [{"sortBy": "variableType", "sortOrder": "asc"}]},
    )
    assert refused.status_code == 400


def test_historic_variables_are_found_by_several_names_in_the_query_parameters(
    client: Any,
) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 13)
    found = api.get(
        "/history/variable-instance",
        processInstanceId=instance_id,
        variableNameIn="amount,nothing",
        withoutTenantId="true",
    )
    assert found.status_code == 200, found.text
    assert [v["name"] for v in found.json()] == ["amount"]
