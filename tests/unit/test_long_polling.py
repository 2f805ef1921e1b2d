"""The parked requests' hub, driven by hand on one event loop: no clock involved (every
timeout here is an hour, every re-check too), every step awaited until it happened."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from taskvars.services.long_polling import (
    FetchOutcome,
    ParkedFetches,
    TooManyParkedFetchesError,
)

HOUR = 3600.0
TASK = {"id": "task-1"}


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def hub(max_parked: int = 10) -> ParkedFetches:
    return ParkedFetches(max_parked=max_parked, recheck_seconds=HOUR, client_check_seconds=HOUR)


class Worker:
    """A fetch that finds nothing until told to find a task, counting its attempts."""

    def __init__(self) -> None:
        self.attempts = 0
        self.finds_task = False
        self.running = 0
        self.most_running = 0
        self.on_attempt: Callable[[], None] = lambda: None

    async def fetch(self) -> FetchOutcome:
        self.attempts += 1
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            self.on_attempt()
            await asyncio.sleep(0)  # as a fetch run in a thread would, let others run
            return FetchOutcome([TASK] if self.finds_task else [])
        finally:
            self.running -= 1


async def still_here() -> bool:
    return False


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never became true")


async def settle() -> None:
    """Let every callback and task that can run, run."""
    for _ in range(100):
        await asyncio.sleep(0)


def park(parked: ParkedFetches, worker: Worker, topics: list[str]) -> asyncio.Task[Any]:
    return asyncio.create_task(parked.wait_for_tasks(worker.fetch, topics, HOUR, still_here))


def test_tasks_found_at_once_are_answered_without_waiting() -> None:
    async def scenario() -> None:
        worker = Worker()
        worker.finds_task = True
        assert await hub().wait_for_tasks(worker.fetch, ["a"], HOUR, still_here) == [TASK]
        assert worker.attempts == 1

    run(scenario)


def test_no_timeout_answers_the_first_attempt_even_when_empty() -> None:
    async def scenario() -> None:
        parked = hub()
        assert await parked.wait_for_tasks(Worker().fetch, ["a"], 0, still_here) == []
        assert parked.parked == 0

    run(scenario)


def test_an_announced_topic_wakes_its_requests_which_fetch_again() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        request = park(parked, worker, ["a", "b"])
        await until(lambda: parked.parked == 1)
        worker.finds_task = True
        parked.topics_available(["b"])
        assert await request == [TASK]
        assert worker.attempts == 2
        assert parked.parked == 0

    run(scenario)


def test_another_topic_does_not_wake_a_request() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        request = park(parked, worker, ["a"])
        await until(lambda: parked.parked == 1)
        parked.topics_available(["other"])
        await settle()
        assert worker.attempts == 1
        assert not request.done()
        parked.close()
        await request

    run(scenario)


def test_an_announcement_during_the_first_attempt_is_not_lost() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()

        def committed_meanwhile() -> None:
            if worker.attempts == 1:
                parked.topics_available(["a"])  # after this attempt read, before it answered
            else:
                worker.finds_task = True

        worker.on_attempt = committed_meanwhile
        assert await park(parked, worker, ["a"]) == [TASK]
        assert worker.attempts == 2

    run(scenario)


def test_a_request_that_found_nothing_again_waits_for_the_next_wake() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        request = park(parked, worker, ["a"])
        await until(lambda: parked.parked == 1)
        parked.topics_available(["a"])
        await until(lambda: worker.attempts == 2)
        await settle()
        assert worker.attempts == 2  # no loop: it sleeps again
        worker.finds_task = True
        parked.topics_available(["a"])
        assert await request == [TASK]

    run(scenario)


def test_requests_woken_together_fetch_one_at_a_time() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        requests = [park(parked, worker, ["a"]) for _ in range(5)]
        await until(lambda: parked.parked == 5)
        worker.most_running = 0
        parked.topics_available(["a"])
        await until(lambda: worker.attempts == 10)
        await settle()
        assert worker.most_running == 1
        assert worker.attempts == 10  # one attempt each per wake
        parked.close()
        assert await asyncio.gather(*requests) == [[]] * 5

    run(scenario)


def test_wake_all_wakes_the_requests_of_every_topic() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        requests = [park(parked, worker, [topic]) for topic in ("a", "b")]
        await until(lambda: parked.parked == 2)
        worker.finds_task = True
        parked.wake_all()
        assert await asyncio.gather(*requests) == [[TASK], [TASK]]

    run(scenario)


def test_past_the_bound_a_request_is_refused_as_camunda_refuses_it() -> None:
    async def scenario() -> None:
        parked, worker = hub(max_parked=1), Worker()
        first = park(parked, worker, ["a"])
        await until(lambda: parked.parked == 1)
        with pytest.raises(TooManyParkedFetchesError) as refused:
            await parked.wait_for_tasks(worker.fetch, ["a"], HOUR, still_here)
        assert refused.value.status == 500
        assert refused.value.type == "InvalidRequestException"
        assert refused.value.message == (
            "At the moment the server has to handle too many requests at the same time. "
            "Please try again later."
        )
        assert parked.parked == 1
        parked.close()
        assert await first == []

    run(scenario)


def test_past_the_bound_a_request_that_finds_tasks_at_once_is_answered() -> None:
    async def scenario() -> None:
        parked, waiting, finding = hub(max_parked=1), Worker(), Worker()
        first = park(parked, waiting, ["a"])
        await until(lambda: parked.parked == 1)
        finding.finds_task = True
        assert await parked.wait_for_tasks(finding.fetch, ["a"], HOUR, still_here) == [TASK]
        parked.close()
        await first

    run(scenario)


def test_close_answers_every_parked_request_with_nothing() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        requests = [park(parked, worker, [topic]) for topic in ("a", "b", "a")]
        await until(lambda: parked.parked == 3)
        parked.close()
        assert await asyncio.gather(*requests) == [[], [], []]
        assert worker.attempts == 3  # no attempt after close
        assert parked.parked == 0

    run(scenario)


def test_after_close_a_request_answers_its_first_attempt_without_parking() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        parked.close()
        assert await park(parked, worker, ["a"]) == []
        worker.finds_task = True
        assert await park(parked, worker, ["a"]) == [TASK]

    run(scenario)


def test_a_client_that_left_frees_its_slot_at_the_next_wake_without_fetching() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        gone = False

        async def client_gone() -> bool:
            return gone

        request = asyncio.create_task(parked.wait_for_tasks(worker.fetch, ["a"], HOUR, client_gone))
        await until(lambda: parked.parked == 1)
        gone = True
        parked.topics_available(["a"])
        assert await request == []
        assert worker.attempts == 1
        assert parked.parked == 0

    run(scenario)


def test_a_failing_fetch_fails_the_request_and_frees_its_slot() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()

        def fail_the_second() -> None:
            if worker.attempts == 2:
                raise RuntimeError("the database went away")

        worker.on_attempt = fail_the_second
        request = park(parked, worker, ["a"])
        await until(lambda: parked.parked == 1)
        parked.topics_available(["a"])
        with pytest.raises(RuntimeError, match="went away"):
            await request
        assert parked.parked == 0

    run(scenario)


def test_announcements_from_other_threads_reach_the_loop() -> None:
    async def scenario() -> None:
        parked, worker = hub(), Worker()
        request = park(parked, worker, ["a"])
        await until(lambda: parked.parked == 1)
        worker.finds_task = True
        await asyncio.to_thread(parked.topics_available, ["a"])
        assert await request == [TASK]

    run(scenario)
