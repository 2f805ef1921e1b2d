"""The README's BPMN walkthrough, run as written with bash, curl and jq against a real
server: deploy, start, upload on the first task, complete, and download the file from
history after the process ended."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
WALKTHROUGH = re.compile(
    r"<!-- bpmn-walkthrough: .*? -->\n```sh\n(.*?)```\n<!-- end of bpmn-walkthrough -->",
    re.DOTALL,
)


def test_the_readme_walkthrough_runs_from_deployment_to_download_after_the_end(
    server: Server, tmp_path: Path
) -> None:
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        reason = f"the walkthrough needs {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    found = WALKTHROUGH.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found is not None, "the README has no walkthrough block"
    (tmp_path / "tests" / "bpmn").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "bpmn" / "invoice.bpmn", tmp_path / "tests" / "bpmn")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", found[1]],
        cwd=tmp_path,
        env={**os.environ, "B": server.base_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('"invoice:')
    assert '"name": "Check invoice"' in result.stdout
    assert '"assignee": "anna"' in result.stdout
    assert '"COMPLETED"' in lines
    assert lines[-1] == "the same bytes"
