"""Sessions for read units of work, kept for the next read once closed: a closed
SQLAlchemy ``Session`` is as good as a new one (SQLAlchemy documents it reusable), and
building one costs about a tenth of a small read's work."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

# More than the worker threads that read at once: beyond it, closed sessions are dropped.
MAX_KEPT = 64


class ReadSessions:
    """Sessions on ``bind``, each used by one unit of work at a time."""

    def __init__(self, bind: Engine) -> None:
        self._bind = bind
        self._kept: list[Session] = []

    def take(self) -> Session:
        try:
            return self._kept.pop()  # atomic: two threads never get the same session
        except IndexError:
            return Session(self._bind, expire_on_commit=False, autoflush=False)

    def close(self, session: Session) -> None:
        """Close ``session`` and keep it for another read; one that failed to close
        (its rollback raised) is not kept."""
        session.close()
        session.info.clear()
        if len(self._kept) < MAX_KEPT:
            self._kept.append(session)
