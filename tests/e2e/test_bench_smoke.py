"""The memory benchmark still runs (tiny size; its numbers are not judged here)."""

from __future__ import annotations

import pytest

from bench import memory, transfer

pytestmark = pytest.mark.e2e


def test_memory_benchmark_runs_and_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    assert memory.main(["--size-mib", "3", "--max-growth-mib", "1024"]) == 0
    output = capsys.readouterr().out
    assert "upload" in output
    assert "download" in output


def test_transfer_benchmark_runs_against_taskvars_and_the_sink(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert transfer.main(["--sizes", "1KiB,2MiB"]) == 0
    output = capsys.readouterr().out
    assert "x sink" in output
    assert "2 MiB download" in output
