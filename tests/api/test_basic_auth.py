"""Optional HTTP Basic authentication: with an auth file, nothing is reachable without
valid credentials, and everything works with them."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest

from taskvars.app import create_app
from taskvars.resources import load_spec
from taskvars.settings import Settings
from tests.api_client import Api
from tests.contract.test_spec import operations
from tests.multipart_bodies import Part, content_type, multipart_body

BASE = "/engine-rest"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


ANN = basic("ann", "s3cret pass")


@pytest.fixture(scope="module")
def directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("auth")


@pytest.fixture(scope="module")
def auth_file(directory: Path) -> Path:
    cheap = bcrypt.gensalt(rounds=4)  # fast for tests; real files use the default cost
    ann = bcrypt.hashpw(b"s3cret pass", cheap).decode()
    # htpasswd -B writes $2y$ hashes; they are read as well.
    bob = "$2y$" + bcrypt.hashpw(b"other", cheap).decode()[4:]
    path = directory / "users"
    path.write_text(f"# who may use this server\nann:{ann}\n\nbob:{bob}\n")
    return path


@pytest.fixture(scope="module")
def client(directory: Path, auth_file: Path) -> Iterator[object]:
    """One server for the module: the requests it refuses change nothing."""
    settings = Settings(database_url=f"sqlite:///{directory / 'db'}", auth_file=str(auth_file))
    with create_app(settings, validate_responses=True).test_client() as test_client:
        yield test_client


def every_request() -> list[tuple[str, str]]:
    """(method, url) for every operation of the spec, with made-up path parameters."""
    return [
        (method.upper(), BASE + re.sub(r"\{[^}]+\}", "x", path))
        for path, method, _ in operations(load_spec())
    ] + [
        ("GET", BASE + "/openapi.json"),
        ("GET", BASE + "/openapi.yaml"),
        ("GET", BASE + "/no/such/path"),
        ("GET", "/"),
        ("GET", BASE + "/"),
        ("GET", BASE + "/docs/"),
        ("GET", BASE + "/docs/swagger-ui.css"),
        ("GET", "/tasklist/"),
        ("GET", "/tasklist/app.js"),
        ("GET", "/tasklist/no-such-file.js"),
    ]


@pytest.mark.parametrize(("method", "url"), every_request())
@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("ann", "wrong"),
        basic("nobody", "s3cret pass"),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no colon").decode()},
    ],
    ids=["none", "wrong-password", "unknown-user", "bearer", "garbage", "no-colon"],
)
def test_no_endpoint_is_reachable_without_valid_credentials(
    client, method: str, url: str, headers: dict[str, str]
) -> None:
    response = client.request(method, url, headers=headers, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="taskvars"'
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["type"] == "NotAuthorizedException"
    assert body["code"] is None
    assert body["message"]


def test_a_refused_request_writes_nothing(client) -> None:
    response = client.post(f"{BASE}/task/create", json={"id": "t0"}, headers=basic("ann", "no"))
    assert response.status_code == 401
    assert client.get(f"{BASE}/task/t0", headers=ANN).status_code == 404


def test_valid_credentials_reach_every_operation_they_would_without_authentication(
    client,
) -> None:
    api = Api(client)
    assert client.post(f"{BASE}/task/create", json={"id": "t1"}, headers=ANN).status_code == 204
    upload = client.post(
        f"{BASE}/task/t1/variables/doc/data",
        content=multipart_body(Part("data", b"bytes")),
        headers={"Content-Type": content_type(), **ANN},
    )
    assert upload.status_code == 204
    assert client.get(f"{BASE}/task/t1/variables/doc/data", headers=ANN).content == b"bytes"
    assert client.get(f"{BASE}/health", headers=basic("bob", "other")).status_code == 200
    assert client.get(f"{BASE}/docs/", headers=ANN).status_code == 200
    assert api.get("/health").status_code == 401  # the same client, without the header
