"""bench.transfer's CPU columns: the server's CPU time over one transfer, read from /proc."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest

from bench.transfer import CpuMark

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_cpu_spent_on_the_main_thread_counts_for_the_process_and_its_loop_thread() -> None:
    mark = CpuMark.of(os.getpid())
    digest = hashlib.sha256()
    block = b"x" * (1024 * 1024)
    for _ in range(200):  # some 0.1 s of CPU, on this (the main) thread
        digest.update(block)
    process_ms, loop_ms = mark.since(os.getpid())
    assert loop_ms >= 50
    assert process_ms >= 50
