"""Finding a multipart delimiter in a large received chunk, at the C library's speed.

For a needle of a delimiter's length in a haystack over 30,000 bytes, CPython's
``bytes.find`` uses the two-way algorithm (``Objects/stringlib/fastsearch.h``): about
0.19 s of CPU per GiB here, a quarter of the event loop's time for a large upload. The C
library's ``memmem`` (glibc: a Horspool search over pairs of bytes, linear in the worst
case) takes 0.05 s on random data and at most 0.3 s on a body made to defeat it, where
``bytes.find`` takes 0.2 to 0.6 s. The standard library's only way to it is ``ctypes``;
where no C library can be loaded, or it has no ``memmem``, ``bytes.find`` is used.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

# Below this, the call through ctypes costs more than it saves.
MEMMEM_MIN_BYTES = 32 * 1024

_Find = Callable[[int, int, bytes, int], int | None]


def _c_memmem() -> _Find | None:
    try:
        memmem = ctypes.CDLL(None).memmem
    except (OSError, AttributeError, TypeError):
        return None
    memmem.restype = ctypes.c_void_p
    memmem.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    found: _Find = memmem
    return found


_MEMMEM = _c_memmem()


def find(haystack: bytes | memoryview, needle: bytes) -> int:
    """``haystack.find(needle)``, for ``bytes`` or a contiguous memoryview of bytes
    (through ``memmem`` if it is writable, as a view of a read buffer is)."""
    if (
        _MEMMEM is None
        or len(haystack) < MEMMEM_MIN_BYTES
        or not needle
        or (isinstance(haystack, memoryview) and haystack.readonly)
    ):
        return _slow_find(haystack, needle)
    start = _address(haystack)
    found = _MEMMEM(start, len(haystack), needle, len(needle))
    return -1 if found is None else found - start


def _address(haystack: bytes | memoryview) -> int:
    if isinstance(haystack, bytes):
        # c_char_p points at a bytes object's own buffer, not a copy.
        address = ctypes.cast(ctypes.c_char_p(haystack), ctypes.c_void_p).value
    else:
        address = ctypes.addressof(ctypes.c_char.from_buffer(haystack))
    assert address is not None
    return address


def _slow_find(haystack: bytes | memoryview, needle: bytes) -> int:
    if isinstance(haystack, bytes):
        return haystack.find(needle)
    return bytes(haystack).find(needle)  # small, read-only, or no memmem to be had
