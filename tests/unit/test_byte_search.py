"""The delimiter search answers as bytes.find does, through memmem or not."""

from __future__ import annotations

import os

import pytest

from taskvars.web import byte_search

NEEDLE = b"\r\n--taskvars-boundary"
LARGE = byte_search.MEMMEM_MIN_BYTES * 3


def haystacks() -> list[bytes]:
    random = os.urandom(LARGE).replace(b"\r\n--", b"\r\n-+")
    return [
        b"",
        NEEDLE,
        b"x" + NEEDLE,
        random,
        random + NEEDLE,
        NEEDLE + random,
        random[:1000] + NEEDLE + random + NEEDLE,
        random + NEEDLE[:-1],  # cut short at the end
        (NEEDLE[:-1] + b"X") * (LARGE // len(NEEDLE)),  # a near miss over and over
        b"-" * LARGE,
        b"\r\n--" * (LARGE // 4) + NEEDLE,
    ]


@pytest.mark.parametrize("haystack", haystacks(), ids=lambda h: str(len(h)))
def test_finds_the_first_occurrence_as_bytes_find_does(haystack: bytes) -> None:
    assert byte_search.find(haystack, NEEDLE) == haystack.find(NEEDLE)


def test_without_memmem_bytes_find_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(byte_search, "_MEMMEM", None)
    for haystack in haystacks():
        assert byte_search.find(haystack, NEEDLE) == haystack.find(NEEDLE)


def test_memmem_is_found_on_linux() -> None:
    """The point of the module: where the C library has memmem, it is used."""
    if os.uname().sysname != "Linux":
        pytest.skip("checked where the C library is known to have memmem")
    assert byte_search._MEMMEM is not None


@pytest.mark.parametrize("haystack", haystacks(), ids=lambda h: str(len(h)))
def test_a_view_of_a_read_buffer_is_searched_as_its_bytes_are(haystack: bytes) -> None:
    """Writable, as a thread's read buffer is (through memmem), or read-only; a slice
    that starts inside its buffer answers from its own start."""
    buffer = bytearray(b"\r\n--" + haystack)
    view = memoryview(buffer)[4:]
    assert byte_search.find(view, NEEDLE) == haystack.find(NEEDLE)
    assert byte_search.find(view.toreadonly(), NEEDLE) == haystack.find(NEEDLE)
