"""The benchmarks still run (tiny sizes; their numbers are not judged here)."""

from __future__ import annotations

import pytest

from bench import transfer

pytestmark = pytest.mark.e2e


def test_transfer_benchmark_runs_against_taskvars_and_the_sink(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert transfer.main(["--sizes", "1KiB,2MiB"]) == 0
    output = capsys.readouterr().out
    assert "x sink" in output
    assert "2 MiB download" in output
