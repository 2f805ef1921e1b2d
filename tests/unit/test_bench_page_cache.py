"""bench.page_cache: the just-freed memory every measured upload and reference starts on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench.page_cache import PAGES_PER_BYTE_WRITTEN, supply_warm_pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def bytes_written_by_this_process() -> int:
    """The kernel's count of bytes this process passed to write calls (``wchar``)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise RuntimeError("no wchar in /proc/self/io")


def test_the_warm_page_supply_writes_its_amount_and_leaves_no_file(tmp_path: Path) -> None:
    size = 3 * 1024 * 1024 + 5
    before = bytes_written_by_this_process()
    supply_warm_pages(tmp_path, size)
    written = bytes_written_by_this_process() - before
    assert PAGES_PER_BYTE_WRITTEN * size <= written < PAGES_PER_BYTE_WRITTEN * size + 4096
    assert list(tmp_path.iterdir()) == []
