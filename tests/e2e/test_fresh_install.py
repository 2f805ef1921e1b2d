"""A new user's first minutes: a fresh virtual environment with only taskvars (as
``pip install .`` installs it, without the test extra) and pytest."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).parents[2]
INSTALL_SECONDS = 900

USERS_TEST = """
import json
import urllib.request


def test_a_users_test_reaches_the_server(taskvars_server):
    with urllib.request.urlopen(f"{taskvars_server}/engine") as response:
        assert json.load(response) == [{"name": "default"}]
"""


def clean_environment() -> dict[str, str]:
    """Nothing of this test run's Python setup leaks into the fresh environment."""
    return {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
        and not key.startswith("TASKVARS_")
    }


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (PROJECT / "pyproject.toml").exists():
        pytest.skip("needs the source tree (run from a clone)")
    directory = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    installed = subprocess.run(
        [
            *(str(directory / "bin" / "python"), "-m", "pip", "install", "--quiet"),
            *("--disable-pip-version-check", str(PROJECT), "pytest"),
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        env=clean_environment(),
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return directory


def test_the_fresh_environment_lacks_the_test_extra(venv: Path) -> None:
    """What makes the next test mean something: Starlette warns when httpx2 is missing."""
    found = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.util as u; print(u.find_spec('httpx2'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "None"


@pytest.mark.parametrize("arguments", [["--help"], ["serve", "--help"], ["--version"]])
def test_commands_print_no_warning(venv: Path, arguments: list[str]) -> None:
    result = subprocess.run(
        [str(venv / "bin" / "taskvars"), *arguments],
        capture_output=True,
        text=True,
        env=clean_environment(),
    )
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout


def test_the_pytest_plugin_works_with_only_taskvars_and_pytest(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_users_client.py").write_text(USERS_TEST)
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
