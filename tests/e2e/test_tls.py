"""HTTPS with --ssl-certfile/--ssl-keyfile, checked by a client that verifies the
certificate; and the warning for passwords over plain HTTP on a reachable address."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from tests.e2e.server import running_server

pytestmark = pytest.mark.e2e

CONTENT = hashlib.sha256(b"tls").digest() * 10_000  # 320 KB: a content file, sent by reading


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(authority: trustme.CA, tmp_path: Path) -> tuple[Path, Path]:
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "server.pem", tmp_path / "server.key"
    certificate.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in certificate.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    certificate.private_key_pem.write_to_path(str(keyfile))
    return certfile, keyfile


@pytest.fixture
def trusting(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


@pytest.fixture
def https_server(
    tmp_path: Path, tls_files: tuple[Path, Path], trusting: ssl.SSLContext
) -> Iterator[str]:
    certfile, keyfile = tls_files
    arguments = ("--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile))
    database_url = f"sqlite:///{tmp_path / 'tls.db'}"
    with running_server(database_url, tmp_path, *arguments, client_ssl=trusting) as server:
        yield server.base_url


def test_a_verifying_client_uploads_and_downloads_over_https(
    https_server: str, trusting: ssl.SSLContext
) -> None:
    assert https_server.startswith("https://")
    with httpx.Client(base_url=https_server, verify=trusting) as client:
        assert client.post("/task/create", json={"id": "t"}).status_code == 204
        uploaded = client.post(
            "/task/t/localVariables/doc/data",
            files={"data": ("doc.bin", CONTENT, "application/octet-stream")},
            data={"valueType": "File"},
        )
        assert uploaded.status_code == 204
        downloaded = client.get("/task/t/localVariables/doc/data")
        assert downloaded.status_code == 200
        assert downloaded.content == CONTENT
        ranged = client.get("/task/t/localVariables/doc/data", headers={"Range": "bytes=100-"})
        assert ranged.status_code == 206
        assert ranged.content == CONTENT[100:]


def test_a_client_that_does_not_trust_the_certificate_is_refused(https_server: str) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{https_server}/health", verify=ssl.create_default_context())


def test_passwords_over_plain_http_on_a_reachable_address_are_warned_about(
    tmp_path: Path,
) -> None:
    from taskvars.cli import banner
    from taskvars.settings import Settings

    auth_file = tmp_path / "users"
    reachable = Settings(host="0.0.0.0", auth_file=str(auth_file))
    assert any("WARNING: --auth-file without TLS on 0.0.0.0" in line for line in banner(reachable))
    for quiet in (
        Settings(host="127.0.0.1", auth_file=str(auth_file)),
        Settings(host="::1", auth_file=str(auth_file)),
        Settings(host="0.0.0.0", auth_file=str(auth_file), ssl_certfile="c", ssl_keyfile="k"),
        Settings(host="0.0.0.0"),
    ):
        assert not any("WARNING" in line for line in banner(quiet))
