"""Two real server processes on one PostgreSQL database fire the timers of 1,000
process instances of a real model (an intermediate timer, then a user task): each timer
fires exactly once, whichever process ran it. Runs once the engine's timer jobs
(taskvars.engine.timer_jobs) are there."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from taskvars.persistence.unit_of_work import Database
from tests.databases import SessionDatabase
from tests.e2e.server import running_server
from tests.multipart_bodies import Part, content_type, multipart_body

pytest.importorskip("taskvars.engine.timer_jobs")
pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MODEL = Path(__file__).parent.parent / "bpmn" / "catch-events.bpmn"
INSTANCES = 1000


def scalar(database: Database, sql: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def test_two_processes_fire_a_thousand_timers_each_exactly_once(
    postgresql_session_database: SessionDatabase, tmp_path: Path
) -> None:
    postgresql_session_database.empty()
    url = postgresql_session_database.url
    database = Database(url)
    try:
        with (
            running_server(url, tmp_path) as first,
            running_server(url, tmp_path) as second,
            httpx.Client(base_url=first.base_url, timeout=60) as one,
            httpx.Client(base_url=second.base_url, timeout=60) as other,
        ):
            parts = [
                Part("deployment-name", "timers", content_type="text/plain"),
                Part("data", MODEL.read_bytes(), filename=MODEL.name),
            ]
            deployed = one.post(
                "/deployment/create",
                content=multipart_body(*parts),
                headers={"Content-Type": content_type()},
            )
            assert deployed.status_code == 200, deployed.text

            def start(index: int) -> None:
                client = one if index % 2 else other
                started = client.post(
                    "/process-definition/key/waitForTimer/start",
                    json={"variables": {"pause": {"value": "PT1S", "type": "String"}}},
                )
                assert started.status_code == 200, started.text

            with ThreadPoolExecutor(8) as pool:
                list(pool.map(start, range(INSTANCES)))
            deadline = time.monotonic() + 120
            while scalar(database, "SELECT count(*) FROM job") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert scalar(database, "SELECT count(*) FROM job") == 0
            waiting = one.get("/task/count", params={"taskDefinitionKey": "afterPause"})
            assert waiting.json() == {"count": INSTANCES}
            fired = one.get(
                "/history/activity-instance/count", params={"activityId": "Pause"}
            ).json()
            assert fired == {"count": INSTANCES}
    finally:
        database.dispose()
