"""Parked fetch-and-lock requests: long polling, as Camunda's ``FetchAndLockHandlerImpl``.

A worker's ``POST /external-task/fetchAndLock`` with an ``asyncResponseTimeout`` that
finds no task waits here, up to that timeout, for one to become fetchable. It tries
again when a transaction announces tasks of one of its topics
(:mod:`taskvars.persistence.external_task_signals`, from any server process), when the
earliest lock or retry timeout it was told of ends, and every ``recheck_seconds`` in any
case: a safety net for what no announcement reports. Camunda re-checks every 30 s too
(``PENDING_REQUEST_FETCH_INTERVAL``).

Woken requests try one at a time, as Camunda's single handler thread does: a hundred
requests woken for one new task do not run a hundred fetches at once, and a request that
found nothing sleeps until its next wake, never in a loop.

No HTTP and no SQL here: a request's fetch is a callable, its client a callable asked
whether it left. One :class:`ParkedFetches` per server process, on its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from taskvars.errors import InvalidRequestError
from taskvars.services.dates import now_millis

# FetchAndLockHandlerImpl.MAX_REQUEST_TIMEOUT: a longer asyncResponseTimeout is a 400
# with this message (for the handler to raise; see MAX_TIMEOUT_MESSAGE).
MAX_ASYNC_RESPONSE_TIMEOUT_MS = 1_800_000
MAX_TIMEOUT_MESSAGE = (
    "The asynchronous response timeout cannot be set to a value greater than "
    f"{MAX_ASYNC_RESPONSE_TIMEOUT_MS} milliseconds"
)
# FetchAndLockHandlerImpl.PENDING_REQUEST_FETCH_INTERVAL.
DEFAULT_RECHECK_SECONDS = 30.0
# How often a parked request asks whether its client is still there, between wakes:
# a client that left frees its slot within this time.
DEFAULT_CLIENT_CHECK_SECONDS = 5.0
# A lock ends at a millisecond; waking a little after it makes sure the fetch sees it
# ended, whatever the rounding and the event loop's timer resolution.
EXPIRY_MARGIN_SECONDS = 0.01


@dataclass(frozen=True)
class FetchOutcome:
    """One fetch-and-lock attempt: the tasks it locked, and when to try again at the
    latest without being told (epoch seconds): the earliest end of a lock held on a task
    of the request's topics, or of a failed task's retry timeout. ``None``: no such time."""

    tasks: list[dict[str, Any]]
    next_lock_expiry: float | None = None


Fetch = Callable[[], Awaitable[FetchOutcome]]
ClientGone = Callable[[], Awaitable[bool]]


class TooManyParkedFetchesError(InvalidRequestError):
    """Camunda's answer when its queue of pending requests is full
    (``FetchAndLockHandlerImpl.errorTooManyRequests``: an ``InvalidRequestException``
    with status 500)."""

    status = 500
    MESSAGE = (
        "At the moment the server has to handle too many requests at the same time. "
        "Please try again later."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


@dataclass(eq=False)
class _Waiter:
    topics: frozenset[str]
    # Set when something may have made tasks of its topics fetchable.
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class ParkedFetches:
    """The parked requests of one server process. Create it on the event loop that
    serves the requests; :meth:`topics_available` and :meth:`wake_all` may be called
    from any thread."""

    def __init__(
        self,
        *,
        max_parked: int,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        client_check_seconds: float = DEFAULT_CLIENT_CHECK_SECONDS,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._max_parked = max_parked
        self._recheck_seconds = recheck_seconds
        self._client_check_seconds = client_check_seconds
        self._waiters_by_topic: dict[str, set[_Waiter]] = {}
        self._parked = 0
        self._closed = False
        # Woken requests fetch one at a time, in the order they asked (asyncio.Lock is fair).
        self._attempt_turn = asyncio.Lock()

    @property
    def parked(self) -> int:
        """How many requests wait now (not counting those in their first attempt)."""
        return self._parked

    async def wait_for_tasks(
        self,
        fetch: Fetch,
        topics: Iterable[str],
        timeout_seconds: float,
        client_gone: ClientGone,
    ) -> list[dict[str, Any]]:
        """The tasks ``fetch`` locks, at once or once some become fetchable; ``[]`` at
        ``timeout_seconds``, when the client left, or at :meth:`close`. Raises
        :class:`TooManyParkedFetchesError` when ``max_parked`` requests wait already,
        and whatever ``fetch`` raises."""
        deadline = self._loop.time() + timeout_seconds
        waiter = _Waiter(frozenset(topics))
        # Listening before the first attempt: tasks announced while it runs wake it.
        self._listen(waiter)
        try:
            started = _clock_seconds()
            outcome = await fetch()
            if outcome.tasks or timeout_seconds <= 0 or self._closed:
                return outcome.tasks
            self._park()
            try:
                return await self._parked_until_tasks(
                    waiter, fetch, deadline, started, outcome, client_gone
                )
            finally:
                self._parked -= 1
        finally:
            self._stop_listening(waiter)

    def topics_available(self, topics: Iterable[str]) -> None:
        """Tasks of ``topics`` may have become fetchable: wake the requests of any of them."""
        self._call_on_loop(self._wake_topics, frozenset(topics))

    def wake_all(self) -> None:
        """Anything may have become fetchable (announcements may have been missed)."""
        self._call_on_loop(self._wake_everyone)

    def close(self) -> None:
        """Every parked request answers ``[]`` now; later ones answer without parking.
        Call on the event loop."""
        self._closed = True
        self._wake_everyone()

    async def _parked_until_tasks(
        self,
        waiter: _Waiter,
        fetch: Fetch,
        deadline: float,
        attempt_started: float,
        outcome: FetchOutcome,
        client_gone: ClientGone,
    ) -> list[dict[str, Any]]:
        next_attempt = self._next_attempt(outcome, attempt_started)
        while True:
            now = self._loop.time()
            await self._sleep(waiter, min(deadline, next_attempt, now + self._client_check_seconds))
            now = self._loop.time()
            if self._closed or now >= deadline or await client_gone():
                return []
            if not waiter.woken.is_set() and now < next_attempt:
                continue  # only the client check was due
            async with self._attempt_turn:
                if self._is_closed() or self._loop.time() >= deadline:  # while it waited
                    return []
                # Cleared before the attempt: what is announced while it runs wakes it again.
                waiter.woken.clear()
                attempt_started = _clock_seconds()
                outcome = await fetch()
            if outcome.tasks:
                return outcome.tasks
            next_attempt = self._next_attempt(outcome, attempt_started)

    def _next_attempt(self, outcome: FetchOutcome, attempt_started: float) -> float:
        """When to try again unasked, on the event loop's clock."""
        now = self._loop.time()
        recheck = now + self._recheck_seconds
        expiry = outcome.next_lock_expiry
        # A lock that had ended before the attempt began did not stop that attempt from
        # taking its task: waking for it again would find the same nothing, in a loop.
        if expiry is None or expiry <= attempt_started:
            return recheck
        until_expiry = expiry - _clock_seconds() + EXPIRY_MARGIN_SECONDS
        return min(recheck, now + max(until_expiry, 0.0))

    @staticmethod
    async def _sleep(waiter: _Waiter, until: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(until):
                await waiter.woken.wait()

    def _is_closed(self) -> bool:
        return self._closed

    def _park(self) -> None:
        # Counted once the first attempt found nothing, as Camunda queues a request only
        # then (addPendingRequest); a request that gets tasks at once is never refused.
        if self._parked >= self._max_parked:
            raise TooManyParkedFetchesError()
        self._parked += 1

    def _listen(self, waiter: _Waiter) -> None:
        for topic in waiter.topics:
            self._waiters_by_topic.setdefault(topic, set()).add(waiter)

    def _stop_listening(self, waiter: _Waiter) -> None:
        for topic in waiter.topics:
            waiters = self._waiters_by_topic.get(topic)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters_by_topic[topic]

    def _wake_topics(self, topics: frozenset[str]) -> None:
        for topic in topics:
            for waiter in self._waiters_by_topic.get(topic, ()):
                waiter.woken.set()

    def _wake_everyone(self) -> None:
        for waiters in self._waiters_by_topic.values():
            for waiter in waiters:
                waiter.woken.set()

    def _call_on_loop(self, callback: Callable[..., None], *args: Any) -> None:
        # A closed loop has nobody waiting any more.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)


def _clock_seconds() -> float:
    """The clock the locks' expiry times are written by (the test clock's, when moved)."""
    return now_millis().timestamp()
