"""Stalls of a server process's event loop, logged: a wait that held every request shows
in the log, with how long it lasted.

A timer on the loop is due every :data:`PERIOD_SECONDS`; when it runs later than that by
:data:`WARN_SECONDS` or more, nothing ran on the loop meanwhile, and every request in
flight (even one that touches no database, a refused body) waited as long. The causes
are the process's, not a request's: a blocking call on the loop, a thread holding the
GIL (a full garbage collection runs in whichever thread triggers it), or no CPU for the
process on a loaded machine. The log then tells a client's slow answer that the server
was held up, and for how long, where a client's own timing cannot.

Two timer callbacks a second: nothing a busy server would notice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

logger = logging.getLogger(__name__)

PERIOD_SECONDS = 0.5
# Well above a loaded machine's scheduling noise, well below a client's timeout.
WARN_SECONDS = 1.0


class LoopLagWatch:
    """The timer; started and stopped on the loop it watches."""

    def __init__(self, period: float = PERIOD_SECONDS, warn: float = WARN_SECONDS) -> None:
        self._period = period
        self._warn = warn
        self._loop = asyncio.get_running_loop()
        self._due = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self) -> None:
        self._due = self._loop.time() + self._period
        self._timer = self._loop.call_at(self._due, self._ran)

    def _ran(self) -> None:
        late = self._loop.time() - self._due
        if late >= self._warn:
            logger.warning(
                "the event loop ran %.1f s late: every request in flight waited as long "
                "(a blocking call on the loop, a thread holding the GIL such as a long "
                "garbage collection, or no CPU for the process)",
                late,
            )
        self._arm()


@asynccontextmanager
async def watching_the_loop() -> AsyncIterator[LoopLagWatch]:
    watch = LoopLagWatch()
    watch.start()
    try:
        yield watch
    finally:
        watch.stop()
