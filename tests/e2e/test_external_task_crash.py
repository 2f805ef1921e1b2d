"""kill -9 of the server while it stores an external task's ``complete`` (variables and a
File of several MiB, so that the window is real), then a restart on the same database:
the task is still open and locked, none of that complete's variables stored, and
fetchable again once its lock expires; or it is done, every variable stored whole.
Never in between."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model
from tests.e2e.test_concurrent_writers import orphans
from tests.e2e.test_crash_consistency import NO_ORPHANS, kill, send_without_waiting
from tests.e2e.test_crash_consistency import serving as serving_alone

pytestmark = pytest.mark.e2e

TOPIC = "scan-invoice"  # tests/bpmn/scan-invoice.bpmn's external task
LOCK_MS = 4000
RECEIPT_BYTES = 8 * 1024 * 1024
NAMES = [f"finding{n}" for n in range(100)]
# Seconds after the whole body was sent. Such a complete takes about 0.3 s on SQLite and
# 0.5 s on PostgreSQL here: kills before, while and after it stores.
KILL_DELAYS = [0.0, 0.1, 0.25, 0.4, 2.0]


def fetch(client: httpx.Client, worker_id: str, wait_ms: int) -> list[dict[str, Any]]:
    response = client.post(
        "/external-task/fetchAndLock",
        json={
            "workerId": worker_id,
            "maxTasks": 1,
            "asyncResponseTimeout": wait_ms,
            "topics": [{"topicName": TOPIC, "lockDuration": LOCK_MS}],
        },
    )
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()
    return tasks


def completion(receipt: bytes) -> bytes:
    variables: dict[str, Any] = {name: {"value": "z" * 1000, "type": "String"} for name in NAMES}
    variables["receipt"] = {
        "value": base64.b64encode(receipt).decode(),
        "type": "File",
        "valueInfo": {"filename": "receipt.bin", "mimeType": "application/octet-stream"},
    }
    return json.dumps({"workerId": "crashing-worker", "variables": variables}).encode()


def epoch_seconds(camunda_date: str) -> float:
    return datetime.strptime(camunda_date, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def test_killed_during_an_external_tasks_complete_the_task_is_open_or_done_with_its_variables(
    db_url: str, tmp_path: Path
) -> None:
    with serving_alone(db_url, tmp_path) as (_, client):
        deploy_model(client, "scan-invoice.bpmn")
    outcomes = []
    for attempt, delay in enumerate(KILL_DELAYS):
        receipt = hashlib.sha256(f"attempt {attempt}".encode()).digest() * (RECEIPT_BYTES // 32)
        with serving_alone(db_url, tmp_path) as (server, client):
            started = client.post("/process-definition/key/scanInvoice/start", json={})
            instance_id = started.json()["id"]
            (task,) = fetch(client, "crashing-worker", 0)
            with send_without_waiting(
                server,
                "POST",
                f"/external-task/{task['id']}/complete",
                completion(receipt),
                "application/json",
            ):
                time.sleep(delay)
                kill(server)
        with serving_alone(db_url, tmp_path) as (_, client):
            left = client.get("/external-task", params={"processInstanceId": instance_id}).json()
            stored = client.get(f"/process-instance/{instance_id}/variables").json()
            if left:
                outcomes.append("open")
                (still,) = left
                assert (still["id"], still["workerId"]) == (task["id"], "crashing-worker")
                assert stored == {}, f"attempt {attempt}: open, but variables of it stayed"
                expires = epoch_seconds(still["lockExpirationTime"])
                if time.time() < expires - 0.2:
                    assert fetch(client, "next-worker", 0) == [], "fetched while locked"
                (again,) = fetch(client, "next-worker", LOCK_MS + 10_000)
                assert again["id"] == task["id"]
                assert time.time() >= expires
                done = client.post(
                    f"/external-task/{task['id']}/complete",
                    json={"workerId": "next-worker", "variables": {}},
                )
                assert done.status_code == 204, done.text
            else:
                outcomes.append("done")
                assert set(stored) == {*NAMES, "receipt"}, f"attempt {attempt}: part of them"
                data = client.get(f"/process-instance/{instance_id}/variables/receipt/data")
                assert data.content == receipt, f"attempt {attempt}: a partial File"
            (review,) = client.get("/task", params={"processInstanceId": instance_id}).json()
            assert review["taskDefinitionKey"] == "review"
        assert orphans(db_url) == NO_ORPHANS, f"attempt {attempt}"
    print(f"kills during external task completes: {outcomes}")
