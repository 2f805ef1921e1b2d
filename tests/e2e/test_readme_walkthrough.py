"""README.md's shell walkthroughs, run as written with bash, curl and jq against real
server processes: the curl tour, the BPMN walkthrough, seeding, authentication, HTTPS,
backups and the Chromium screenshot. Only addresses differ (free ports here), and curl
is told to fail on an error status, which the README's commands print instead."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import bcrypt
import httpx
import psycopg
import pytest

from taskvars.pytest_plugin import ADDRESS_IN_USE, LISTENING, PORT_ATTEMPTS
from tests import readme
from tests.databases import postgres_server_url
from tests.e2e.browser import chromium_path
from tests.e2e.readme_serving import serving_block
from tests.e2e.server import Server, free_port, running_server
from tests.e2e.terminal import Terminal

pytestmark = pytest.mark.e2e

README_BASE = "http://127.0.0.1:8080/engine-rest"
# curl prints an error answer and exits 0; here an error status fails the script.
STRICT_CURL = 'curl() { command curl --fail-with-body --silent --show-error "$@"; }\n'


def need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        reason = f"the README's commands need {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def sh(script: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{script}\nfailed:\n{result.stdout}{result.stderr}"
    return result.stdout


def user_directory(tmp_path: Path) -> Path:
    """A directory where ``.venv/bin/taskvars`` is this test run's taskvars, as in a
    clone after the quick start."""
    bin_directory = tmp_path / ".venv" / "bin"
    bin_directory.mkdir(parents=True)
    (bin_directory / "taskvars").symlink_to(Path(sys.executable).parent / "taskvars")
    return tmp_path


def wait_for(url: str, verify: ssl.SSLContext | bool = True) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url, verify=verify)
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"nothing answered at {url}"
            time.sleep(0.2)


def test_the_curl_tour_uploads_reads_back_and_creates_a_process_instance(
    server: Server, tmp_path: Path
) -> None:
    need("bash", "curl")
    image = secrets.token_bytes(3000)
    (tmp_path / "image.png").write_bytes(image)
    (tmp_path / "myFile.txt").write_text("plain ASCII text\n")
    tour = (
        readme.snippet("curl-create-task")
        + readme.snippet("curl-uploads")
        + readme.snippet("curl-read-back")
        + readme.snippet("curl-process-instance")
    )
    output = sh(STRICT_CURL + readme.at(tour, README_BASE, server.base_url), tmp_path)

    assert (tmp_path / "image-back.png").read_bytes() == image
    assert (tmp_path / "downloads" / "myFile.txt").read_text() == "plain ASCII text\n"
    assert '"type": "Object"' in output
    assert '"objectTypeName": "java.util.ArrayList<java.lang.Object>"' in output
    instance = httpx.get(f"{server.base_url}/process-instance/pi-1/variables").json()
    assert instance["customer"]["value"] == "ACME"
    assert instance["scan"]["type"] == "Bytes"


def test_the_bpmn_walkthrough_runs_from_deployment_to_download_after_the_end(
    server: Server, tmp_path: Path
) -> None:
    need("bash", "curl", "jq")
    (tmp_path / "tests" / "bpmn").mkdir(parents=True)
    shutil.copy(readme.ROOT / "tests" / "bpmn" / "invoice.bpmn", tmp_path / "tests" / "bpmn")
    output = sh(readme.snippet("bpmn-walkthrough"), tmp_path, {"B": server.base_url})

    lines = output.splitlines()
    assert lines[0].startswith('"invoice:')
    assert '"name": "Check invoice"' in output
    assert '"assignee": "anna"' in output
    assert '"COMPLETED"' in lines
    assert lines[-1] == "the same bytes"


def test_the_worker_walkthrough_parks_a_fetch_and_sends_the_declined_card_to_a_person(
    server: Server, tmp_path: Path
) -> None:
    need("bash", "curl", "jq")
    (tmp_path / "tests" / "bpmn").mkdir(parents=True)
    model = readme.ROOT / "tests" / "bpmn" / "external-charge.bpmn"
    shutil.copy(model, tmp_path / "tests" / "bpmn")
    output = sh(readme.snippet("external-task-walkthrough"), tmp_path, {"B": server.base_url})

    assert '"topicName": "payments"' in output
    assert '"workerId": "worker-1"' in output
    assert '"amount": 42' in output
    assert output.splitlines()[-1] == "Call the customer"


def test_the_seeding_example_loads_its_instance_and_task(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(readme.snippet("seed-scenario"))
    database = f"sqlite:///{tmp_path / 'seeded.db'}"
    with running_server(database, tmp_path, "--seed", str(scenario)) as server:
        review = httpx.get(f"{server.base_url}/task/review").json()
        variables = httpx.get(f"{server.base_url}/task/t-1/variables").json()
    assert (review["name"], review["assignee"]) == ("Review", "ann")
    assert variables == {"customer": {"type": "String", "value": "ACME", "valueInfo": {}}}


def test_the_auth_commands_hash_a_typed_password_serve_and_sign_in(tmp_path: Path) -> None:
    need("bash", "curl")
    cwd = user_directory(tmp_path)
    database = f"sqlite:///{tmp_path / 'auth.db'}"
    serving, port = serve_with_a_typed_password(cwd, database, "correct horse")
    try:
        base = f"http://127.0.0.1:{port}/engine-rest"
        assert wait_for(f"{base}/engine").status_code == 401
        created = httpx.post(
            f"{base}/task/create", json={"id": "aTaskId"}, auth=("ann", "correct horse")
        )
        assert created.status_code == 204

        signing_in = Terminal(readme.snippet("auth-curl"), cwd, {**os.environ, "B": base})
        try:
            signing_in.expect("Enter host password for user 'ann':")
            signing_in.type("correct horse")
            assert signing_in.finish() == 0
            assert signing_in.screen.rstrip().endswith("{}")  # the task's variables
        finally:
            signing_in.close()
    finally:
        serving.close()
    user, hashed = (tmp_path / "users").read_text().strip().split(":", 1)
    assert user == "ann"
    assert bcrypt.checkpw(b"correct horse", hashed.encode())


def serve_with_a_typed_password(cwd: Path, database: str, password: str) -> tuple[Terminal, int]:
    """The auth-serve block in a terminal, the password typed at its prompts, on a free
    port; again on another (and with a new users file) if its server lost the port
    (tests/e2e/readme_serving.py says why)."""
    for _ in range(PORT_ATTEMPTS):
        port = free_port()
        (cwd / "users").unlink(missing_ok=True)  # the block appends to it
        environment = {**os.environ, "TASKVARS_PORT": str(port)}
        environment["TASKVARS_DATABASE_URL"] = database
        serving = Terminal(readme.snippet("auth-serve"), cwd, environment)
        for prompt in ("password: ", "again: "):
            serving.expect(prompt)
            serving.type(password)
        if serving.expect_any((LISTENING.decode(), ADDRESS_IN_USE)) == LISTENING.decode():
            return serving, port
        serving.close()
    raise AssertionError(f"every port tried was taken:\n{serving.screen}")


def test_the_https_commands_make_a_certificate_serve_with_it_and_curl_trusts_it(
    tmp_path: Path,
) -> None:
    need("bash", "curl", "openssl")
    cwd = user_directory(tmp_path)
    database = f"sqlite:///{tmp_path / 'tls.db'}"
    environment = {**os.environ, "TASKVARS_DATABASE_URL": database}
    with serving_block(readme.snippet("https-serve"), cwd, environment) as port:
        trusted = ssl.create_default_context(cafile=cwd / "cert.pem")
        wait_for(f"https://localhost:{port}/engine-rest/engine", verify=trusted)
        curl = readme.at(readme.snippet("https-curl"), "localhost:8080", f"localhost:{port}")
        output = sh(STRICT_CURL + curl, cwd)
    assert output.strip() == '[{"name": "default"}]'


def test_the_sqlite_backup_commands_copy_a_served_database_and_serve_the_copy(
    tmp_path: Path,
) -> None:
    need("bash")
    cwd = user_directory(tmp_path)
    content = secrets.token_bytes(2 * 1024 * 1024)  # a content file beside the database
    with running_server(f"sqlite:///{cwd / 'taskvars.db'}", tmp_path) as server:
        httpx.post(f"{server.base_url}/task/create", json={"id": "kept"})
        stored = httpx.post(
            f"{server.base_url}/task/kept/variables/scan/data",
            files={"data": ("scan.bin", content)},
        )
        assert stored.status_code == 204, stored.text
        backup = readme.snippet("backup-sqlite")
        # A backup refuses to overwrite one: a run again starts without it.
        undo = functools.partial(shutil.rmtree, cwd / "backups", ignore_errors=True)
        with serving_block(backup, cwd, os.environ, undo=undo) as port:
            copy = f"http://127.0.0.1:{port}/engine-rest"
            assert wait_for(f"{copy}/health").status_code == 200
            restored = httpx.get(f"{copy}/task/kept/variables/scan/data")
    assert restored.content == content
    assert (cwd / "backups" / "2026-12-01" / "taskvars.db").is_file()


@pytest.mark.postgres
def test_the_postgres_backup_commands_dump_and_restore_a_database(tmp_path: Path) -> None:
    need("bash", "pg_dump", "pg_restore")
    server_url = postgres_server_url()
    name = f"readme_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with running_server(url, tmp_path) as server:
            httpx.post(f"{server.base_url}/task/create", json={"id": "kept"})
            dump, restore = readme.snippet("backup-postgres").strip().splitlines()
            sh(readme.at(dump, "postgresql://user@db/taskvars", url), tmp_path)
            assert httpx.delete(f"{server.base_url}/task/kept").status_code == 204
            sh(readme.at(restore, "postgresql://user@db/taskvars", url), tmp_path)
            assert httpx.get(f"{server.base_url}/task/kept").status_code == 200
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Swagger UI's colour for a GET operation's method badge, which its loading spinner lacks.
GET_BADGE = (97, 175, 254)


def test_the_screenshot_command_shows_the_operations_not_the_loading_spinner(
    server: Server, tmp_path: Path
) -> None:
    from PIL import Image

    command = readme.at(readme.snippet("screenshot"), README_BASE, server.base_url)
    # The binary found for the browser tests; as root Chromium needs --no-sandbox.
    sandbox = " --no-sandbox" if os.geteuid() == 0 else ""
    command = readme.at(command, "chromium ", f"{chromium_path()}{sandbox} ")
    sh(command, tmp_path)

    with Image.open(tmp_path / "swagger-ui.png") as picture:
        colours = picture.convert("RGB").getcolors(maxcolors=1 << 24) or []
    badge_pixels = sum(count for count, colour in colours if colour == GET_BADGE)
    # Each GET operation in view has a badge of about 80 x 35 pixels; the spinner, none.
    assert badge_pixels > 2000


def test_the_messages_walkthrough_moves_the_paid_order_on(server: Server, tmp_path: Path) -> None:
    need("bash", "curl", "jq")
    (tmp_path / "tests" / "bpmn").mkdir(parents=True)
    shutil.copy(readme.ROOT / "tests" / "bpmn" / "message-waits.bpmn", tmp_path / "tests" / "bpmn")
    output = sh(readme.snippet("messages-walkthrough"), tmp_path, {"B": server.base_url})

    assert output.splitlines() == ["Execution", "AwaitPayment", "Shipped"]
