"""The same start for every measured write: memory the kernel has just freed.

On this kind of machine (a virtual machine whose kernel reports free memory to its host:
``/sys/module/page_reporting``), a page the guest freed more than about a second ago
goes back to the host, and the next write into the page cache that lands on it waits for
the host to supply it again. Measured here, writing 1 GiB to a new file and syncing it:
0.21-0.23 s of ``write`` calls into pages freed a moment before, 1.3-2.6 s into pages
freed 1-3 s earlier (the sync after it took 0.3 s either way).

So without care the references and taskvars were not measured alike: the disk reference
deletes its file and writes the next one at once, into warm pages; COPY drops its table
just before; a stored upload writes its new content while the old value's file or rows
still exist. The same reference took 0.6 s one day and 1.3 s the next. Right before
every measured upload and reference, :func:`supply_warm_pages` writes and deletes a
scratch file (never synced, so the disk does no work for it): the write starts on pages
freed a moment ago, for taskvars and its references alike. On a machine without page
reporting it changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

BLOCK = bytes(1024 * 1024)
# PostgreSQL writes what it stores twice (the WAL, then the table); a content file or the
# disk reference once. One amount for every measurement keeps them alike.
PAGES_PER_BYTE_WRITTEN = 2


def supply_warm_pages(directory: Path, size: int) -> None:
    """Leave about ``PAGES_PER_BYTE_WRITTEN * size`` bytes of just-freed memory behind,
    by writing a file of that size in ``directory`` and deleting it unsynced (on a disk
    too full for it, what could be written)."""
    path = directory / "warm-pages.scratch"
    remaining = PAGES_PER_BYTE_WRITTEN * size
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        while remaining > 0:
            remaining -= os.write(fd, BLOCK[: min(len(BLOCK), remaining)])
    except OSError:  # no space: what was written still helps
        pass
    finally:
        os.close(fd)
        path.unlink()
