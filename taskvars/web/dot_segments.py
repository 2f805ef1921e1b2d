"""Paths with ``.`` or ``..`` segments name nothing here.

Clients and proxies resolve dot segments away before sending (RFC 3986, 5.2.4), so
``/task/../localVariables/v/data`` reaches a server as ``/localVariables/v/data``, which
is no route. One that arrives unresolved gets the same 404, instead of being taken for a
task whose id is ``..``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.errors import ApiError

DOT_SEGMENTS = frozenset({".", ".."})


class NotFoundError(ApiError):
    status = 404
    type = "NotFoundException"


class DotSegmentMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not DOT_SEGMENTS.isdisjoint(scope["path"].split("/")):
            raise NotFoundError("HTTP 404 Not Found")
        await self.app(scope, receive, send)
