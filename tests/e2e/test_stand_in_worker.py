"""A Java delegate played by a Python worker: a real ``taskvars serve --stand-ins FILE``
process whose stand-ins make the model's ``camunda:delegateExpression`` service task an
external task on the worker's topic, and the unmodified
``camunda-external-task-client-python3`` worker (tests/e2e/python_worker.py) completing
it; the run goes on past the task to the user task after it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model
from tests.e2e.external_workers import TOPIC, eventually, running_worker
from tests.e2e.server import running_server
from tests.readme import snippet

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("external-task-workers")]

# The README's stand-ins (its worker's topic is the one python_worker.py serves).
STAND_INS = snippet("stand-ins-toml")


def test_a_python_worker_plays_the_java_delegate_of_a_service_task(
    db_url: str, tmp_path: Path
) -> None:
    assert f'external-topic = "{TOPIC}"' in STAND_INS
    stand_ins = tmp_path / "stand-ins.toml"
    stand_ins.write_text(STAND_INS)
    with (
        running_server(db_url, tmp_path, "--stand-ins", str(stand_ins)) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        deploy_model(http, "stood-in-order.bpmn")
        body = {"variables": {"action": {"value": "complete", "type": "String"}}}
        response = http.post("/process-definition/key/stoodInOrder/start", json=body)
        assert response.status_code == 200, response.text
        instance_id = response.json()["id"]

        with running_worker("python", server.base_url, tmp_path) as log:

            def reviewing() -> str | None:
                tasks = http.get("/task", params={"processInstanceId": instance_id}).json()
                return tasks[0]["taskDefinitionKey"] if tasks else None

            try:
                waiting_in = eventually(reviewing, 30, "the instance past the stood-in task")
            except AssertionError as error:
                raise AssertionError(f"{error}\n{log.read_text()[-4000:]}") from None

        assert waiting_in == "review"
        found = http.get(f"/process-instance/{instance_id}/variables").json()
        assert found["amount"] == {"type": "Integer", "value": 1250, "valueInfo": {}}
        assert (found["score"]["value"], found["reviewer"]["value"]) == (7, "erin")
        history = http.get(
            "/history/activity-instance",
            params={"processInstanceId": instance_id, "activityId": "charge"},
        ).json()
        assert [(a["activityType"], a["endTime"] is not None) for a in history] == [
            ("serviceTask", True)
        ]
