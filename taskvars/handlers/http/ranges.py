"""Partial downloads: single byte ranges (RFC 9110 §14), and ``If-Range``. Several ranges
in one request are answered with the whole value, which the RFC allows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from taskvars.errors import RangeNotSatisfiableError

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(?:(\d+)\s*-\s*(\d*)|-\s*(\d+))\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def requested_range(
    range_header: str | None, if_range: str | None, etag: str, size: int
) -> ByteRange | None:
    """The single range to serve, or ``None`` for the whole value.

    A header that is not one ``bytes=`` range is ignored; an ``If-Range`` that no longer
    names the value turns the request into a whole download.
    """
    if range_header is None or (if_range is not None and if_range.strip() != etag):
        return None
    match = _SINGLE_RANGE.match(range_header)
    if match is None:
        return None
    first, last, suffix = match.groups()
    if suffix is not None:
        if int(suffix) == 0 or size == 0:
            raise RangeNotSatisfiableError(size)
        return ByteRange(max(size - int(suffix), 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignored, as the RFC says
    if start >= size:
        raise RangeNotSatisfiableError(size)
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)
