"""The test clock (ours, tagged `Extensions`): ``/test-clock``."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import runtime
from taskvars.services import clock_control


def get_test_clock() -> dict[str, Any]:
    clock_control.require_enabled(runtime().settings.test_clock)
    return clock_control.reading()


def set_test_clock(body: dict[str, Any]) -> dict[str, Any]:
    current = runtime()
    clock_control.require_enabled(current.settings.test_clock)
    return clock_control.set_time(body, current.job_executor)


def advance_test_clock(body: dict[str, Any]) -> dict[str, Any]:
    current = runtime()
    clock_control.require_enabled(current.settings.test_clock)
    return clock_control.advance(body, current.job_executor)
