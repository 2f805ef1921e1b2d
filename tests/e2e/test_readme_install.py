"""README.md's install commands, run as written from a copy of the checkout: the quick
start's serve command (a fresh virtual environment, ``pip install .``, ``taskvars
serve``) and the pytest plugin's install line in a project of the user's own, beside
the clone, followed by the README's example test."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests import readme
from tests.e2e.readme_serving import serving_block
from tests.e2e.test_fresh_install import INSTALL_SECONDS, clean_environment

pytestmark = pytest.mark.e2e


def fresh_clone(directory: Path) -> Path:
    """What a clone of this checkout holds (tracked and new files, as they are now, not
    what is ignored: no .venv, no .tox) in ``directory``/taskvars."""
    if not (readme.ROOT / ".git").exists():
        pytest.skip("needs a git checkout (run from a clone)")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=readme.ROOT,
        capture_output=True,
        check=True,
    )
    clone = directory / "taskvars"
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = readme.ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    return clone


def test_the_quick_start_serves_from_a_fresh_clone_with_data_in_the_current_directory(
    tmp_path: Path,
) -> None:
    clone = fresh_clone(tmp_path)
    command = readme.snippet("serve")
    environment = clean_environment()
    with serving_block(command, clone, environment, startup_seconds=INSTALL_SECONDS) as port:
        health = httpx.get(f"http://127.0.0.1:{port}/engine-rest/health")
        assert health.json() == {"status": "UP", "database": "sqlite"}
        assert (clone / "taskvars.db").is_file()


def test_the_plugin_install_line_installs_from_the_clone_and_the_example_passes(
    tmp_path: Path,
) -> None:
    fresh_clone(tmp_path)  # ../taskvars, seen from the project
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_invoice_review.py").write_text(readme.snippet("plugin-example"))
    environment = project / ".venv"
    subprocess.run(["python3", "-m", "venv", str(environment)], check=True)
    user = clean_environment()
    user["VIRTUAL_ENV"] = str(environment)  # as `source .venv/bin/activate` sets them
    user["PATH"] = f"{environment / 'bin'}{os.pathsep}{user['PATH']}"

    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme.snippet("plugin-install")],
        cwd=project,
        env=user,
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
    )

    assert result.returncode == 0, (result.stdout + result.stderr)[-10000:]
    assert "1 passed" in result.stdout
    installed = subprocess.run(
        [str(environment / "bin" / "pip"), "show", "taskvars"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Name: taskvars" in installed.stdout
