"""Every error, including connexion's own, is Camunda's error JSON."""

from __future__ import annotations

import anyio.to_thread
import httpx
import pytest

from taskvars.app import create_app
from taskvars.settings import Settings
from tests.api_client import Api


def assert_camunda_error(response, status: int, type_: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"type", "message", "code"}
    assert body["type"] == type_
    assert "Traceback" not in body["message"]
    return body


def test_unknown_path_is_a_json_404(api: Api) -> None:
    assert_camunda_error(api.get("/no/such/path"), 404, "NotFoundException")


def test_wrong_method_is_a_json_405_with_allow(api: Api) -> None:
    response = api.client.delete(api.url("/task/t1/variables/x/data"))
    assert_camunda_error(response, 405, "NotAllowedException")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_wrong_media_type_is_a_json_415(api: Api) -> None:
    response = api.post_raw("/task/t1/variables/x/data", b"{}", "application/json")
    assert_camunda_error(response, 415, "NotSupportedException")


def test_spec_validation_errors_are_invalid_request_exceptions(api: Api) -> None:
    response = api.client.post(api.url("/task/create"), json={"priority": "high"})
    body = assert_camunda_error(response, 400, "InvalidRequestException")
    assert body["code"] is None
    assert "high" in body["message"]


def test_malformed_json_is_an_invalid_request(api: Api) -> None:
    response = api.post_raw("/task/create", b'{"id": ', "application/json")
    assert_camunda_error(response, 400, "InvalidRequestException")


def test_unknown_query_parameters_are_ignored_as_camunda_ignores_them(api: Api) -> None:
    """Refused only with --strict-params (tests/api/test_unknown_parameters.py)."""
    api.create_task("t1")
    response = api.get("/task/t1/variables", nonsense="1")
    assert response.status_code == 200
    assert response.json() == {}


def test_boolean_query_parameters_accept_any_letter_case(api: Api) -> None:
    api.create_task("t1")
    for value in ("False", "FALSE", "true", "True"):
        assert api.get("/task/t1/variables", deserializeValues=value).status_code == 200


def test_missing_task_is_a_404_for_get_task(api: Api) -> None:
    body = assert_camunda_error(api.get("/task/none"), 404, "InvalidRequestException")
    assert body["message"] == "No matching task with id none"


def test_head_is_answered_wherever_get_is(api: Api) -> None:
    api.create_task("t1")
    api.upload("/task/t1/variables/x", b"abc")
    response = api.client.head(api.url("/task/t1/variables/x/data"))
    assert response.status_code == 200
    assert response.headers["content-length"] == "3"
    assert response.content == b""


def test_chunked_json_body_is_read(api: Api) -> None:
    body = b'{"id": "chunked", "name": "Sent in pieces"}'
    response = api.post_raw(
        "/task/create", (body[i : i + 5] for i in range(0, len(body), 5)), "application/json"
    )
    assert response.status_code == 204, response.text
    assert api.get("/task/chunked").json()["name"] == "Sent in pieces"


def test_json_body_that_is_not_utf8_is_an_invalid_request(api: Api) -> None:
    response = api.post_raw("/task/create", b'{"id": "\xac\xff"}', "application/json")
    body = assert_camunda_error(response, 400, "InvalidRequestException")
    assert body["message"].startswith("The body is not valid utf-8")


NUL = "Strings cannot contain the character U+0000"


def test_nul_in_a_json_string_is_refused_on_every_database(api: Api) -> None:
    response = api.client.post(api.url("/task/create"), json={"id": "t", "name": "a\x00b"})
    assert_camunda_error(response, 400, "InvalidRequestException")
    assert response.json()["message"] == NUL
    assert api.get("/task/t").status_code == 404


def test_nul_in_a_json_key_is_refused(api: Api) -> None:
    api.create_task("t")
    response = api.client.post(
        api.url("/task/t/variables"), json={"modifications": {"a\x00": {"value": 1}}}
    )
    assert response.json()["message"] == NUL


def test_nul_in_a_query_parameter_is_refused(api: Api) -> None:
    response = api.client.get(api.url("/task") + "?assignee=a%00b")
    assert_camunda_error(response, 400, "InvalidRequestException")
    assert response.json()["message"] == NUL


def test_nul_in_a_multipart_text_part_is_refused(api: Api) -> None:
    from tests.multipart_bodies import Part

    api.create_task("t")
    response = api.post_parts(
        "/task/t/variables/x/data",
        Part("data", "[]", content_type="application/json"),
        Part("type", "java.util.List\x00"),
    )
    assert response.status_code == 400
    assert response.json()["message"] == NUL


@pytest.mark.anyio
async def test_an_error_answer_needs_no_worker_thread(settings: Settings) -> None:
    """A refused body is answered on the event loop: while every worker thread is taken
    (requests waiting for the database, say), a client's 400 does not queue behind them."""
    app = create_app(settings)
    limiter = anyio.to_thread.current_default_thread_limiter()
    borrowers = [object() for _ in range(int(limiter.available_tokens))]
    for borrower in borrowers:
        await limiter.acquire_on_behalf_of(borrower)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            # Bounds a hang, not a speed: without a free thread the answer never comes.
            with anyio.fail_after(30):
                response = await client.post(
                    "/engine-rest/task", json={"orQueries": [{"priority": [None, None]}]}
                )
    finally:
        for borrower in borrowers:
            limiter.release_on_behalf_of(borrower)
    body = assert_camunda_error(response, 400, "InvalidRequestException")
    assert "priority" in body["message"]
