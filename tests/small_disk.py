"""A small filesystem of a test's own, to fill up: a size-limited tmpfs.

Mounting needs root (or CAP_SYS_ADMIN); where this machine does not allow it the tests
that need one skip, and fail instead when ``TASKVARS_REQUIRE_FAULT_TESTS`` is set (CI).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_VARIABLE = "TASKVARS_REQUIRE_FAULT_TESTS"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``; fail it where fault tests are required."""
    if os.environ.get(REQUIRE_VARIABLE):
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE} is set)")
    pytest.skip(reason)


@contextmanager
def small_filesystem(
    mount_point: Path, size_bytes: int, *, read_only: bool = False
) -> Iterator[Path]:
    mount_point.mkdir(parents=True, exist_ok=True)
    options = f"size={size_bytes},mode=0700" + (",ro" if read_only else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        unavailable(f"cannot mount a size-limited tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazily: a server still holding files there must not leave the mount behind.
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(directory: Path) -> Path:
    """A file that takes every free byte of ``directory``'s filesystem."""
    filler = directory / "filler"
    block = b"\0" * (64 * 1024)
    with filler.open("wb", buffering=0) as file:
        while True:
            try:
                file.write(block)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
        # The last partial block: tmpfs takes whole pages, so a few bytes may still fit.
        with suppress(OSError):
            while file.write(b"\0" * 512):
                pass
    return filler
