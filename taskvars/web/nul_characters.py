"""U+0000 is refused in every string a client sends.

PostgreSQL cannot store it in text columns (SQLite can), so without this rule the same
request would be stored on one database and fail with a 500 on the other. It is refused
the same way everywhere, before anything is written: in JSON bodies, query strings and
multipart text parts. (Path parameters already exclude control characters in the spec.)
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from taskvars.errors import InvalidRequestError

NUL_MESSAGE = "Strings cannot contain the character U+0000"


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


class QueryNulMiddleware:
    """400 for a query string that carries U+0000, raw or percent-encoded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            if b"\x00" in query or b"%00" in query:
                raise InvalidRequestError(NUL_MESSAGE)
        await self.app(scope, receive, send)
