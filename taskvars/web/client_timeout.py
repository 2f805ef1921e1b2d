"""A client that stops sending its body, or stops reading the answer, is let go.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but waits forever for
the rest of a body that stalls, and for a reader that never reads a download: each such
client would hold a task, and a download its database snapshot (which on SQLite also
keeps the write-ahead log from being checkpointed). Here every wait for the client is
bounded: a body stalled longer than the timeout answers 408 and nothing is stored; a
response the client does not take in that time is abandoned and its connection closed.

Each wait is bounded on its own (a slow but steady upload is not cut), yet a request
arms one timer, not one per message (``asyncio.wait_for`` made a task and a timer for
every receive and send): :class:`_Watch` notes when each wait began, and its timer, when
it fires, cancels a wait older than the timeout or sets itself for the oldest one's end.
"""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taskvars.errors import RequestTimeoutError
from taskvars.web.framework import (
    BODY_FROM_SOCKET,
    GRANTED,
    STALL_SECONDS,
    ZERO_COPY_SEND,
    raised_after_response_started,
)

logger = logging.getLogger(__name__)


class ClientStalledError(Exception):
    """The client did not take a part of the response in time; the connection is dropped."""


class _Watch:
    """The request's waits for its client, receiving and sending (each may run in a task
    of its own): when each began, in which task, and whether the timer cancelled it."""

    __slots__ = (
        "expired",
        "receiving_since",
        "receiving_task",
        "seconds",
        "sending_since",
        "sending_task",
        "timer",
    )

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.receiving_since: float | None = None
        self.receiving_task: asyncio.Task[object] | None = None
        self.sending_since: float | None = None
        self.sending_task: asyncio.Task[object] | None = None
        self.expired: asyncio.Task[object] | None = None
        self.timer = asyncio.get_running_loop().call_later(seconds, self._check)

    def _check(self) -> None:
        now = time.monotonic()
        next_end = now + self.seconds
        for since, task in (
            (self.receiving_since, self.receiving_task),
            (self.sending_since, self.sending_task),
        ):
            if since is None or task is None:
                continue
            if now - since >= self.seconds:
                # The task waits inside the await below (it set ``since`` just before),
                # so the cancellation comes out there.
                self.expired = task
                task.cancel()
                return
            next_end = min(next_end, since + self.seconds)
        self.timer = asyncio.get_running_loop().call_later(next_end - now, self._check)

    def was_expired(self, task: asyncio.Task[object] | None) -> bool:
        """Whether the timer cancelled ``task`` (which then is not cancelled any more)."""
        if task is None or self.expired is not task:
            return False
        self.expired = None
        task.uncancel()
        return True


class ClientTimeoutMiddleware:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = self.seconds
        body_complete = False
        extensions = scope.get("extensions", {})
        for waits_in_a_thread in (ZERO_COPY_SEND, BODY_FROM_SOCKET):
            # A file sent, or a body read, in a worker thread waits for the client there,
            # which a timeout here could not interrupt: it bounds its own waits the same way.
            offer = extensions.get(waits_in_a_thread)
            if offer is not None:
                offer[STALL_SECONDS] = seconds
        watch = _Watch(seconds)
        current_task = asyncio.current_task

        from_socket = extensions.get(BODY_FROM_SOCKET)

        async def bounded_receive() -> Message:
            nonlocal body_complete
            if body_complete or (from_socket is not None and GRANTED in from_socket):
                # Past the body, receive() waits for a disconnect (Starlette's streaming
                # responses listen for one): that wait is the client's right.
                return await receive()
            task = watch.receiving_task = current_task()
            watch.receiving_since = time.monotonic()
            try:
                message = await receive()
            except asyncio.CancelledError:
                if watch.was_expired(task):
                    raise RequestTimeoutError.body_stalled(seconds) from None
                raise
            finally:
                watch.receiving_since = None
            body_complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        async def bounded_send(message: Message) -> None:
            if message["type"] == ZERO_COPY_SEND:
                # Bounded by the sender itself (STALL_SECONDS above), per wait for the
                # client: a timeout here would leave its thread running, unwaited for.
                try:
                    await send(message)
                except TimeoutError as error:
                    raise ClientStalledError(str(error)) from None
                return
            task = watch.sending_task = current_task()
            watch.sending_since = time.monotonic()
            try:
                await send(message)
            except asyncio.CancelledError:
                if watch.was_expired(task):
                    raise ClientStalledError(
                        f"the client took no part of the response for {seconds:g} s"
                    ) from None
                raise
            finally:
                watch.sending_since = None

        try:
            await self.app(scope, bounded_receive, bounded_send)
        except (ClientStalledError, RuntimeError) as error:
            # Raised inside the response, our stall comes out as Starlette reports an
            # error after the response started.
            stalled: BaseException | None = error
            if not isinstance(error, ClientStalledError):
                stalled = raised_after_response_started(error)
            if not isinstance(stalled, ClientStalledError):
                raise
            # Nothing more can be said to this client; uvicorn closes the connection.
            logger.warning("%s %s abandoned: %s", scope["method"], scope["path"], stalled)
        finally:
            watch.timer.cancel()
