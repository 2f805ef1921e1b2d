"""README.md's "Generate a client" section, run as written: each generator's install and
generate commands in an empty directory, against a real server, then the README's
program against the client they generated (the TypeScript ones compiled with the
README's tsconfig.json first). Only the server's address differs: a free port here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import readme
from tests.e2e.server import Server, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.clients]

README_ADDRESS = "http://127.0.0.1:8080/engine-rest"
TASK = "aTaskId"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("readme-clients")
    with running_server(f"sqlite:///{directory / 'clients.db'}", directory) as server:
        yield server


@pytest.fixture
def task(server: Server) -> str:
    """The README's snippets write to ``aTaskId``: a fresh one for each test."""
    httpx.delete(f"{server.base_url}/task/{TASK}")
    created = httpx.post(f"{server.base_url}/task/create", json={"id": TASK})
    assert created.status_code == 204, created.text
    return TASK


def sh(script: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        # npx asks before it installs a package; a reader answers yes at the prompt, a
        # run without a terminal says so here (else npx cancels on a fresh npm cache).
        env={**os.environ, "npm_config_yes": "true", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{script} failed:\n{output[-20000:]}"
    return result.stdout


def stored_value(server: Server) -> dict[str, object]:
    answer = httpx.get(f"{server.base_url}/task/{TASK}/variables/doc")
    assert answer.status_code == 200, answer.text
    value: dict[str, object] = answer.json()
    return value


def test_the_python_client_snippet_runs_against_the_client_its_commands_generate(
    server: Server, task: str, tmp_path: Path
) -> None:
    # A virtual environment of the README's user: the generator and ruff from this one
    # (tox -e clients installs them), the generated client installed by the README's pip.
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True, system_site_packages=True)
    bin_directory = environment / "bin"
    commands = readme.at(readme.snippet("python-client-generate"), README_ADDRESS, server.base_url)
    path = os.pathsep.join([str(bin_directory), str(Path(sys.executable).parent)])
    user = {"PATH": f"{path}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(environment)}
    sh(commands, tmp_path, user)

    program = tmp_path / "upload.py"
    source = readme.snippet("python-client")
    program.write_text(readme.at(source, README_ADDRESS, server.base_url), encoding="utf-8")
    output = sh(f"python {program.name}", tmp_path, user)

    assert output.splitlines() == [
        "204 b'Gr\\xfc\\xdfe'",
        "attachment; filename=\"M_rz.txt\"; filename*=UTF-8''M%C3%A4rz.txt",
    ]
    assert stored_value(server)["valueInfo"] == {
        "filename": "März.txt",
        "mimeType": "text/plain",
        "encoding": "ISO-8859-1",
    }


def npm_or_skip() -> None:
    if shutil.which("npm") is None:
        reason = "the TypeScript snippets need Node.js and npm (.ci/run installs them)"
        if os.environ.get("TASKVARS_REQUIRE_NODE"):
            pytest.fail(reason)
        pytest.skip(reason)


def typescript_project(directory: Path, server: Server) -> Path:
    """The README's project for @hey-api/openapi-ts: npm init, its installs, its
    tsconfig.json, then its generate command."""
    directory.mkdir()
    sh(readme.snippet("heyapi-install"), directory)
    (directory / "tsconfig.json").write_text(readme.snippet("tsconfig"))
    sh(readme.at(readme.snippet("heyapi-generate"), README_ADDRESS, server.base_url), directory)
    return directory


def compile_and_run(project: Path, source: str, name: str) -> str:
    """The program as ``src/NAME.ts``: compiled by tsc with the project's (the README's)
    settings, then run by Node."""
    (project / "src" / f"{name}.ts").write_text(source, encoding="utf-8")
    sh("npx tsc", project)
    return sh(f"node dist/{name}.js", project)


def test_the_hey_api_snippet_compiles_with_the_readme_settings_and_round_trips(
    server: Server, task: str, tmp_path: Path
) -> None:
    npm_or_skip()
    project = typescript_project(tmp_path / "heyapi", server)
    # No address to replace: the client's default is the server it was generated from.
    output = compile_and_run(project, readme.snippet("heyapi-client"), "main")

    assert output.strip() == "Blob { size: 7, type: 'text/plain;charset=utf-8' }"
    assert stored_value(server)["valueInfo"] == {
        "filename": "März.txt",
        "mimeType": "text/plain",
        "encoding": "utf-8",
    }


def test_the_openapi_fetch_snippet_compiles_in_the_same_setup_and_round_trips(
    server: Server, task: str, tmp_path: Path
) -> None:
    npm_or_skip()
    project = typescript_project(tmp_path / "openapi-fetch", server)
    generate = readme.snippet("openapi-fetch-generate")
    sh(readme.at(generate, README_ADDRESS, server.base_url), project)
    program = readme.at(readme.snippet("openapi-fetch-client"), README_ADDRESS, server.base_url)
    output = compile_and_run(project, program, "main")

    assert "<47 72 c3 bc c3 9f 65>, byteLength: 7" in output
    assert stored_value(server)["type"] == "File"
