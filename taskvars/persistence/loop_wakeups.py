"""Settling futures of event loops from a database thread: one wake-up per loop.

The SQLite reader and writer threads finish work for callers awaiting on event loops.
Settling each future with its own ``call_soon_threadsafe`` would wake a loop once per
item (a write to its self-pipe each time, and each wake-up fighting for the GIL); so the
items of a batch are grouped by loop and each loop is woken once, to settle all of its
futures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any, Protocol

logger = logging.getLogger(__name__)


class Awaited(Protocol):
    """An item a caller awaits: its loop and future, and how the work ended."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None: ...
    @property
    def future(self) -> asyncio.Future[Any] | None: ...
    @property
    def result(self) -> Any: ...
    @property
    def error(self) -> BaseException | None: ...


def settle_on_their_loops(items: Iterable[Awaited]) -> None:
    """Settle each item's future (its result, or its error) on the item's loop, each loop
    woken once; items without a loop are skipped, as are futures already done (their
    caller cancelled)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Awaited]] = {}
    for item in items:
        if item.loop is not None:
            by_loop.setdefault(item.loop, []).append(item)
    for loop, waiting in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_futures, waiting)
        except RuntimeError:  # the loop closed: nobody awaits these any more
            logger.debug("an event loop closed before its futures were settled")


def _settle_futures(items: list[Awaited]) -> None:
    for item in items:
        future = item.future
        if future is None or future.done():
            continue
        if item.error is not None:
            future.set_exception(item.error)
        else:
            future.set_result(item.result)
