"""A streaming response that closes its body iterator however the response ends.

Starlette iterates the body with ``async for`` and leaves an iterator it stopped early
(a client that went away or stalled) to the garbage collector, whose asyncio hook closes
it at some later turn of the loop. A download's iterator holds a database snapshot (on
PostgreSQL a running ``COPY``): it is released here, at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class ClosingStreamingResponse(StreamingResponse):
    def __init__(self, content: AsyncGenerator[bytes, None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._generator = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._generator.aclose()
