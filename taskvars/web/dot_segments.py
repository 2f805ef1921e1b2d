"""Paths with ``.`` or ``..`` segments name nothing here.

Clients and proxies resolve dot segments away before sending (RFC 3986, 5.2.4), so
``/task/../localVariables/v/data`` reaches a server as ``/localVariables/v/data``, which
is no route. One that arrives unresolved gets the same 404 (rendered like every routing
404), instead of being taken for a task whose id is ``..``.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

DOT_SEGMENTS = frozenset({".", ".."})


class DotSegmentMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            # Most paths have no dot at all: then no segment can be one.
            if "." in path and not DOT_SEGMENTS.isdisjoint(path.split("/")):
                raise HTTPException(status_code=404)
        await self.app(scope, receive, send)
