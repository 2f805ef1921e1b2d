"""The incident criteria of the process-instance, process-definition and historic
process-instance queries: instances (and definitions) with a matching incident."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.unit_of_work import Database
from tests.api.incident_sites import (
    CUSTOM,
    Waiting,
    delete,
    open_incident,
    resolve,
    start_invoice,
)
from tests.api_client import Api


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """The test's database, opened beside the app's, for the engine-side calls."""
    opened = Database(db_url)
    yield opened
    opened.dispose()


@pytest.fixture
def instances(api: Api, database: Database) -> dict[str, Any]:
    """``failing`` has an open incident; ``recovered`` had one, resolved; ``quiet`` none."""
    failing = start_invoice(api, "INV-1")
    recovered = start_invoice(api, "INV-2")
    quiet = start_invoice(api, "INV-3")
    incident_id = open_incident(database, failing, "task-1", "Connection refused", CUSTOM)
    open_incident(database, recovered, "task-2", "Timeout")
    resolve(database, "task-2")
    return {"failing": failing, "recovered": recovered, "quiet": quiet, "incident": incident_id}


def instance_ids(api: Api, path: str, **query: Any) -> list[str]:
    response = api.get(path, **query)
    assert response.status_code == 200, response.text
    return [instance["id"] for instance in response.json()]


def posted_ids(api: Api, path: str, body: dict[str, Any]) -> list[str]:
    response = api.client.post(api.url(path), json=body)
    assert response.status_code == 200, response.text
    return [instance["id"] for instance in response.json()]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ({"withIncident": "true"}, True),
        ({"incidentType": CUSTOM}, True),
        ({"incidentType": "failedExternalTask"}, False),
        ({"incidentMessage": "Connection refused"}, True),
        ({"incidentMessageLike": "%refused"}, True),
        ({"incidentMessageLike": "Timeout%"}, False),
    ],
)
def test_process_instances_are_found_by_their_open_incidents(
    api: Api, instances: dict[str, Any], query: dict[str, str], found: bool
) -> None:
    expected = [instances["failing"].instance_id] if found else []
    assert instance_ids(api, "/process-instance", **query) == expected
    assert posted_ids(api, "/process-instance", _json(query)) == expected


def test_a_process_instance_is_found_by_its_incidents_id(
    api: Api, instances: dict[str, Any]
) -> None:
    failing: Waiting = instances["failing"]
    assert instance_ids(api, "/process-instance", incidentId=instances["incident"]) == [
        failing.instance_id
    ]
    either = {"orQueries": [{"incidentId": instances["incident"], "businessKey": "INV-3"}]}
    assert posted_ids(api, "/process-instance", either) == [
        failing.instance_id,
        instances["quiet"].instance_id,
    ]


def test_process_definitions_are_found_by_their_instances_open_incidents(
    api: Api, instances: dict[str, Any]
) -> None:
    definition_id = instances["failing"].definition_id
    assert instance_ids(api, "/process-definition", incidentType=CUSTOM) == [definition_id]
    assert instance_ids(api, "/process-definition", incidentId=instances["incident"]) == [
        definition_id
    ]
    assert instance_ids(api, "/process-definition", incidentMessage="Timeout") == []
    assert instance_ids(api, "/process-definition", incidentMessageLike="Conn%") == [definition_id]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"withIncidents": "true"}, ["failing", "recovered"]),
        ({"incidentStatus": "open"}, ["failing"]),
        ({"incidentStatus": "resolved"}, ["recovered"]),
        ({"incidentType": "failedExternalTask"}, ["recovered"]),
        ({"incidentMessage": "Timeout"}, ["recovered"]),
        ({"incidentMessageLike": "Conn%"}, ["failing"]),
    ],
)
def test_historic_process_instances_are_found_by_their_incidents(
    api: Api, instances: dict[str, Any], query: dict[str, str], expected: list[str]
) -> None:
    wanted = [instances[name].instance_id for name in expected]
    assert instance_ids(api, "/history/process-instance", **query) == wanted
    assert posted_ids(api, "/history/process-instance", _json(query)) == wanted


def test_a_deleted_incident_counts_as_ended_for_historic_instances(
    api: Api, database: Database
) -> None:
    at = start_invoice(api)
    open_incident(database, at, "task-1", "boom")
    delete(database, "task-1")
    assert instance_ids(api, "/history/process-instance", incidentStatus="open") == []
    assert instance_ids(api, "/history/process-instance", incidentStatus="resolved") == [
        at.instance_id
    ]


def _json(query: dict[str, str]) -> dict[str, Any]:
    """A GET query as the JSON body of the POST form."""
    return {name: value == "true" if value == "true" else value for name, value in query.items()}
