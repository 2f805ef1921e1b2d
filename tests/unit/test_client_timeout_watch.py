"""The client timeout's one timer per request: when it fires, it cancels the wait that
is older than the timeout, and only that one, or sets itself for the oldest wait's end.
(The 408 and the abandoned download, over real sockets: tests/e2e/test_stalled_clients.py.)
"""

from __future__ import annotations

import asyncio
import time

import pytest

from taskvars.web.client_timeout import _Watch

TIMEOUT = 30.0


async def _waiting() -> asyncio.Task[None]:
    """A task waiting for a client that never comes."""
    task = asyncio.create_task(asyncio.Event().wait())
    await asyncio.sleep(0)
    return task  # type: ignore[return-value]


def test_a_wait_older_than_the_timeout_is_cancelled_and_said_to_be_expired() -> None:
    async def scenario() -> None:
        watch = _Watch(TIMEOUT)
        receiving, sending = await _waiting(), await _waiting()
        watch.receiving_task, watch.receiving_since = receiving, time.monotonic() - TIMEOUT - 1
        watch.sending_task, watch.sending_since = sending, time.monotonic()
        watch._check()
        with pytest.raises(asyncio.CancelledError):
            await receiving
        assert watch.was_expired(receiving)
        assert not watch.was_expired(sending)
        assert not sending.done()
        sending.cancel()
        watch.timer.cancel()

    asyncio.run(scenario())


def test_a_younger_wait_sets_the_timer_for_its_end_and_nothing_is_cancelled() -> None:
    async def scenario() -> None:
        watch = _Watch(TIMEOUT)
        first_timer = watch.timer
        waiting = await _waiting()
        watch.receiving_task, watch.receiving_since = waiting, time.monotonic() - 10
        watch._check()
        assert not waiting.done()
        assert watch.timer is not first_timer
        loop = asyncio.get_running_loop()
        assert watch.timer.when() - loop.time() == pytest.approx(TIMEOUT - 10, abs=1)
        waiting.cancel()
        watch.timer.cancel()

    asyncio.run(scenario())


def test_with_no_wait_in_progress_the_timer_waits_a_whole_timeout_again() -> None:
    async def scenario() -> None:
        watch = _Watch(TIMEOUT)
        watch._check()
        loop = asyncio.get_running_loop()
        assert watch.timer.when() - loop.time() == pytest.approx(TIMEOUT, abs=1)
        watch.timer.cancel()

    asyncio.run(scenario())
