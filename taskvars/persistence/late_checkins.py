"""A connection given back after its engine was disposed of is closed at once.

``Engine.dispose()`` closes the pool's idle connections and starts a new pool. A
connection checked out at that moment (a request still running in a worker thread as the
server stops, a streamed upload's copying thread) goes back into the old pool when it is
returned, and nothing closes it there: the garbage collector finds it some time later,
and psycopg warns ("deleted while still open") in whatever code runs then. Each
connection is stamped with the pool's generation when it opens; one that comes back from
an earlier generation is closed as it is checked in.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, event

logger = logging.getLogger(__name__)

_GENERATION = "taskvars_pool_generation"


class LateCheckins:
    """Dispose of ``engine`` through :meth:`dispose` for its late connections to close."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._generation = 0
        event.listen(engine, "connect", self._stamp)
        event.listen(engine, "checkin", self._close_if_late)

    def dispose(self) -> None:
        self._generation += 1
        self._engine.dispose()

    def _stamp(self, _dbapi_connection: Any, record: Any) -> None:
        record.info[_GENERATION] = self._generation

    def _close_if_late(self, dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is None:  # invalidated: already closed
            return
        if record.info.get(_GENERATION, self._generation) == self._generation:
            return
        try:
            dbapi_connection.close()
        except Exception:
            logger.warning("closing a connection given back after disposal failed", exc_info=True)
