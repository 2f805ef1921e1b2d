"""Two called instances ending at once (the two reviews a caller waits for completed at
the same moment, through two server processes on PostgreSQL): each completion resumes
the same caller, a step of its run claimed as any step is, so each answers 204 or 409
and the caller is never left with a step half taken."""

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

MODELS = Path(__file__).parents[1] / "bpmn"
INSTANCES = 6


@pytest.fixture
def servers(db_url: str, database_kind: str, tmp_path: Path) -> Iterator[list[Server]]:
    count = 2 if database_kind == "postgresql" else 1
    with ExitStack() as stack:
        yield [stack.enter_context(running_server(db_url, tmp_path)) for _ in range(count)]


def _deploy(client: httpx.Client, name: str) -> None:
    body = multipart_body(Part("data", (MODELS / name).read_bytes(), filename=name))
    deployed = client.post(
        "/deployment/create", content=body, headers={"Content-Type": content_type()}
    )
    assert deployed.status_code == 200, deployed.text


def test_called_instances_ending_at_once_resume_their_caller_whole(
    servers: list[Server],
) -> None:
    clients = [httpx.Client(base_url=server.base_url, timeout=60) for server in servers]
    try:
        first = clients[0]
        _deploy(first, "call-review.bpmn")
        _deploy(first, "call-two-reviews.bpmn")
        answers: Counter[int] = Counter()
        for _ in range(INSTANCES):
            caller = first.post("/process-definition/key/twoReviews/start", json={}).json()
            called = first.get("/process-instance", params={"superProcessInstance": caller["id"]})
            tasks = [
                first.get("/task", params={"processInstanceId": c["id"]}).json()[0]["id"]
                for c in called.json()
            ]
            assert len(tasks) == 2
            together = threading.Barrier(2)

            def complete(
                number: int, task_id: str, together: threading.Barrier = together
            ) -> httpx.Response:
                client = clients[number % len(clients)]
                together.wait()
                return client.post(
                    f"/task/{task_id}/complete",
                    json={"variables": {"verdict": {"value": f"ok{number}"}}},
                )

            with ThreadPoolExecutor(2) as pool:
                responses = list(pool.map(complete, [0, 1], tasks))
            for response in responses:
                answers[response.status_code] += 1
                if response.status_code == 409:
                    assert response.json()["type"] == "OptimisticLockingException"
                else:
                    assert response.status_code == 204, response.text
            still_called = first.get(
                "/process-instance", params={"superProcessInstance": caller["id"]}
            ).json()
            # Each completion that answered 204 ended its called instance and moved the
            # caller on; one that lost left its called instance and task as they were.
            assert len(still_called) == sum(r.status_code == 409 for r in responses)
            for instance in still_called:
                (task,) = first.get("/task", params={"processInstanceId": instance["id"]}).json()
                assert first.post(f"/task/{task['id']}/complete", json={}).status_code == 204
            (decide,) = first.get("/task", params={"processInstanceId": caller["id"]}).json()
            assert decide["taskDefinitionKey"] == "decide"
            assert first.post(f"/task/{decide['id']}/complete", json={}).status_code == 204
            assert first.get(f"/process-instance/{caller['id']}").status_code == 404
        print(f"{len(servers)} server(s): {dict(answers)}")
    finally:
        for client in clients:
            client.close()
