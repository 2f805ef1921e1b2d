"""Two requests moving one process instance on at once (the two branches of a parallel
review completed at the same moment, through two server processes on PostgreSQL): each
answers 204 or 409, and the instance is always in a state it can run on from, never
with a step half taken."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, multipart_body

pytestmark = pytest.mark.e2e

MODEL = Path(__file__).parents[1] / "bpmn" / "parallel-review.bpmn"
INSTANCES = 12


@pytest.fixture
def servers(db_url: str, database_kind: str, tmp_path: Path) -> Iterator[list[Server]]:
    count = 2 if database_kind == "postgresql" else 1
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(db_url, tmp_path)) for _ in range(count)]


def test_completing_both_branches_at_once_never_leaves_a_step_half_taken(
    servers: list[Server],
) -> None:
    clients = [httpx.Client(base_url=server.base_url, timeout=60) for server in servers]
    try:
        first = clients[0]
        deployed = first.post(
            "/deployment/create",
            content=multipart_body(Part("data", MODEL.read_bytes(), filename=MODEL.name)),
            headers={"Content-Type": content_type()},
        )
        assert deployed.status_code == 200, deployed.text
        answers: Counter[int] = Counter()
        for _ in range(INSTANCES):
            instance_id = first.post(
                "/process-definition/key/parallelReview/start", json={}
            ).json()["id"]
            branches = first.get("/task", params={"processInstanceId": instance_id}).json()
            assert len(branches) == 2
            together = threading.Barrier(2)

            def complete(
                number: int, task_id: str, together: threading.Barrier = together
            ) -> httpx.Response:
                client = clients[number % len(clients)]
                together.wait()
                return client.post(
                    f"/task/{task_id}/complete",
                    json={"variables": {f"verdict{number}": {"value": "ok"}}},
                )

            with ThreadPoolExecutor(2) as pool:
                responses = list(pool.map(complete, [0, 1], [t["id"] for t in branches]))
            for response in responses:
                answers[response.status_code] += 1
                if response.status_code == 409:
                    assert response.json()["type"] == "OptimisticLockingException"
                else:
                    assert response.status_code == 204, response.text
            left = {
                t["taskDefinitionKey"]: t["id"]
                for t in first.get("/task", params={"processInstanceId": instance_id}).json()
            }
            stored = first.get(f"/process-instance/{instance_id}/variables").json()
            done = [r.status_code == 204 for r in responses]
            if all(done):
                assert set(left) == {"decide"}
                assert set(stored) == {"verdict0", "verdict1"}
            else:
                # One step taken, whole: its task gone and its variable there, the other
                # branch untouched.
                (waiting,) = left.values()
                assert set(left) <= {"legalReview", "financeReview"}
                assert len(stored) == 1
                assert first.post(f"/task/{waiting}/complete", json={}).status_code == 204
                (decide,) = first.get("/task", params={"processInstanceId": instance_id}).json()
                left = {decide["taskDefinitionKey"]: decide["id"]}
            assert first.post(f"/task/{left['decide']}/complete", json={}).status_code == 204
            assert first.get(f"/process-instance/{instance_id}").status_code == 404
        print(f"{len(servers)} server(s): {dict(answers)}")
    finally:
        for client in clients:
            client.close()
