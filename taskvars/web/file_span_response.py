"""A response that sends part of an open content file without reading it.

Starlette's ``FileResponse`` reads a file by its path, in 64 KiB pieces, through a
worker thread, and offers only the path-send extension. A download must send the file
its read snapshot opened (a writer may replace the value and remove that path
meanwhile), so this one takes the open file and sends it through the ASGI zero-copy
send extension where the server offers it (ours does: ``framework.ZERO_COPY_SEND``),
otherwise in chunks read in a worker thread (the test client, another server).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from taskvars.persistence.values import FileSpan
from taskvars.web.framework import ZERO_COPY_SEND

READ_BYTES = 1024 * 1024
SLICE_BYTES = 4 * 1024 * 1024


class FileSpanResponse(Response):
    def __init__(self, span: FileSpan, *, status_code: int, headers: dict[str, str]) -> None:
        # Content-Length comes from ``headers``: the span's length, not an empty body's.
        super().__init__(status_code=status_code, headers=headers)
        self.span = span

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if ZERO_COPY_SEND in scope.get("extensions", {}):
                # In slices, so that a worker thread of the senders' limited capacity is
                # held for one slice at a time, not for a slow client's whole download.
                offset, end = self.span.offset, self.span.offset + self.span.count
                while True:
                    count = min(SLICE_BYTES, end - offset)
                    await send(
                        {
                            "type": ZERO_COPY_SEND,
                            "file": self.span.file,
                            "offset": offset,
                            "count": count,
                            "more_body": offset + count < end,
                        }
                    )
                    offset += count
                    if offset >= end:
                        break
            else:
                async for chunk in iterate_in_threadpool(_read(self.span)):
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.span.file.close()


def _read(span: FileSpan) -> Iterator[bytes]:
    offset, end = span.offset, span.offset + span.count
    while offset < end:
        chunk = os.pread(span.file.fileno(), min(READ_BYTES, end - offset), offset)
        if not chunk:
            raise RuntimeError("the content file is shorter than its row says")
        offset += len(chunk)
        yield chunk
