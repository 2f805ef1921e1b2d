"""Parked requests and the clock: their timeout, the end of a lock, the periodic
re-check. Bounds are generous: these tests catch a request that never wakes, or wakes
far too early, not a slow machine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from taskvars.services.long_polling import FetchOutcome, ParkedFetches

HOUR = 3600.0
TASK = {"id": "task-1"}
SLACK_SECONDS = 10.0


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))


async def still_here() -> bool:
    return False


def hub(*, recheck_seconds: float = HOUR) -> ParkedFetches:
    return ParkedFetches(max_parked=10, recheck_seconds=recheck_seconds, client_check_seconds=HOUR)


def test_a_request_answers_nothing_at_its_timeout() -> None:
    async def scenario() -> None:
        attempts = 0

        async def nothing() -> FetchOutcome:
            nonlocal attempts
            attempts += 1
            return FetchOutcome([])

        started = time.monotonic()
        assert await hub().wait_for_tasks(nothing, ["a"], 0.5, still_here) == []
        elapsed = time.monotonic() - started
        assert 0.45 <= elapsed < 0.5 + SLACK_SECONDS
        assert attempts == 1

    run(scenario)


def test_a_request_tries_again_when_the_lock_it_was_told_of_ends() -> None:
    async def scenario() -> None:
        lock_ends = time.time() + 0.5
        found_at: list[float] = []

        async def locked_until_it_ends() -> FetchOutcome:
            if time.time() < lock_ends:
                return FetchOutcome([], next_lock_expiry=lock_ends)
            found_at.append(time.time())
            return FetchOutcome([TASK])

        assert await hub().wait_for_tasks(locked_until_it_ends, ["a"], HOUR, still_here) == [TASK]
        assert lock_ends <= found_at[0] < lock_ends + SLACK_SECONDS

    run(scenario)


def test_a_lock_that_ended_before_the_attempt_does_not_make_the_request_try_in_a_loop() -> None:
    async def scenario() -> None:
        attempts = 0

        async def told_of_a_past_lock() -> FetchOutcome:
            nonlocal attempts
            attempts += 1
            return FetchOutcome([], next_lock_expiry=time.time() - 1)

        assert await hub().wait_for_tasks(told_of_a_past_lock, ["a"], 0.5, still_here) == []
        assert attempts == 1

    run(scenario)


def test_a_request_nobody_wakes_tries_again_at_the_re_check() -> None:
    async def scenario() -> None:
        attempts = 0

        async def found_at_the_second() -> FetchOutcome:
            nonlocal attempts
            attempts += 1
            return FetchOutcome([TASK] if attempts == 2 else [])

        started = time.monotonic()
        parked = hub(recheck_seconds=0.3)
        assert await parked.wait_for_tasks(found_at_the_second, ["a"], HOUR, still_here) == [TASK]
        assert 0.25 <= time.monotonic() - started < 0.3 + SLACK_SECONDS

    run(scenario)


def test_a_client_that_left_is_noticed_between_wakes() -> None:
    async def scenario() -> None:
        gone_at = time.monotonic() + 0.3

        async def client_gone() -> bool:
            return time.monotonic() >= gone_at

        async def nothing() -> FetchOutcome:
            return FetchOutcome([])

        parked = ParkedFetches(max_parked=1, recheck_seconds=HOUR, client_check_seconds=0.1)
        assert await parked.wait_for_tasks(nothing, ["a"], HOUR, client_gone) == []
        assert time.monotonic() - gone_at < SLACK_SECONDS
        assert parked.parked == 0

    run(scenario)
