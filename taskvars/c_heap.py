"""The C heap of a server process: glibc's malloc told to keep an upload's buffers.

An upload arrives as a stream of ~1 MiB ``bytes`` objects (one per read of the socket),
each freed once its block is written. glibc's malloc, left to its defaults, hands such
sizes back to the kernel over and over: by ``munmap`` when they were above its adaptive
mmap threshold, or by trimming the top of the heap once its free end passes twice that.
Each new buffer then comes as fresh pages, faulted in and zeroed one by one.

Measured (``python -m bench.transfer --sizes 64MiB,1GiB``, A/B, SQLite), for 1 GiB:

- minor page faults: about 70,000 before, 10-150 with the thresholds fixed here;
- the server's CPU: 840-930 ms before, 650-690 ms after (its event loop's: 420-510 ms
  before, 310-330 ms after);
- the upload: 0.79-0.89 s before, 0.65-0.74 s after, the disk alone 0.49-0.57 s.

At 64 MiB the upload went from 0.060-0.071 s to 0.055-0.057 s (the disk: 0.031-0.037 s).

The cost is memory the process keeps: at most ``TRIM_THRESHOLD_BYTES`` free at the top
of each heap, a fixed amount whatever the size of the values.

Only glibc has these knobs (``mallopt``); elsewhere (musl, macOS) nothing is changed.
Nor where the operator chose for themselves through glibc's own environment variables.
"""

from __future__ import annotations

import ctypes
import logging
import os

LOGGER = logging.getLogger(__name__)

# From glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Free memory a heap keeps at its top before giving it back: a few upload windows
# (web.spool.MAX_IN_FLIGHT_BYTES is 8 MiB).
TRIM_THRESHOLD_BYTES = 16 * 1024 * 1024
# Allocations from this size up get pages of their own (and give them back when freed);
# above the 1 MiB buffers of a transfer, so that those come from the heap and are reused.
MMAP_THRESHOLD_BYTES = 4 * 1024 * 1024
# glibc's environment variables and tunables for the same settings: set, they win.
_OPERATOR_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
_OPERATOR_TUNABLES = ("glibc.malloc.trim_threshold", "glibc.malloc.mmap_threshold")

_tuned = False


def keep_transfer_buffers() -> bool:
    """Fix glibc's trim and mmap thresholds for this process (once); whether they were
    set by this call."""
    global _tuned
    if _tuned or not glibc_malloc() or _operator_chose():
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success. Either setting alone ends glibc's adaptive thresholds.
    if not (
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
    ):
        LOGGER.warning("glibc refused the malloc thresholds; uploads cost more CPU")
        return False
    _tuned = True
    return True


def glibc_malloc() -> bool:
    """Whether this process allocates with glibc's malloc."""
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError):  # not a name this C library knows
        return False


def _operator_chose() -> bool:
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return any(name in os.environ for name in _OPERATOR_VARIABLES) or any(
        name in tunables for name in _OPERATOR_TUNABLES
    )
