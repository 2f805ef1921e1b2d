"""``serving`` chooses a free port, then the server binds it: meanwhile another process
may take it (another test's server, under pytest-xdist). What answers on that port is
then not our server; ``serving`` must not hand it to the test, and starts ours again on
another port. So must the README tests' ``serving_block``."""

from __future__ import annotations

import http.server
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from taskvars import pytest_plugin
from taskvars.pytest_plugin import serving
from tests.e2e import readme_serving
from tests.e2e.readme_serving import serving_block

pytestmark = pytest.mark.e2e


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Another server, answering every GET as a healthy taskvars would."""

    def do_GET(self) -> None:
        body = b'{"status": "UP", "impostor": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def impostor() -> Iterator[int]:
    """The port of another HTTP server, answering /health with 200."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_whose_port_another_took_first_is_started_on_another_port(
    impostor: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race lost on purpose: the first port chosen is the impostor's.
    choices = iter([impostor])
    really_free = pytest_plugin.free_port
    monkeypatch.setattr(pytest_plugin, "free_port", lambda: next(choices, None) or really_free())

    with serving(f"sqlite:///{tmp_path / 'taskvars.db'}", tmp_path) as server:
        assert f":{impostor}/" not in server.base_url
        version = httpx.get(f"{server.base_url}/version")
        assert version.status_code == 200
        assert "version" in version.json()
        assert server.process.poll() is None

    lost = (tmp_path / f"server-{impostor}.log").read_text()
    assert "address already in use" in lost


def test_a_readme_block_whose_port_another_took_first_is_run_again_on_another_port(
    impostor: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    choices = iter([impostor])
    really_free = readme_serving.free_port
    monkeypatch.setattr(readme_serving, "free_port", lambda: next(choices, None) or really_free())
    # As the backup block: it makes something first, which must not exist when it runs.
    serve = f"{sys.executable} -m taskvars serve --database-url sqlite:///taskvars.db"
    block = f"mkdir made\n{serve}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TASKVARS_")}
    undo = (tmp_path / "made").rmdir

    with serving_block(block, tmp_path, environment, undo=undo) as port:
        assert port != impostor
        health = httpx.get(f"http://127.0.0.1:{port}/engine-rest/health")
        assert health.json() == {"status": "UP", "database": "sqlite"}

    lost = (tmp_path / f"serve-{impostor}.log").read_text()
    assert "address already in use" in lost
