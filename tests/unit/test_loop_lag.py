"""A stalled event loop is logged, with how long it was held."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from taskvars.loop_lag import LoopLagWatch


@pytest.mark.anyio
async def test_a_blocked_event_loop_is_logged_with_how_long_it_was_held(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="taskvars.loop_lag")
    watch = LoopLagWatch(period=0.01, warn=0.2)
    watch.start()
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.5)  # a blocking call on the loop
        await asyncio.sleep(0.05)  # the late timer runs
    finally:
        watch.stop()
    lags = [record.args[0] for record in caplog.records if record.name == "taskvars.loop_lag"]
    assert lags, "the stall was not logged"
    assert isinstance(lags[0], float)
    assert max(lags) >= 0.45
