"""A content file's early flushes (taskvars.web.early_flush): closing does not wait for a
flush still running, whose descriptor is closed once it is done."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from taskvars.web import early_flush
from taskvars.web.early_flush import EarlyFlush


def test_closing_does_not_wait_for_a_running_flush_whose_descriptor_closes_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdatasync = os.fdatasync
    flushing, may_finish = threading.Event(), threading.Event()
    flushed_fds: list[int] = []

    def slow_fdatasync(fd: int) -> None:
        flushed_fds.append(fd)
        flushing.set()
        may_finish.wait(timeout=10)
        real_fdatasync(fd)

    monkeypatch.setattr(early_flush.os, "fdatasync", slow_fdatasync)
    fd = os.open(tmp_path / "content", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        flush = EarlyFlush(fd, every_bytes=4)
        os.write(fd, b"12345")
        flush.written(5)
        assert flushing.wait(timeout=10)
        flush.close()  # returns while the flush runs (waiting, it would close the fd first)
        (own_fd,) = flushed_fds
        assert own_fd != fd
        assert os.fstat(own_fd)  # still open: the flush is still on it
        may_finish.set()
        for _ in range(1000):
            try:
                os.fstat(own_fd)
            except OSError:
                break
            threading.Event().wait(0.01)
        else:
            pytest.fail("the flush's descriptor was not closed after it")
    finally:
        may_finish.set()
        os.close(fd)
