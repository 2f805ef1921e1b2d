"""One request log line per request, with its operation, path template, status, bytes,
duration and request id; the id is the client's X-Request-Id or a new one, echoed."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part, content_type, multipart_body

REQUEST_LOG = "taskvars.requests"
Logged = Callable[[], list[logging.LogRecord]]


@pytest.fixture
def request_log(caplog: pytest.LogCaptureFixture) -> Logged:
    """The request log lines of the test so far."""
    caplog.set_level(logging.INFO, logger=REQUEST_LOG)
    return lambda: [record for record in caplog.records if record.name == REQUEST_LOG]


def test_an_upload_is_logged_once_with_its_operation_template_status_and_bytes(
    api: Api, request_log: Logged
) -> None:
    api.create_task("log1")
    already = len(request_log())
    body = multipart_body(Part("data", b"secret content " * 100), Part("valueType", "Bytes"))
    response = api.post_raw("/task/log1/variables/doc/data", body, content_type())
    assert response.status_code == 204
    [record] = request_log()[already:]
    assert record.levelno == logging.INFO
    fields = record.__dict__
    assert fields["operation_id"] == "setBinaryTaskVariable"
    assert fields["path_template"] == "/engine-rest/task/{id}/variables/{varName}/data"
    assert fields["path"] == "/engine-rest/task/log1/variables/doc/data"
    assert fields["method"] == "POST"
    assert fields["status"] == 204
    assert fields["bytes_in"] == len(body)
    assert fields["bytes_out"] == 0
    assert fields["duration_ms"] >= 0
    assert fields["request_id"] == response.headers["x-request-id"]
    assert re.fullmatch(
        r"setBinaryTaskVariable POST /engine-rest/task/\{id\}/variables/\{varName\}/data 204 "
        r"in=\d+ out=0 \d+\.\dms id=[0-9a-f]{32}",
        record.getMessage(),
    )
    assert "secret content" not in record.getMessage()


def test_the_clients_request_id_is_used_and_echoed(api: Api) -> None:
    response = api.client.get(api.url("/task/nope"), headers={"X-Request-Id": "client-7f3a"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "client-7f3a"


@pytest.mark.parametrize("sent", [None, b"", b"has space", b"x" * 129, "nön".encode("latin-1")])
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(
    api: Api, sent: bytes | None
) -> None:
    headers = {} if sent is None else {"X-Request-Id": sent}
    first = api.client.get(api.url("/health"), headers=headers).headers["x-request-id"]
    second = api.client.get(api.url("/health"), headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_the_error_log_line_carries_the_same_request_id(
    api: Api, caplog: pytest.LogCaptureFixture, request_log: Logged
) -> None:
    # INFO, not WARNING: caplog's handler takes the level last set, and request lines are INFO
    caplog.set_level(logging.INFO, logger="taskvars.errors")
    response = api.client.get(api.url("/task/nope"), headers={"X-Request-Id": "trace-me"})
    [error] = [record for record in caplog.records if record.name == "taskvars.errors"]
    [request] = request_log()
    assert error.__dict__["request_id"] == request.__dict__["request_id"] == "trace-me"
    assert response.headers["x-request-id"] == "trace-me"


def test_a_request_refused_before_routing_is_logged_without_an_operation(
    api: Api, request_log: Logged
) -> None:
    assert api.get("/no/such/path").status_code == 404
    [record] = request_log()
    assert record.__dict__["operation_id"] is None
    assert record.__dict__["path_template"] is None
    assert record.getMessage().startswith("- GET /engine-rest/no/such/path 404 ")
