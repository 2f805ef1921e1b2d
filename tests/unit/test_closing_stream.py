"""A download stream stopped early releases its snapshot at once, off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from taskvars.handlers.http.variable_operations import _stream_then_close
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.web.closing_stream import ClosingStreamingResponse


class ClientWentAwayError(Exception):
    pass


class RecordingUnitOfWork:
    """Stands in for the read snapshot a download holds: records where it was closed."""

    def __init__(self) -> None:
        self.closed_in: threading.Thread | None = None

    def close(self) -> None:
        self.closed_in = threading.current_thread()


def test_a_stream_the_client_stops_closes_its_chunks_and_snapshot_in_a_worker_thread() -> None:
    chunks_closed_in: list[threading.Thread] = []

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                yield b"x" * 1024
        finally:  # where a half-read PostgreSQL COPY would be cancelled
            chunks_closed_in.append(threading.current_thread())

    uow = RecordingUnitOfWork()
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)
        if len(sent) == 3:  # the start and two chunks went out, then the client is gone
            raise ClientWentAwayError

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def answer() -> None:
        response = ClosingStreamingResponse(
            _stream_then_close(cast(UnitOfWork, uow), chunks()), status_code=200
        )
        with pytest.raises(ClientWentAwayError):
            await response({"type": "http", "method": "GET", "asgi": {}}, receive, send)
        # Closed before the response returned, not whenever the collector gets to it.
        assert uow.closed_in is not None
        assert chunks_closed_in

    asyncio.run(answer())
    loop_thread = threading.main_thread()
    assert uow.closed_in is not loop_thread
    assert chunks_closed_in[0] is not loop_thread
