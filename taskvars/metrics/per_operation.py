"""The request metrics' children of each operation, looked up once.

``Counter.labels(...)`` checks and joins its label values and takes a lock on every
call; a request needs up to four children, always the same ones for its operation (and
status). Each child is made where :func:`observe` first needs it, as ``labels()`` made
it before: a series appears in a scrape only once something was counted in it.
"""

from __future__ import annotations

from typing import Any

from taskvars.metrics import instruments


class OperationInstruments:
    """The children of one operation, made on first use."""

    __slots__ = ("_duration", "_operation", "_received", "_requests", "_sent")

    def __init__(self, operation: str) -> None:
        self._operation = operation
        self._requests: dict[int, Any] = {}
        self._duration: Any = None
        self._received: Any = None
        self._sent: Any = None

    def observe(self, status: int, seconds: float, bytes_in: int, bytes_out: int) -> None:
        operation = self._operation
        requests = self._requests.get(status)
        if requests is None:
            requests = instruments.REQUESTS.labels(operation=operation, status=str(status))
            self._requests[status] = requests
        requests.inc()
        if self._duration is None:
            self._duration = instruments.DURATION.labels(operation=operation)
        self._duration.observe(seconds)
        if bytes_in:
            if self._received is None:
                self._received = instruments.RECEIVED_BYTES.labels(operation=operation)
            self._received.inc(bytes_in)
        if bytes_out:
            if self._sent is None:
                self._sent = instruments.SENT_BYTES.labels(operation=operation)
            self._sent.inc(bytes_out)


_BY_OPERATION: dict[str, OperationInstruments] = {}


def of(operation: str | None) -> OperationInstruments:
    """The instruments of ``operation`` (None: a request that matched none)."""
    key = operation or instruments.NO_OPERATION
    found = _BY_OPERATION.get(key)
    if found is None:
        found = _BY_OPERATION[key] = OperationInstruments(key)
    return found
