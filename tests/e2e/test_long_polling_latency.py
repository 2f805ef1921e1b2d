"""Long polling across server processes: a ``fetchAndLock`` parked in one process answers
when an instance started through the other creates a task of its topic, within 100 ms
(p99 over 50 tries); one that finds nothing answers ``[]`` at its timeout.

Over 50 tries the p99 is all but the largest sample, so one stall of a busy machine (a
neighbouring test's servers starting, this process's collector) decides a round. A round
that misses is measured once more; a wake-up that is slow by design (waiting for the
listener's half-second look-up or the 30 s re-check) misses both.
"""

from __future__ import annotations

import gc
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.deployed_models import deploy_model
from tests.e2e.server import Server

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("external-task-workers")]

TOPIC = "scan-invoice"  # tests/bpmn/scan-invoice.bpmn's external task
TRIES = 50
MAX_P99_MS = 100
PARKED_FOR = 0.1  # seconds between sending the fetch and starting the instance
ROUNDS = 2  # at most; see the module's docstring


def fetch_and_lock(http: httpx.Client, timeout_ms: int) -> httpx.Response:
    return http.post(
        "/external-task/fetchAndLock",
        json={
            "workerId": "latency-probe",
            "maxTasks": 1,
            "asyncResponseTimeout": timeout_ms,
            "topics": [{"topicName": TOPIC, "lockDuration": 60_000}],
        },
    )


@pytest.fixture
def clients(servers_over_one_database: list[Server]) -> Iterator[list[httpx.Client]]:
    """One client per server process, the model deployed."""
    with (
        httpx.Client(base_url=servers_over_one_database[0].base_url, timeout=30) as first,
        httpx.Client(base_url=servers_over_one_database[-1].base_url, timeout=30) as last,
    ):
        deploy_model(last, "scan-invoice.bpmn")
        yield [first, last]


class ParkedFetch(threading.Thread):
    """A ``fetchAndLock`` sent now, its answer and when it came."""

    def __init__(self, http: httpx.Client, timeout_ms: int) -> None:
        super().__init__()
        self.http, self.timeout_ms = http, timeout_ms
        self.response: httpx.Response | None = None
        self.answered_at = 0.0
        self.start()

    def run(self) -> None:
        self.response = fetch_and_lock(self.http, self.timeout_ms)
        self.answered_at = time.perf_counter()

    def answer(self) -> list[dict[str, Any]]:
        self.join()
        assert self.response is not None
        assert self.response.status_code == 200, self.response.text
        tasks: list[dict[str, Any]] = self.response.json()
        return tasks


def wake_up_latencies_ms(parked_in: httpx.Client, started_through: httpx.Client) -> list[float]:
    """For each try: from the start's answer to the parked fetch's answer."""
    latencies = []
    # The server's latency is measured, not this process's: no collection pauses it.
    gc.collect()
    gc.disable()
    try:
        for _ in range(TRIES):
            fetch = ParkedFetch(parked_in, 10_000)
            time.sleep(PARKED_FOR)
            started = started_through.post(
                "/process-definition/key/scanInvoice/start",
                json={"variables": {"action": {"value": "complete", "type": "String"}}},
            )
            started_at = time.perf_counter()
            assert started.status_code == 200, started.text
            (task,) = fetch.answer()
            assert task["processInstanceId"] == started.json()["id"]
            latencies.append((fetch.answered_at - started_at) * 1000)
    finally:
        gc.enable()
    return latencies


@pytest.mark.parametrize("database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_a_fetch_parked_in_one_process_gets_a_task_created_through_the_other_within_100_ms(
    clients: list[httpx.Client],
) -> None:
    parked_in, started_through = clients
    for _ in range(ROUNDS):
        latencies = wake_up_latencies_ms(parked_in, started_through)
        p50, p99 = (
            statistics.median(latencies),
            statistics.quantiles(latencies, n=100, method="inclusive")[98],
        )
        largest = max(latencies)
        print(f"wake-up across processes: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {largest:.1f}")
        if p99 < MAX_P99_MS:
            return
    pytest.fail(
        f"p99 of {MAX_P99_MS} ms or more in each of {ROUNDS} rounds; the last, {p99:.1f} ms: "
        f"{sorted(latencies)}"
    )


def test_a_parked_fetch_that_finds_nothing_answers_an_empty_list_at_its_timeout(
    clients: list[httpx.Client],
) -> None:
    begun = time.perf_counter()
    response = fetch_and_lock(clients[0], 1000)
    waited = time.perf_counter() - begun

    assert (response.status_code, response.json()) == (200, [])
    assert 1.0 <= waited < 1.5
