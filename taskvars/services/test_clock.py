"""The server's clock as ``taskvars serve --test-clock`` lets a client move it (ours,
beyond Camunda, which offers ``ClockUtil`` only to Java tests in the engine's process).

The clock is the system's plus an offset; :func:`taskvars.services.dates.now_millis`
reads it, so everything that reads "now" follows. The offset is this process's: with
several worker processes each has its own, so the test clock wants one process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

_lock = threading.Lock()
_offset_micros = 0


def offset_micros() -> int:
    return _offset_micros


def system_now() -> datetime:
    return datetime.now(UTC)


def set_now(instant: datetime) -> None:
    """The clock reads ``instant`` now and runs on from it."""
    global _offset_micros
    with _lock:
        delta = instant.astimezone(UTC) - system_now()
        _offset_micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def advance(micros: int) -> None:
    global _offset_micros
    with _lock:
        _offset_micros += micros


def reset() -> None:
    """Back to the system's clock."""
    global _offset_micros
    with _lock:
        _offset_micros = 0
