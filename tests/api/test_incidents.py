"""Incidents over HTTP: opened, resolved and deleted through the engine's service API
(as external tasks do) on a real model's process instance, then read with every filter
and sort of GET /incident and GET /history/incident, annotated, resolved by id, and
closed by the instance's deletion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database
from taskvars.settings import Settings
from tests.api.incident_sites import CUSTOM, delete, open_incident, resolve, start_invoice
from tests.api_client import Api

# A sortBy value -> the DTO field it sorts by, where the names differ.
DTO_FIELDS = {"incidentId": "id"}


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """The test's database, opened beside the app's, for the engine-side calls."""
    opened = Database(db_url)
    yield opened
    opened.dispose()


def listed(api: Api, path: str = "/incident", **query: Any) -> list[dict[str, Any]]:
    response = api.get(path, **query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def ids(api: Api, path: str = "/incident", **query: Any) -> list[str]:
    return [incident["id"] for incident in listed(api, path, **query)]


def counted(api: Api, path: str = "/incident/count", **query: Any) -> int:
    response = api.get(path, **query)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def test_an_opened_incident_is_listed_counted_and_read_by_id(api: Api, database: Database) -> None:
    at = start_invoice(api)
    incident_id = open_incident(database, at, "task-1", "No more retries")

    (incident,) = listed(api)
    assert incident == {
        "id": incident_id,
        "processDefinitionId": at.definition_id,
        "processInstanceId": at.instance_id,
        "executionId": at.execution_id,
        "incidentTimestamp": incident["incidentTimestamp"],
        "incidentType": "failedExternalTask",
        "activityId": at.activity_id,
        "failedActivityId": None,
        "causeIncidentId": incident_id,
        "rootCauseIncidentId": incident_id,
        "configuration": "task-1",
        "tenantId": None,
        "incidentMessage": "No more retries",
        "jobDefinitionId": None,
        "annotation": None,
    }
    assert counted(api) == 1
    one = api.get(f"/incident/{incident_id}")
    assert one.status_code == 200
    assert one.json() == incident


def test_an_unknown_incident_is_a_404(api: Api) -> None:
    missing = api.get("/incident/nothing")
    assert missing.status_code == 404
    assert missing.json() == {
        "type": "InvalidRequestException",
        "message": "No matching incident with id nothing",
        "code": None,
    }


@pytest.fixture
def two_instances(api: Api, database: Database) -> dict[str, Any]:
    """Three incidents: two on a first instance, one of a custom type on a second."""
    first = start_invoice(api, "INV-1")
    second = start_invoice(api, "INV-2")
    a = open_incident(database, first, "task-a", "Connection refused")
    b = open_incident(database, first, "task-b", "Timeout after 30 s")
    c = open_incident(database, second, "task-c", "Disk full", incident_type=CUSTOM)
    return {"first": first, "second": second, "a": a, "b": b, "c": c}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"incidentType": CUSTOM}, ["c"]),
        ({"incidentMessage": "Disk full"}, ["c"]),
        ({"incidentMessageLike": "%refused"}, ["a"]),
        ({"incidentMessageLike": "T%"}, ["b"]),
        ({"configuration": "task-b"}, ["b"]),
        ({"processDefinitionKeyIn": "invoice,other"}, ["a", "b", "c"]),
        ({"processDefinitionKeyIn": "other"}, []),
        ({"activityId": "checkInvoice"}, ["a", "b", "c"]),
        ({"activityId": "elsewhere"}, []),
        ({"failedActivityId": "checkInvoice"}, []),
        ({"tenantIdIn": "acme"}, []),
        ({"jobDefinitionIdIn": "job"}, []),
        ({"incidentTimestampBefore": "2000-01-01T00:00:00.000+0000"}, []),
        ({"incidentTimestampAfter": "2000-01-01T00:00:00.000+0000"}, ["a", "b", "c"]),
    ],
)
def test_each_filter_narrows_the_incidents(
    api: Api, two_instances: dict[str, Any], query: dict[str, str], expected: list[str]
) -> None:
    wanted = [two_instances[name] for name in expected]
    assert ids(api, **query) == wanted
    assert counted(api, **query) == len(wanted)


def test_the_filters_by_id_find_what_they_name(api: Api, two_instances: dict[str, Any]) -> None:
    first, second = two_instances["first"], two_instances["second"]
    a, b, c = two_instances["a"], two_instances["b"], two_instances["c"]
    assert ids(api, incidentId=b) == [b]
    assert ids(api, processInstanceId=first.instance_id) == [a, b]
    assert ids(api, executionId=second.execution_id) == [c]
    assert ids(api, processDefinitionId=first.definition_id) == [a, b, c]
    assert ids(api, causeIncidentId=a) == [a]
    assert ids(api, rootCauseIncidentId=c) == [c]


@pytest.mark.parametrize(
    "sort_by",
    [
        "incidentId",
        "incidentMessage",
        "incidentTimestamp",
        "incidentType",
        "executionId",
        "activityId",
        "processInstanceId",
        "processDefinitionId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
        "tenantId",
    ],
)
def test_each_sort_orders_by_its_field_both_ways(
    api: Api, two_instances: dict[str, Any], sort_by: str
) -> None:
    ascending = listed(api, sortBy=sort_by, sortOrder="asc")
    descending = listed(api, sortBy=sort_by, sortOrder="desc")
    field = DTO_FIELDS.get(sort_by, sort_by)
    values = [incident[field] for incident in ascending]
    assert values == sorted(values, key=lambda value: (value is None, value))
    assert [incident[field] for incident in descending] == values[::-1]


def test_paging_takes_a_slice_in_creation_order(api: Api, two_instances: dict[str, Any]) -> None:
    assert ids(api, firstResult=1, maxResults=1) == [two_instances["b"]]


def test_sort_by_without_sort_order_is_refused(api: Api) -> None:
    refused = api.get("/incident", sortBy="incidentId")
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        "Only a single sorting parameter specified. sortBy and sortOrder required"
    )


def test_resolving_ends_the_incident_and_history_keeps_it_resolved(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    incident_id = open_incident(database, at, "task-1", "boom")
    (opened,) = listed(api, "/history/incident")
    assert (opened["open"], opened["resolved"], opened["deleted"]) == (True, False, False)
    assert opened["endTime"] is None

    resolve(database, "task-1")

    assert listed(api) == []
    (closed,) = listed(api, "/history/incident")
    assert closed["id"] == incident_id
    assert (closed["open"], closed["resolved"], closed["deleted"]) == (False, True, False)
    assert closed["endTime"] is not None
    assert closed["createTime"] == opened["createTime"]


def test_deleting_ends_the_incident_and_history_keeps_it_deleted(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    open_incident(database, at, "task-1", "boom")
    delete(database, "task-1")
    assert listed(api) == []
    (closed,) = listed(api, "/history/incident")
    assert (closed["open"], closed["resolved"], closed["deleted"]) == (False, False, True)


def test_resolving_touches_only_its_type_and_configuration(api: Api, database: Database) -> None:
    at = start_invoice(api)
    kept_by_type = open_incident(database, at, "task-1", "a", incident_type=CUSTOM)
    kept_by_configuration = open_incident(database, at, "task-2", "b")
    open_incident(database, at, "task-1", "c")
    resolve(database, "task-1")
    assert ids(api) == [kept_by_type, kept_by_configuration]


def test_deleting_the_process_instance_deletes_its_incidents(api: Api, database: Database) -> None:
    at = start_invoice(api)
    other = start_invoice(api, "INV-2")
    open_incident(database, at, "task-1", "boom")
    resolved_before = open_incident(database, at, "task-2", "earlier")
    resolve(database, "task-2")
    kept = open_incident(database, other, "task-3", "elsewhere")

    assert api.client.delete(api.url(f"/process-instance/{at.instance_id}")).status_code == 204

    assert ids(api) == [kept]
    history = {
        i["id"]: i for i in listed(api, "/history/incident", processInstanceId=at.instance_id)
    }
    states = {i: (h["open"], h["resolved"], h["deleted"]) for i, h in history.items()}
    assert states[resolved_before] == (False, True, False)
    assert sorted(states.values()) == [(False, False, True), (False, True, False)]
    assert all(h["endTime"] is not None for h in history.values())


def test_annotations_are_set_and_cleared_at_runtime_and_in_history(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    incident_id = open_incident(database, at, "task-1", "boom")
    put = api.client.put(
        api.url(f"/incident/{incident_id}/annotation"), json={"annotation": "looking into it"}
    )
    assert put.status_code == 204, put.text
    assert api.get(f"/incident/{incident_id}").json()["annotation"] == "looking into it"
    assert listed(api, "/history/incident")[0]["annotation"] == "looking into it"

    cleared = api.client.delete(api.url(f"/incident/{incident_id}/annotation"))
    assert cleared.status_code == 204
    assert api.get(f"/incident/{incident_id}").json()["annotation"] is None
    assert listed(api, "/history/incident")[0]["annotation"] is None


def test_annotating_an_unknown_incident_is_camundas_400(api: Api) -> None:
    refused = api.client.put(api.url("/incident/nothing/annotation"), json={"annotation": "x"})
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "BadUserRequestException",
        "message": "incident is null",
        "code": 0,
    }
    cleared = api.client.delete(api.url("/incident/nothing/annotation"))
    assert cleared.status_code == 400


def test_resolving_by_id_resolves_a_custom_incident_only(api: Api, database: Database) -> None:
    at = start_invoice(api)
    external = open_incident(database, at, "task-1", "boom")
    custom = open_incident(database, at, "cfg", "mine", incident_type=CUSTOM)

    refused = api.client.delete(api.url(f"/incident/{external}"))
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "InvalidRequestException",
        "message": "Cannot resolve an incident of type failedExternalTask",
        "code": None,
    }
    assert api.client.delete(api.url(f"/incident/{custom}")).status_code == 204
    assert ids(api) == [external]
    (history,) = listed(api, "/history/incident", incidentType=CUSTOM)
    assert history["resolved"] is True

    missing = api.client.delete(api.url("/incident/nothing"))
    assert missing.status_code == 404
    assert (
        missing.json()["message"] == "Cannot find an incident with id 'nothing': incident is null"
    )


@pytest.fixture
def history_of_three(api: Api, database: Database) -> dict[str, Any]:
    """One incident open, one resolved, one deleted."""
    first = start_invoice(api, "INV-1")
    second = start_invoice(api, "INV-2")
    open_id = open_incident(database, first, "task-open", "still failing")
    resolved = open_incident(database, first, "task-resolved", "was failing")
    deleted = open_incident(database, second, "task-deleted", "gone", incident_type=CUSTOM)
    resolve(database, "task-resolved")
    delete(database, "task-deleted", incident_type=CUSTOM)
    return {
        "first": first,
        "second": second,
        "open": open_id,
        "resolved": resolved,
        "deleted": deleted,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"open": "true"}, ["open"]),
        ({"resolved": "true"}, ["resolved"]),
        ({"deleted": "true"}, ["deleted"]),
        # As HistoricIncidentQueryDto applies them, the last state flag wins.
        ({"open": "true", "deleted": "true"}, ["deleted"]),
        ({"incidentType": CUSTOM}, ["deleted"]),
        ({"incidentMessage": "gone"}, ["deleted"]),
        ({"incidentMessageLike": "%failing"}, ["open", "resolved"]),
        ({"configuration": "task-resolved"}, ["resolved"]),
        ({"processDefinitionKey": "invoice"}, ["open", "resolved", "deleted"]),
        ({"processDefinitionKeyIn": "other,invoice"}, ["open", "resolved", "deleted"]),
        ({"processDefinitionKey": "other"}, []),
        ({"activityId": "checkInvoice"}, ["open", "resolved", "deleted"]),
        ({"failedActivityId": "checkInvoice"}, []),
        ({"historyConfiguration": "x"}, []),
        ({"tenantIdIn": "acme"}, []),
        ({"withoutTenantId": "true"}, ["open", "resolved", "deleted"]),
        ({"jobDefinitionIdIn": "job"}, []),
        ({"createTimeBefore": "2000-01-01T00:00:00.000+0000"}, []),
        ({"createTimeAfter": "2000-01-01T00:00:00.000+0000"}, ["open", "resolved", "deleted"]),
        ({"endTimeAfter": "2000-01-01T00:00:00.000+0000"}, ["resolved", "deleted"]),
        ({"endTimeBefore": "2000-01-01T00:00:00.000+0000"}, []),
    ],
)
def test_each_history_filter_narrows_the_incidents(
    api: Api, history_of_three: dict[str, Any], query: dict[str, str], expected: list[str]
) -> None:
    wanted = [history_of_three[name] for name in expected]
    assert ids(api, "/history/incident", **query) == wanted
    assert counted(api, "/history/incident/count", **query) == len(wanted)


def test_the_history_filters_by_id_find_what_they_name(
    api: Api, history_of_three: dict[str, Any]
) -> None:
    first, second = history_of_three["first"], history_of_three["second"]
    resolved = history_of_three["resolved"]
    path = "/history/incident"
    assert ids(api, path, incidentId=resolved) == [resolved]
    assert ids(api, path, processInstanceId=second.instance_id) == [history_of_three["deleted"]]
    assert ids(api, path, executionId=first.execution_id) == [history_of_three["open"], resolved]
    assert len(ids(api, path, processDefinitionId=first.definition_id)) == 3
    assert ids(api, path, causeIncidentId=resolved) == [resolved]
    assert ids(api, path, rootCauseIncidentId=resolved) == [resolved]


@pytest.mark.parametrize(
    "sort_by",
    [
        "incidentId",
        "incidentMessage",
        "createTime",
        "endTime",
        "incidentType",
        "executionId",
        "activityId",
        "processInstanceId",
        "processDefinitionId",
        "processDefinitionKey",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
        "historyConfiguration",
        "tenantId",
    ],
)
def test_each_history_sort_orders_by_its_field_both_ways(
    api: Api, history_of_three: dict[str, Any], sort_by: str
) -> None:
    path = "/history/incident"
    ascending = listed(api, path, sortBy=sort_by, sortOrder="asc")
    descending = listed(api, path, sortBy=sort_by, sortOrder="desc")
    field = DTO_FIELDS.get(sort_by, sort_by)
    values = [incident[field] for incident in ascending]
    assert values == sorted(values, key=lambda value: (value is None, value))
    assert [incident[field] for incident in descending] == values[::-1]


def test_the_history_sorts_by_state_open_resolved_deleted(
    api: Api, history_of_three: dict[str, Any]
) -> None:
    path = "/history/incident"
    expected = [history_of_three[name] for name in ("open", "resolved", "deleted")]
    assert ids(api, path, sortBy="incidentState", sortOrder="asc") == expected
    assert ids(api, path, sortBy="incidentState", sortOrder="desc") == expected[::-1]


class TestWithHistoryOff:
    @pytest.fixture
    def settings(self, db_url: str) -> Settings:
        return Settings(database_url=db_url, no_history=True)

    @pytest.fixture
    def database(self, db_url: str) -> Iterator[Database]:
        opened = Database(db_url, history=False)
        yield opened
        opened.dispose()

    def test_incidents_are_kept_at_runtime_and_not_recorded(
        self, api: Api, database: Database
    ) -> None:
        at = start_invoice(api)
        open_incident(database, at, "task-1", "boom")
        assert counted(api) == 1
        resolve(database, "task-1")
        assert counted(api) == 0
        assert listed(api, "/history/incident") == []


def test_the_activity_instance_tree_shows_incidents_where_they_happened(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    incident_id = open_incident(database, at, "task-1", "boom")
    tree = api.get(f"/process-instance/{at.instance_id}/activity-instances").json()
    assert (tree["incidentIds"], tree["incidents"]) == ([], [])
    (waiting,) = tree["childActivityInstances"]
    assert waiting["activityId"] == at.activity_id
    assert waiting["incidentIds"] == [incident_id]
    assert waiting["incidents"] == [{"id": incident_id, "activityId": at.activity_id}]


def test_an_instance_that_completes_takes_its_incidents_and_history_deletes_them(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    incident_id = open_incident(database, at, "cfg", "mine", incident_type=CUSTOM)
    (task,) = api.get("/task", processInstanceId=at.instance_id).json()
    completed = api.client.post(
        api.url(f"/task/{task['id']}/complete"),
        json={"variables": {"amount": {"value": 10, "type": "Integer"}}},
    )
    assert completed.status_code == 204, completed.text
    assert api.get(f"/process-instance/{at.instance_id}").status_code == 404

    assert listed(api) == []
    (history,) = listed(api, "/history/incident")
    assert (history["id"], history["deleted"]) == (incident_id, True)


def test_deleting_the_deployment_with_cascade_takes_incidents_and_their_history(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    open_incident(database, at, "task-1", "boom")
    (deployment,) = api.get("/deployment").json()
    deleted = api.client.delete(
        api.url(f"/deployment/{deployment['id']}"), params={"cascade": "true"}
    )
    assert deleted.status_code == 204, deleted.text
    assert listed(api) == []
    assert listed(api, "/history/incident") == []
