"""The two real external-task clients, unmodified, as workers against real server
processes: PyPI's ``camunda-external-task-client-python3`` and npm's
``camunda-external-task-client-js`` (tests/e2e/external_workers.py says what their
scripts do). On PostgreSQL the worker long-polls one server process while instances are
started and read through the other, over one database.

Each completes with typed and File variables, reports failures that come back after
their retry timeout with a retry less each time, and raises a BPMN error that the
boundary event catches."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model
from tests.e2e.external_workers import (
    CLIENTS,
    RECEIPT,
    RETRY_TIMEOUT_MS,
    TOPIC,
    eventually,
    running_worker,
)
from tests.e2e.server import Server

# One module's servers for both databases: its tests stay on one xdist process.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("external-task-workers")]

SCAN = b"%PDF-1.7 scanned invoice\x00\xff"


@pytest.fixture(params=CLIENTS)
def library(request: pytest.FixtureRequest) -> str:
    """Which client library the worker is written with."""
    name: str = request.param
    return name


@pytest.fixture
def http(servers_over_one_database: list[Server]) -> Iterator[httpx.Client]:
    """The last server process: on PostgreSQL, not the one the worker polls."""
    with httpx.Client(base_url=servers_over_one_database[-1].base_url, timeout=30) as http:
        deploy_model(http, "scan-invoice.bpmn")
        yield http


@pytest.fixture
def worker(
    library: str, servers_over_one_database: list[Server], http: httpx.Client, tmp_path: Path
) -> Iterator[Path]:
    """The library's worker, polling the first server process; its log."""
    with running_worker(library, servers_over_one_database[0].base_url, tmp_path) as log:
        yield log


def start(http: httpx.Client, action: str) -> str:
    variables: dict[str, Any] = {"action": {"value": action, "type": "String"}}
    variables["scan"] = {
        "value": base64.b64encode(SCAN).decode(),
        "type": "File",
        "valueInfo": {"filename": "scan.pdf", "mimeType": "application/pdf"},
    }
    response = http.post("/process-definition/key/scanInvoice/start", json={"variables": variables})
    assert response.status_code == 200, response.text
    instance_id: str = response.json()["id"]
    return instance_id


def user_task_reached(http: httpx.Client, instance_id: str, log: Path) -> str:
    """The ``taskDefinitionKey`` of the user task the instance waits in, once the worker
    has done its part."""

    def waiting_in() -> str | None:
        tasks = http.get("/task", params={"processInstanceId": instance_id}).json()
        return tasks[0]["taskDefinitionKey"] if tasks else None

    try:
        return eventually(waiting_in, 30, f"instance {instance_id} past the external task")
    except AssertionError as error:
        raise AssertionError(f"{error}\nworker log:\n{log.read_text()[-4000:]}") from None


def variable(http: httpx.Client, instance_id: str, name: str) -> dict[str, Any]:
    response = http.get(f"/process-instance/{instance_id}/variables/{name}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_the_worker_completes_with_typed_variables_and_a_file(
    library: str, http: httpx.Client, worker: Path
) -> None:
    instance_id = start(http, "complete")

    assert user_task_reached(http, instance_id, worker) == "review"
    assert variable(http, instance_id, "amount") == {
        "type": "Integer",
        "value": 1250,
        "valueInfo": {},
    }
    assert variable(http, instance_id, "approver") == {
        "type": "String",
        "value": "anna",
        "valueInfo": {},
    }
    decision = variable(http, instance_id, "decision")
    assert decision["type"] == "Json"
    assert json.loads(decision["value"]) == {"approved": True, "limits": [1000, 5000]}
    assert variable(http, instance_id, "attempt")["value"] == 1
    # Served as Camunda serves a File (VariableValueDto: no value; VariableResponseProvider:
    # the MIME type with the encoding as charset). The JavaScript client names the MIME
    # type "mimetype", which Camunda's FileValueTypeImpl ignores; this server reads it
    # too (services/typed_values.py), so both clients' receipts are text/plain.
    assert variable(http, instance_id, "receipt") == {
        "type": "File",
        "value": None,
        "valueInfo": {"filename": "receipt.txt", "mimeType": "text/plain", "encoding": "utf-8"},
    }
    data = http.get(f"/process-instance/{instance_id}/variables/receipt/data")
    assert (data.content, data.headers["content-type"]) == (RECEIPT, "text/plain; charset=utf-8")
    if library == "javascript":
        # It read the instance's File through /execution/{id}/localVariables/scan/data.
        assert variable(http, instance_id, "scanBytes")["value"] == len(SCAN)
    assert 'filename="receipt.txt"' in data.headers["content-disposition"]
    assert http.get("/external-task", params={"processInstanceId": instance_id}).json() == []


def test_a_reported_failure_comes_back_after_its_retry_timeout_with_one_retry_less(
    http: httpx.Client, worker: Path
) -> None:
    instance_id = start(http, "fail-twice")

    for attempt, retries in ((1, 2), (2, 1)):
        message = f"Scanner offline (attempt {attempt})"

        def failed(message: str = message) -> dict[str, Any] | None:
            tasks = http.get("/external-task", params={"processInstanceId": instance_id}).json()
            return tasks[0] if tasks and tasks[0]["errorMessage"] == message else None

        task = eventually(failed, 30, f"the worker's failure {attempt} reported")
        assert (task["retries"], task["topicName"]) == (retries, TOPIC)
        details = http.get(f"/external-task/{task['id']}/errorDetails")
        assert (details.status_code, details.text) == (200, "paper jam in tray 2")
        # Locked for the retry timeout from the failure on (ExternalTaskEntity.failed)
        retry_at = datetime.strptime(task["lockExpirationTime"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert 0 < retry_at.timestamp() - time.time() <= RETRY_TIMEOUT_MS / 1000

    assert user_task_reached(http, instance_id, worker) == "review"
    assert time.time() >= retry_at.timestamp()
    assert variable(http, instance_id, "attempt")["value"] == 3  # fetched again, completed


def test_a_bpmn_error_takes_the_boundary_events_path(http: httpx.Client, worker: Path) -> None:
    instance_id = start(http, "reject")

    assert user_task_reached(http, instance_id, worker) == "handleRejection"
    assert variable(http, instance_id, "rejectionReason")["value"] == "duplicate"
    assert http.get("/external-task", params={"processInstanceId": instance_id}).json() == []
    assert http.get("/task", params={"taskDefinitionKey": "review"}).json() == []
