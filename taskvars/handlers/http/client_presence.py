"""Whether the client of the current request is still there, for a handler that waits.

ASGI tells an app that its client left only through ``receive()``: an
``http.disconnect`` message, which uvicorn hands out as soon as the connection is lost
(or, once the body has been read, on the next call after that). Starlette's
``Request.is_disconnected`` asks for one message without waiting for it, and connexion's
request passes the call through to a Starlette request over the request's own
``receive`` (the one its context middleware saw, after every middleware's wrapping).
Asked before the body has been read, it would take a part of the body: a handler asks
only after connexion has read and validated it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import connexion


def client_gone_probe() -> Callable[[], Awaitable[bool]]:
    """An async callable that answers ``True`` once the current request's client has
    left. Call it in the handler; the callable may be awaited later, in the same task."""
    # connexion.request builds a new request object at each access: keep one, so that
    # once a disconnect is seen it stays seen (Starlette remembers it on the object).
    is_disconnected: Callable[[], Awaitable[bool]] = connexion.request.is_disconnected
    return is_disconnected
