"""Over real HTTP, against a real server process."""

from __future__ import annotations

import hashlib
import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api_client import Api
from tests.e2e.server import Server, running_server
from tests.multipart_bodies import Part, content_type, in_pieces, multipart_body

pytestmark = pytest.mark.e2e


def test_the_three_documented_examples_round_trip(remote: Api) -> None:
    remote.create_task("aTaskId")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    assert (
        remote.upload(
            "/task/aTaskId/variables/img",
            png,
            filename="image.png",
            content_type_header="image/png",
        ).status_code
        == 204
    )
    assert (
        remote.post_parts(
            "/task/aTaskId/variables/obj/data",
            Part("data", '["foo", "bar"]', content_type="application/json"),
            Part("type", "java.util.ArrayList<java.lang.Object>", content_type="text/plain"),
        ).status_code
        == 204
    )
    assert (
        remote.upload(
            "/task/aTaskId/variables/file",
            b"My text file content",
            value_type="File",
            filename="myFile.txt",
            content_type_header="text/plain; charset=US-ASCII",
        ).status_code
        == 204
    )

    assert remote.get("/task/aTaskId/variables/img/data").content == png
    assert remote.get("/task/aTaskId/variables/obj").json()["value"] == ["foo", "bar"]
    download = remote.get("/task/aTaskId/variables/file/data")
    assert download.content == b"My text file content"
    assert download.headers["content-type"] == "text/plain; charset=US-ASCII"


def test_chunked_upload_of_several_megabytes(remote: Api) -> None:
    remote.create_task("t")
    payload = hashlib.sha256(b"x").digest() * (5 * 1024 * 1024 // 32)
    body = multipart_body(Part("data", payload, filename="big.bin"), Part("valueType", "File"))
    response = remote.post_raw(
        "/task/t/variables/big/data", in_pieces(body, 64 * 1024), content_type()
    )
    assert response.status_code == 204, response.text
    assert hashlib.sha256(remote.get("/task/t/variables/big/data").content).digest() == (
        hashlib.sha256(payload).digest()
    )


def test_client_that_disconnects_mid_upload_stores_nothing_and_leaves_the_server_healthy(
    server: Server, remote: Api
) -> None:
    remote.create_task("t")
    body = multipart_body(Part("data", b"z" * 1_000_000))
    address = urlsplit(server.base_url)
    with socket.create_connection((address.hostname, address.port)) as connection:
        head = (
            f"POST {address.path}/task/t/variables/x/data HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\nContent-Type: {content_type()}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        connection.sendall(head + body[: len(body) // 2])
    assert remote.get("/task/t/variables/x").status_code == 404
    assert remote.upload("/task/t/variables/y", b"fine").status_code == 204


def test_serve_with_seed_loads_the_scenario_first(db_url: str, tmp_path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("tasks:\n  - {id: seeded, name: From the seed file}\n")
    with running_server(db_url, tmp_path, "--seed", str(scenario)) as server:
        response = httpx.get(f"{server.base_url}/task/seeded")
    assert response.status_code == 200
    assert response.json()["name"] == "From the seed file"


def test_serve_starts_by_saying_where_the_api_and_the_data_are(tmp_path) -> None:
    database = tmp_path / "tasks.db"
    with running_server(f"sqlite:///{database}", tmp_path) as server:
        assert httpx.get(f"{server.base_url}/openapi.json").status_code == 200
        log = server.log.read_text()
    assert f"Camunda's REST API at {server.base_url}\n" in log
    assert f"  docs: {server.base_url}/docs/ (Swagger UI)\n" in log
    assert f"  spec: {server.base_url}/openapi.json" in log
    assert f"  database: sqlite:///{database}\n" in log
    assert f"  content files: {database}-content\n" in log
    assert "Warning" not in log


def test_with_the_json_log_format_every_line_is_a_json_object(tmp_path) -> None:
    with running_server(
        f"sqlite:///{tmp_path / 'db'}", tmp_path, env={"TASKVARS_LOG_FORMAT": "json"}
    ) as server:
        missing = httpx.get(f"{server.base_url}/task/none", headers={"X-Request-Id": "j-1"})
        assert missing.headers["x-request-id"] == "j-1"
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line]
    loggers = {line["logger"] for line in lines}
    assert {"taskvars.banner", "uvicorn.error", "taskvars.errors", "taskvars.requests"} <= loggers
    [request] = [
        line for line in lines if line["logger"] == "taskvars.requests" and line["status"] == 404
    ]
    assert request["request_id"] == "j-1"
    assert request["operation_id"] == "getTask"
    assert request["path_template"] == "/engine-rest/task/{id}"
    assert request["bytes_in"] == 0
    assert request["bytes_out"] == len(missing.content)
    [error] = [line for line in lines if line["logger"] == "taskvars.errors"]
    assert error["level"] == "WARNING"
    assert error["request_id"] == "j-1"
