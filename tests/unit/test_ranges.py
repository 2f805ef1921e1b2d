from __future__ import annotations

import pytest

from taskvars.errors import RangeNotSatisfiableError
from taskvars.handlers.http.ranges import ByteRange, requested_range
from taskvars.header_values import none_match, strong_etag

ETAG = strong_etag("abc")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", ByteRange(0, 9)),
        ("bytes=10-", ByteRange(10, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=95-500", ByteRange(95, 99)),
        ("BYTES = 1-1", ByteRange(1, 1)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole value
        ("items=0-1", None),
        ("bytes=9-3", None),
        ("nonsense", None),
        (None, None),
    ],
)
def test_single_ranges(header: str | None, expected: ByteRange | None) -> None:
    assert requested_range(header, None, ETAG, 100) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError) as raised:
        requested_range(header, None, ETAG, size)
    assert raised.value.status == 416
    assert raised.value.headers == {"Content-Range": f"bytes */{size}"}


def test_if_range_that_no_longer_matches_means_the_whole_value() -> None:
    assert requested_range("bytes=0-1", '"old"', ETAG, 100) is None
    assert requested_range("bytes=0-1", ETAG, ETAG, 100) == ByteRange(0, 1)


@pytest.mark.parametrize(
    ("header", "matches"),
    [(ETAG, True), (f'"x", W/{ETAG}', True), ("*", True), ('"other"', False), (None, False)],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert none_match(header, ETAG) is matches
