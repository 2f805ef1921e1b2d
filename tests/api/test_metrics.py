"""GET /engine-rest/metrics: Prometheus' text format, counting what the server did.

Counters belong to the test process, which many tests share, so each test compares a
scrape after known traffic with one before it. (Several worker processes added up:
tests/e2e/test_metrics_workers.py.)"""

from __future__ import annotations

import pytest

from tests.api_client import Api
from tests.metrics_text import samples, value
from tests.multipart_bodies import Part, content_type, multipart_body

UPLOAD = "setBinaryTaskVariable"
DOWNLOAD = "getTaskVariableBinary"


def scrape(api: Api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def test_requests_are_counted_by_operation_and_status(api: Api) -> None:
    before = scrape(api)
    assert api.create_task("m1").status_code == 204
    for _ in range(3):
        assert api.get("/task/m1").status_code == 200
    assert api.get("/task/missing").status_code == 404
    assert api.get("/no/such/path").status_code == 404
    after = scrape(api)

    def added(operation: str, status: str) -> float:
        name = "taskvars_requests_total"
        return value(after, name, operation=operation, status=status) - value(
            before, name, operation=operation, status=status
        )

    assert added("createTask", "204") == 1
    assert added("getTask", "200") == 3
    assert added("getTask", "404") == 1
    assert added("none", "404") == 1  # matched no operation
    durations = "taskvars_request_duration_seconds_count"
    assert value(after, durations, operation="getTask") - value(
        before, durations, operation="getTask"
    ) == pytest.approx(4)


def test_binary_bytes_received_and_sent_are_counted_exactly(api: Api) -> None:
    content = bytes(range(256)) * 40
    body = multipart_body(Part("data", content), Part("valueType", "Bytes"))
    api.create_task("m2")
    before = scrape(api)
    response = api.post_raw("/task/m2/variables/doc/data", body, content_type())
    assert response.status_code == 204
    assert api.get("/task/m2/variables/doc/data").content == content
    after = scrape(api)
    received = "taskvars_received_bytes_total"
    sent = "taskvars_sent_bytes_total"
    assert value(after, received, operation=UPLOAD) - value(
        before, received, operation=UPLOAD
    ) == len(body)
    assert value(after, sent, operation=DOWNLOAD) - value(before, sent, operation=DOWNLOAD) == len(
        content
    )


def test_stored_binary_values_are_counted_by_the_database(api: Api) -> None:
    empty = scrape(api)  # every test starts on an empty database
    assert value(empty, "taskvars_database_up") == 1
    assert value(empty, "taskvars_stored_binary_values") == 0
    assert value(empty, "taskvars_stored_binary_bytes") == 0
    api.create_task("m3")
    assert api.upload("/task/m3/variables/a", b"x" * 1000).status_code == 204
    assert api.upload("/task/m3/variables/b", b"y" * 24).status_code == 204
    assert api.upload("/task/m3/variables/a", b"z" * 10).status_code == 204  # replaced
    stored = scrape(api)
    assert value(stored, "taskvars_stored_binary_values") == 2
    assert value(stored, "taskvars_stored_binary_bytes") == 34


def test_database_connections_are_open_and_none_in_use_between_requests(api: Api) -> None:
    api.create_task("m4")
    scraped = scrape(api)
    assert value(scraped, "taskvars_database_connections", state="open") >= 1
    assert value(scraped, "taskvars_database_connections", state="in_use") == 0
    assert value(scraped, "taskvars_uploads_in_progress") == 0


def test_each_commit_is_counted_with_the_writes_it_carried(api: Api) -> None:
    before = scrape(api)
    api.create_task("m5")
    assert api.upload("/task/m5/variables/a", b"x").status_code == 204
    assert api.upload("/task/m5/variables/b", b"y").status_code == 204
    after = scrape(api)

    def added(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # One after another, each write has its commit to itself (sharing: test_group_commit).
    assert added("taskvars_commit_writes_count") == 3
    assert added("taskvars_commit_writes_sum") == 3
    assert added("taskvars_commit_writes_bucket", le="1.0") == 3
