"""Copying bytes without holding the GIL, so that the threads hashing and writing an
upload are not held up by the event loop's copies.

A thread leaving a GIL-free call (``hashlib``'s ``update`` of a 4 MiB block, a
``pwrite``) must take the GIL back; while another thread holds it, that waits for the
switch interval (5 ms). The event loop held it for every byte it copied into an upload's
aligned blocks (a slice assignment copies with the GIL held), and SHA-256 of 1 GiB in 4 MiB
updates, 0.6 s alone, took 2.2 s beside a thread copying that way (0.74 s beside one
copying with this). ``ctypes.memmove`` is a foreign function, which ctypes calls with the
GIL released; this module finds the addresses it needs.
"""

from __future__ import annotations

import ctypes
import mmap


class _PyBuffer(ctypes.Structure):
    """CPython's ``Py_buffer`` (``Include/pybuffer.h``), stable since 3.0."""

    _fields_ = (
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    )


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = (ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int)
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = (ctypes.POINTER(_PyBuffer),)
_release_buffer.restype = None
_PYBUF_SIMPLE = 0  # contiguous bytes, read-only allowed


def address(data: memoryview) -> int:
    """Where ``data``'s bytes start (contiguous; read-only allowed). Valid while ``data``
    is."""
    buffer = _PyBuffer()
    if _get_buffer(data, ctypes.byref(buffer), _PYBUF_SIMPLE) != 0:
        raise ValueError("not a contiguous buffer")  # pragma: no cover (ctypes raises first)
    try:
        return buffer.buf or 0
    finally:
        _release_buffer(ctypes.byref(buffer))


class MappingAddress:
    """Where a mapping starts. The mapping cannot be closed or resized while this lives
    (it holds an export of the mapping's buffer), so the address stays good."""

    def __init__(self, memory: mmap.mmap) -> None:
        self._export = ctypes.c_char.from_buffer(memory)
        self.value = ctypes.addressof(self._export)


def copy(destination: int, data: memoryview) -> None:
    """Copy ``data`` to the address ``destination``, the GIL released meanwhile."""
    if data:
        ctypes.memmove(destination, address(data), len(data))
