"""The benchmark suite still runs end to end (tiny sizes; its numbers are not judged here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import bench.__main__ as suite
from bench.transfer import client_name
from tests.databases import POSTGRES_URL_VARIABLE

pytestmark = pytest.mark.e2e


def test_the_benchmark_suite_runs_and_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postgres_url = os.environ.get(POSTGRES_URL_VARIABLE)
    database_options = ["--postgres-url", postgres_url] if postgres_url else ["--no-postgres"]

    assert suite.main(["--quick", "--output", str(tmp_path), *database_options]) == 0

    output = capsys.readouterr().out
    databases = ["sqlite", "postgresql"] if postgres_url else ["sqlite"]
    for database in databases:
        assert f"File values, one connection from {client_name()}, {database}" in output
        assert f"Variable requests, one connection, one at a time, {database}" in output
        if shutil.which("wrk"):
            assert f"1 KiB Bytes uploads, 8 connections, 1 s, {database}" in output
            assert f"1 KiB Bytes downloads, 8 connections, 1 s, {database}" in output
        else:
            assert f"small uploads on {database}: wrk is not installed" in output
    assert "Targets (one server process unless named):" in output
    report = (tmp_path / "benchmarks.md").read_text()
    assert "## Targets" in report
    assert "2 MiB" in report
    assert "## 1 KiB downloads of one stored value" in report
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")
