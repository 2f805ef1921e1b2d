"""Clients generated from the spec a running server serves, by three generators with
default settings, each running a test program written against it (``clients/``).

A generator that stops or warns fails here, as does any check of its program: create a
task, upload and download Bytes and File values byte for byte, list them, PUT and GET a
value of each JSON type, and read an error as an ``ExceptionDto``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.e2e.server import Server, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.clients]

CLIENTS = Path(__file__).resolve().parents[2] / "clients"
TYPESCRIPT = CLIENTS / "typescript"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own, on SQLite: the clients test the contract, not the database."""
    directory = tmp_path_factory.mktemp("clients")
    with running_server(f"sqlite:///{directory / 'clients.db'}", directory) as server:
        yield server


def _module(path: Path) -> ModuleType:
    """A module of ``clients/``, which is no package of this project's."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output[-20000:]}"
    return output


def test_openapi_python_client_round_trip(server: Server, tmp_path: Path) -> None:
    generate = _module(CLIENTS / "python" / "generate.py").generate
    package_root = generate(f"{server.base_url}/openapi.json", tmp_path / "generated")
    run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(CLIENTS / "python"),
            "-c",
            os.devnull,
            str(CLIENTS / "python" / "test_generated_client.py"),
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(package_root), "TASKVARS_URL": server.base_url},
    )


def test_typescript_clients_round_trip(server: Server) -> None:
    """@hey-api/openapi-ts (its fetch client, no base URL given: the served spec's
    first server is the default) and openapi-typescript with openapi-fetch, type-checked
    strictly, then run by Node's own test runner."""
    if shutil.which("npm") is None:
        reason = "the TypeScript clients need Node.js and npm (.ci/run installs them)"
        if os.environ.get("TASKVARS_REQUIRE_NODE"):
            pytest.fail(reason)  # CI must never skip them silently
        pytest.skip(reason)
    environment = {
        "TASKVARS_SPEC_URL": f"{server.base_url}/openapi.json",
        "TASKVARS_URL": server.base_url,
    }
    run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TYPESCRIPT)
    for script in ("generate", "typecheck", "build", "test"):
        run(["npm", "run", "--silent", script], cwd=TYPESCRIPT, env=environment)
