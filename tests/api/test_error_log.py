"""Each 4xx and 5xx is logged once, at warning level, with its operationId and message."""

from __future__ import annotations

import logging

import pytest

from tests.api_client import Api


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "taskvars.errors" and record.levelno == logging.WARNING
    ]


def test_an_error_answer_is_logged_once_with_its_operation_and_message(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="taskvars.errors")
    assert api.get("/task/missing").status_code == 404
    assert api.get("/task", maxResults="-1").status_code == 400
    assert api.post_raw("/task/t/variables/v/data", b"", "multipart/form-data").status_code == 400
    logged = warnings_logged(caplog)
    assert logged[0] == (
        "getTask GET /engine-rest/task/missing -> 404 "
        "InvalidRequestException: No matching task with id missing"
    )
    assert logged[1].startswith("getTasks GET /engine-rest/task -> 400 InvalidRequestException: ")
    assert logged[2] == (
        "setBinaryTaskVariable POST /engine-rest/task/t/variables/v/data -> 400 "
        "RestException: multipart/form-data cannot be processed: "
        "the Content-Type header has no boundary"
    )
    assert len(logged) == 3


def test_a_success_and_an_upload_are_not_logged_and_content_never_is(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="taskvars.errors")
    api.create_task("t1")
    assert api.upload("/task/t1/variables/secret", b"top secret bytes").status_code == 204
    assert warnings_logged(caplog) == []
    assert (
        api.upload("/task/t1/variables/secret", b"top secret bytes", value_type="Nope").status_code
        == 400
    )
    assert len(warnings_logged(caplog)) == 1
    assert "top secret" not in caplog.text
