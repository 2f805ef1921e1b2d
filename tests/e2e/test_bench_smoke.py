"""The benchmark suite and the soak run still run end to end (tiny sizes, seconds; their
numbers are not judged here, but the soak's correctness targets are)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

import bench.__main__ as suite
from bench import store_floor, transfer
from bench.external_tasks import QUICK_TASKS
from bench.jobs import QUICK_JOBS
from bench.report import KEPT_MARKER, with_soak_section
from bench.soak import MIX
from bench.transfer import client_name
from tests.databases import POSTGRES_URL_VARIABLE, postgres_server_url

pytestmark = pytest.mark.e2e


def test_the_benchmark_suite_runs_and_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postgres_url = os.environ.get(POSTGRES_URL_VARIABLE)
    database_options = ["--postgres-url", postgres_url] if postgres_url else ["--no-postgres"]
    (tmp_path / "soak.md").write_text("# Soak run\n\nfigures of the last soak run\n")

    assert suite.main(["--quick", "--output", str(tmp_path), *database_options]) == 0

    output = capsys.readouterr().out
    databases = ["sqlite", "postgresql"] if postgres_url else ["sqlite"]
    for database in databases:
        assert f"File values, one connection from {client_name()}, {database}" in output
        assert f"Variable requests, one connection, one at a time, {database}" in output
        assert f"Two-task process, 8 connections, 1 s, {database} (errors: 0)" in output
        assert (
            "External tasks, fetchAndLock + complete, long polling (10 s), "
            f"{QUICK_TASKS} tasks, {database} (errors: 0)"
        ) in output
        assert f"Timer jobs, {database}: {QUICK_JOBS} timers due at one moment" in output
        assert f"SQL per operation, one at a time, mean of 3 rounds, {database}" in output
        if shutil.which("wrk"):
            for direction in ("uploads", "downloads"):
                heading = f"1 KiB Bytes {direction}, 8 connections, 1 s, one round, {database}"
                assert heading in output
        else:
            assert f"small uploads on {database}: wrk is not installed" in output
    assert "Targets (one server process unless named):" in output
    if shutil.which("curl"):
        assert "Upload of 2 MiB stored and synced, 1 rounds, ms" in output
    else:
        assert "the store floor: bench.store_floor uploads through curl" in output
    assert "One instance of a two-element loop, 45 completes, sqlite" in output
    report = (tmp_path / "benchmarks.md").read_text()
    assert "## Targets" in report
    assert "Issue 26 (this round):" in report
    assert "- sqlite, two-task process >= 120 steps/s at 8 connections, p99 reported: " in report
    assert (
        "- sqlite, task count over 100,000 tasks, repeated on unchanged data (answered from "
        "the count kept), <= 3x the single-task read: "
    ) in report
    assert "; right after a write, counted anew: " in report
    assert "## SQL per operation" in report
    if shutil.which("curl"):
        floor = next(line for line in report.splitlines() if "bench.store_floor" in line)
        assert floor.startswith("  - the floor of that upload here, in the same run")
        assert re.search(r"2 MiB: minimal server [\d.]+x \(by splice [\d.]+x\), taskvars", floor)
    # Counted on the real server: every operation asks the database something.
    statements = [
        line for line in report.splitlines() if line.startswith("| 1 KiB upload, new variable |")
    ]
    assert len(statements) == 1
    counts = [float(cell) for cell in statements[0].strip("|").split("|")[1:]]
    assert len(counts) == (3 if postgres_url else 1)  # sqlite; postgresql and its round trips
    assert all(count > 0 for count in counts)
    assert "## Soak run\n\nfigures of the last soak run" in report  # kept from soak.md
    assert "2 MiB" in report
    assert "## A two-task process, 8 connections" in report
    assert "| complete second task |" in report
    for database in databases:
        assert f"## External tasks, 1, 4 and 16 workers, {database}" in report
    assert "| 16 | " in report
    assert "| two-task process, 8 connections (engine, steps per second, same run) |" in report
    assert "## One instance looped 45 times, sqlite" in report
    assert f"## Timer jobs, sqlite: {QUICK_JOBS} timers due at one moment" in report
    assert "| 1 server process | " in report
    if postgres_url:
        assert "| 2 server processes | " in report
    assert "- sqlite, one instance looped 45 times: last completes' median" in report
    if shutil.which("wrk"):
        assert "## 1 KiB downloads of one stored value" in report
        assert "| server CPU ms/request |" in report
        assert "- sqlite, 1 KiB uploads >= 1.5x the FastAPI reference's requests/s" in report
        assert "- sqlite, 1 KiB downloads >= 2.0x the FastAPI reference's requests/s" in report
    assert (tmp_path / "benchmarks.png").read_bytes().startswith(b"\x89PNG")


def test_the_soak_run_serves_without_error_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    benchmarks = tmp_path / "benchmarks.md"
    benchmarks.write_text(
        f"# Benchmarks\n\nthe full run's figures\n\n{KEPT_MARKER}\n\nwritten by hand\n"
    )

    # 6 s, SQLite; exits 1 on any request error or content file too many or too few.
    assert suite.main(["soak", "--minutes", "0.1", "--output", str(tmp_path)]) == 0

    assert "# Soak run" in capsys.readouterr().out
    document = (tmp_path / "soak.md").read_text()
    for heading in ("Targets", "Server resources", "Requests:", "Errors", "Per minute"):
        assert f"\n## {heading}" in document
    assert "- no error: 0 errors in" in document
    assert "\n## Errors\n\nNone.\n" in document
    for operation in MIX:
        assert f"| {operation} |" in document
    assert "content directory equal to the live values' bytes" in document
    combined = benchmarks.read_text()
    assert "the full run's figures" in combined
    assert combined.index("## Soak run") < combined.index(KEPT_MARKER)
    assert combined.endswith("written by hand\n")
    assert "### Targets" in combined
    # A later soak run replaces its section rather than adding another.
    assert with_soak_section(combined, document) == combined


@pytest.mark.postgres
def test_the_transfer_benchmark_runs_twice_on_one_postgresql_database(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each run gets a schema of its own: a second run does not find the first one's task
    (it stopped with a 409 before)."""
    server_url = postgres_server_url()
    for _ in range(2):
        assert transfer.main(["--sizes", "1KiB", "--database-url", server_url]) == 0
    assert capsys.readouterr().out.count("1 KiB upload") == 2


def test_the_store_floor_benchmark_runs_and_prints_each_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("bench.store_floor uploads through curl, which is not installed")
    assert store_floor.main(["--size", "1MiB", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Upload of 1 MiB stored and synced, 1 rounds, ms"
    assert [line.split()[0] for line in lines[2:]] == ["sink", "copy", "splice", "taskvars", "disk"]
